"""``nucleate select``: the descriptor route (correlation clustering, regressors)."""

from __future__ import annotations

from nucleate.cli.common import add_config_class

add_arguments = add_config_class("nucleate.train.select:SelectConfig")


def run(cfg) -> dict:
    """Descriptor selection and descriptor models; see :mod:`nucleate.train.select`."""
    from dataclasses import fields

    from nucleate.train.select import SelectConfig, run_selection

    config = SelectConfig(**{f.name: cfg[f.name] for f in fields(SelectConfig)})
    m = run_selection(config)
    top = ", ".join(f"{r['name']} ({r['kind']})" for r in m["ranking"][:4])
    print(f"top descriptors: {top}")
    print(f"chosen {m['chosen']} with {len(m['chosen_features'])} descriptors; test RMSE "
          f"{m['test'].get('rmse', float('nan')):.4f} (predict-the-mean "
          f"{m['test'].get('rmse_mean_baseline', float('nan')):.4f})")  # fmt: skip
    c = m.get("censoring", {}).get("test")
    if c:
        print(f"below the floor ({m['censoring']['floor']}): test Brier score {c['brier']:.3f} "
              f"(base rate {c['brier_base_rate']:.3f}), {c['n_censored']} of {c['n']} censored")  # fmt: skip
    print(f"report: {config.out}/report.html")
    return m
