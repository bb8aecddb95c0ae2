"""The correlation-cluster selector on data with known groups, and scikit-learn's checks."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from nucleate.models.selection import CorrelationClusterSelector, spearman_matrix


def grouped_data(n=300, seed=0):
    """Three groups of correlated descriptors (4, 3 and 2 members) and two lone ones; y depends
    on one member of group A (x_a0) and on the lone x_l0. Members are monotonic transforms of a
    latent variable plus a little noise; x_a0 is the exact latent."""
    rng = np.random.default_rng(seed)
    za, zb, zc, zl0, zl1 = rng.normal(size=(5, n))
    cols, names = [], []
    cols += [za, np.exp(za) + 0.05 * rng.normal(size=n), za**3 + 0.1 * rng.normal(size=n),
             -za + 0.1 * rng.normal(size=n)]  # fmt: skip
    names += ["a0", "a1", "a2", "a3"]
    cols += [zb, 2 * zb + 0.1 * rng.normal(size=n), np.tanh(zb) + 0.02 * rng.normal(size=n)]
    names += ["b0", "b1", "b2"]
    cols += [zc, zc + 0.1 * rng.normal(size=n)]
    names += ["c0", "c1"]
    cols += [zl0, zl1]
    names += ["l0", "l1"]
    X = np.column_stack(cols)
    y = 2.0 * za + 1.0 * zl0 + 0.1 * rng.normal(size=n)
    return X, y, names


def test_keeps_one_per_group_and_the_informative_member():
    X, y, names = grouped_data()
    sel = CorrelationClusterSelector(threshold=0.3).fit(X, y)
    kept = [names[i] for i in sel.representatives_]
    assert len(kept) == 5  # groups a, b, c and the two lone descriptors
    groups = sorted(k[0] for k in kept)
    assert groups == ["a", "b", "c", "l", "l"]
    assert "a0" in kept  # the member y depends on exactly
    assert kept[:2] == ["a0", "l0"]  # ranked by relevance
    out = sel.get_feature_names_out(np.array(names, dtype=object))
    assert sorted(out) == sorted(kept)
    assert sel.transform(X).shape == (len(X), 5)


def test_groups_keep_their_own_representatives():
    """A substrate parameter p and two liquid descriptors that follow it with noise (one
    measured closely, one loosely) plus a lone liquid descriptor: without groups one cluster
    holds p and its proxies; with groups the substrate keeps p and the liquid keeps its best
    proxy. Descriptors of different groups never share a cluster."""
    rng = np.random.default_rng(1)
    n = 300
    p, lone = rng.normal(size=(2, n))
    close = p + 0.05 * rng.normal(size=n)
    loose = p + 0.3 * rng.normal(size=n)
    X = np.column_stack([p, close, loose, lone])
    y = p + 0.5 * lone + 0.05 * rng.normal(size=n)
    kinds = ["substrate", "liquid", "liquid", "liquid"]
    plain = CorrelationClusterSelector(threshold=0.3).fit(X, y)
    assert len(set(plain.clusters_[:3])) == 1 and len(plain.representatives_) == 2
    grouped = CorrelationClusterSelector(threshold=0.3, groups=kinds).fit(X, y)
    assert sorted(grouped.representatives_) == [0, 1, 3]
    for a in range(4):
        for b in range(4):
            if kinds[a] != kinds[b]:
                assert grouped.clusters_[a] != grouped.clusters_[b]
    with pytest.raises(ValueError, match="one label per descriptor"):
        CorrelationClusterSelector(groups=kinds[:3]).fit(X, y)


def test_n_clusters_and_pipeline_with_grouped_cv():
    X, y, _ = grouped_data()
    assert len(CorrelationClusterSelector(n_clusters=3).fit(X, y).representatives_) == 3
    pipe = make_pipeline(CorrelationClusterSelector(threshold=0.3), Ridge(alpha=1e-3))
    groups = np.arange(len(y)) % 3
    scores = cross_val_score(pipe, X, y, cv=GroupKFold(3), groups=groups, scoring="r2")
    assert scores.min() > 0.9


def test_spearman_matrix_handles_constant_columns():
    X = np.column_stack([np.arange(10.0), np.ones(10), np.arange(10.0) ** 2])
    rho = spearman_matrix(X)
    assert rho[0, 2] == pytest.approx(1.0)
    assert rho[0, 1] == 0.0 and rho[1, 1] == 1.0


@parametrize_with_checks([CorrelationClusterSelector()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_ard_gaussian_process_finds_the_noise_and_the_irrelevant_column():
    """A smooth function of two of three columns plus known noise: the GP learns a noise level
    near the true one, a long length scale for the irrelevant column, and its ±2σ intervals
    cover about 95 % of new samples; it survives a pickle round trip (shipped models)."""
    import pickle

    from nucleate.models.descriptor_model import predictive_std
    from nucleate.models.regressors import make_regressor

    rng = np.random.default_rng(1)
    noise = 0.05

    def f(X):
        return np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2

    X = rng.uniform(-1, 1, (150, 3))
    y = f(X) + noise * rng.normal(size=len(X))
    model = make_regressor("gp", seed=0).fit(X, y)
    kernel = model[-1].kernel_
    fitted_noise = np.sqrt(kernel.k2.noise_level) * model[-1]._y_train_std
    assert 0.6 * noise < fitted_noise < 1.5 * noise
    scales = kernel.k1.k2.length_scale
    assert scales[2] > 5 * max(scales[0], scales[1])
    Xt = rng.uniform(-1, 1, (400, 3))
    yt = f(Xt) + noise * rng.normal(size=len(Xt))
    pred, std = model.predict(Xt), predictive_std(model, Xt)
    assert np.sqrt(np.mean((pred - yt) ** 2)) < 1.3 * noise
    assert 0.88 < np.mean(np.abs(pred - yt) <= 2 * std) < 0.99
    assert np.allclose(pickle.loads(pickle.dumps(model)).predict(Xt), pred)
    assert predictive_std(make_regressor("ridge").fit(X, y), Xt) is None


def test_ard_gaussian_process_chooses_the_kernel_smoothness_by_marginal_likelihood():
    """Samples of a rough process (Ornstein–Uhlenbeck: Matérn ν = 0.5) and of a smooth function:
    the marginal likelihood of the training data picks ν = 0.5 for the first, the smoothest
    kernel for the second; with one candidate the GP keeps it."""
    from sklearn.gaussian_process.kernels import Matern

    from nucleate.models.gp import ARDGaussianProcess

    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(0, 10, 120))[:, None]
    cov = Matern(length_scale=1.0, nu=0.5)(x) + 1e-4 * np.eye(len(x))
    rough = np.linalg.cholesky(cov) @ rng.normal(size=len(x))
    smooth = np.sin(x[:, 0]) + 0.01 * rng.normal(size=len(x))
    assert ARDGaussianProcess(random_state=0).fit(x, rough).nu_ == 0.5
    gp = ARDGaussianProcess(random_state=0).fit(x, smooth)
    assert gp.nu_ == 2.5 and gp.kernel_.k1.k2.nu == 2.5
    assert ARDGaussianProcess(random_state=0, nus=(1.5,)).fit(x, rough).nu_ == 1.5


def test_linear_kernel_follows_the_trend_out_of_the_training_range():
    """T_n linear in one descriptor, trained on [0, 1]: at x = 2 the plain process falls back
    towards the training mean, the one with a linear kernel continues the line (to 3 %)."""
    from nucleate.models.regressors import make_regressor

    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, (60, 2))
    y = 2.0 * X[:, 0] + 0.01 * rng.normal(size=60)
    far = np.array([[2.0, 0.5]])
    plain = make_regressor("gp").fit(X, y).predict(far)[0]
    linear = make_regressor("gp_linear").fit(X, y).predict(far)[0]
    assert abs(linear - 4.0) < 0.12
    assert abs(plain - 4.0) > 3 * abs(linear - 4.0)


def test_gp_trees_average_and_its_interval_widening_where_its_members_disagree():
    """The average of the linear-kernel process and extra trees is their mean; in the training
    range it fits a smooth function to near the noise and its ±2σ covers new samples; out of the
    range, where trees stay flat and the line goes on, the σ grows to cover the disagreement.
    It reloads from a pickle with the same predictions (shipped models)."""
    import pickle

    from nucleate.models.descriptor_model import predictive_std
    from nucleate.models.regressors import make_regressor

    rng = np.random.default_rng(2)
    noise = 0.05
    X = rng.uniform(-1, 1, (200, 2))
    f = lambda X: np.sin(2 * X[:, 0]) + X[:, 1]  # noqa: E731
    y = f(X) + noise * rng.normal(size=len(X))
    model = make_regressor("gp_trees", seed=0).fit(X, y)
    est = model[-1]
    Xt = rng.uniform(-1, 1, (300, 2))
    Z = model[:-1].transform(Xt)
    assert np.allclose(model.predict(Xt), 0.5 * (est.gp_.predict(Z) + est.trees_.predict(Z)))
    yt = f(Xt) + noise * rng.normal(size=len(Xt))
    pred, std = model.predict(Xt), predictive_std(model, Xt)
    assert np.sqrt(np.mean((pred - yt) ** 2)) < 2.5 * noise
    assert np.mean(np.abs(pred - yt) <= 2 * std) > 0.85
    far = np.array([[0.0, 3.0]])  # f = 3; the trees saw at most ~1
    gap = abs(est.gp_.predict(model[:-1].transform(far)) - est.trees_.predict(
        model[:-1].transform(far)))[0]  # fmt: skip
    assert gap > 1.0 and predictive_std(model, far)[0] >= 0.5 * gap
    assert np.allclose(pickle.loads(pickle.dumps(model)).predict(Xt), pred)


@pytest.mark.parametrize("regressor", ["gp", "gbr"])
def test_censored_rows_pull_the_fit_below_the_floor(regressor):
    """T_n flat at 0.6 where it is known, below the floor 0.3 (censored) for x < 0.3: fitted on
    the known rows alone a regressor predicts 0.6 there too; with the censored rows (by EM) it
    predicts them below the floor, and the known rows as well as before."""
    from nucleate.models.regressors import make_regressor
    from nucleate.train.select import fit_censored

    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, (80, 1))
    censored = X[:, 0] < 0.3
    y = np.where(censored, np.nan, 0.6 + rng.normal(0.0, 0.01, 80))
    plain = fit_censored(make_regressor(regressor), X, y, censored, None)
    em = fit_censored(make_regressor(regressor), X, y, censored, 0.3)
    low = np.array([[0.05], [0.15]])
    assert np.all(plain.predict(low) > 0.5)
    assert np.all(em.predict(low) < 0.3)
    assert np.mean(em.predict(X[censored]) < 0.3) > 0.8
    known = ~censored & (X[:, 0] > 0.4)  # away from the step
    rmse = lambda m: np.sqrt(np.mean((m.predict(X[known]) - y[known]) ** 2))  # noqa: E731
    assert rmse(em) < 2 * rmse(plain) + 0.01


def test_censoring_classifier_on_a_step():
    """Substrates below x = 0.3 never crystallise above the floor: the classifier gives them a
    high probability of lying below it and the others a low one, and beats the base rate."""
    from nucleate.train.select import classifier_metrics, fit_censoring_classifier

    rng = np.random.default_rng(1)
    X = rng.uniform(0.0, 1.0, (120, 2))  # the second column is noise
    censored = X[:, 0] + rng.normal(0.0, 0.03, 120) < 0.3
    clf = fit_censoring_classifier(X[:80], censored[:80])
    p = clf.predict_proba(np.array([[0.05, 0.5], [0.9, 0.5]]))[:, 1]
    assert p[0] > 0.9 and p[1] < 0.1
    m = classifier_metrics(censored[80:], clf.predict_proba(X[80:])[:, 1], censored[:80].mean())
    assert m["n"] == 40 and m["n_censored"] == censored[80:].sum()
    assert m["roc_auc"] > 0.95 and m["accuracy"] > 0.9
    assert m["brier"] < 0.5 * m["brier_base_rate"] and m["log_loss"] < m["log_loss_base_rate"]
    perfect = classifier_metrics(censored[80:], censored[80:].astype(float), 0.3)
    assert perfect["brier"] == 0 and perfect["roc_auc"] == 1 and perfect["accuracy"] == 1
    # too few of a class to fit: none
    assert fit_censoring_classifier(X[:10], np.r_[np.ones(2), np.zeros(8)].astype(bool)) is None


def test_descriptor_model_carries_its_censoring_classifier(tmp_path):
    """A saved descriptor model with a classifier reloads with it: the probability of lying below
    the floor for a row of descriptors, None where a descriptor it reads is undefined, and a clear
    error when the classifier's file is missing."""
    from nucleate.errors import InputError
    from nucleate.models.descriptor_model import DescriptorModel, save_descriptor_model
    from nucleate.models.regressors import make_regressor
    from nucleate.train.select import fit_censoring_classifier

    rng = np.random.default_rng(2)
    X = rng.uniform(0.0, 1.0, (60, 2))
    censored = X[:, 1] < 0.3
    reg = make_regressor("ridge").fit(X[:, :1], X[:, 0])
    clf = fit_censoring_classifier(X, censored)
    meta = {"columns": ["a"], "censoring": {"columns": ["a", "b"], "floor": 0.35}}
    pkl = save_descriptor_model(tmp_path, reg, meta, clf)
    model = DescriptorModel(pkl)
    assert model.floor == 0.35
    assert model.predict({"a": 0.4, "b": 0.9})[0] == pytest.approx(0.4, abs=1e-3)
    low, high = (
        model.p_below_floor({"a": 0.5, "b": 0.05}),
        model.p_below_floor({"a": 0.5, "b": 0.9}),
    )
    assert low > 0.8 and high < 0.2
    assert model.p_below_floor({"a": 0.5, "b": float("nan")}) is None
    (tmp_path / "censoring.pkl").unlink()
    with pytest.raises(InputError, match=r"censoring\.pkl"):
        DescriptorModel(pkl)
    # saved without one: no file, no probability
    save_descriptor_model(tmp_path, reg, {"columns": ["a"]})
    assert DescriptorModel(pkl).p_below_floor({"a": 0.5}) is None
