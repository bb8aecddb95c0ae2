"""The dataset directory: ``manifest.csv`` + ``samples/<id>/`` + a ``README.md`` data card.

A sample directory appears only when it is complete: it is written under a temporary name and
renamed into place in one step. The manifest lists only complete samples, each with the sha256 of
its files, and is itself replaced atomically. A crashed or killed writer therefore leaves either a
complete sample or a temporary directory that the next run removes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from nucleate.errors import InputError

MANIFEST = "manifest.csv"
SAMPLES = "samples"
#: the side of the slab a sample's liquid is on: campaigns build every film above its substrate, so
#: liquid that leaked through a holed slab (fcc111-disordered) is not a second interface
SAMPLE_SIDE = "top"
SAMPLE_JSON = "sample.json"
TMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"  # a sample being replaced by a topped-up one (see replace_sample)


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def sample_dir(root: str | os.PathLike, sample_id: str) -> Path:
    return Path(root) / SAMPLES / sample_id


def in_data_set(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a file of a sample of a nucleate data set
    (``<root>/samples/<id>/<file>`` with the root's manifest beside them)."""
    root = Path(path).parent.parent
    return root.name == SAMPLES and (root.parent / MANIFEST).is_file()


def sample_record(path: str | os.PathLike) -> dict | None:
    """The record (``sample.json``) of the data set sample whose file ``path`` is; None for any
    other file."""
    record = Path(path).parent / SAMPLE_JSON
    if not in_data_set(path) or not record.is_file():
        return None
    return json.loads(record.read_text())


def reading_side(path: str | os.PathLike, side: str | None) -> str | None:
    """The side of the slab to read ``path`` with: ``auto`` for a sample's file of a data set is
    :data:`SAMPLE_SIDE` (its film was built above the slab); anything else as given."""
    return SAMPLE_SIDE if side == "auto" and in_data_set(path) else side


def staging_dir(root: str | os.PathLike, sample_id: str) -> Path:
    """A fresh temporary directory to write a sample into before :func:`commit_sample`."""
    path = Path(root) / SAMPLES / f"{TMP_PREFIX}{sample_id}-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def commit_sample(root: str | os.PathLike, staging: Path, record: dict) -> Path:
    """Seal a staged sample: hash its files into ``sample.json`` and rename it into place."""
    files = sorted(p.name for p in staging.iterdir() if p.name != SAMPLE_JSON)
    record = {**record, "files": {name: sha256_of(staging / name) for name in files}}
    write_record(staging, record)
    final = sample_dir(root, record["id"])
    if final.exists():  # a finished duplicate (two runs racing): keep the first
        shutil.rmtree(staging)
        return final
    os.rename(staging, final)
    return final


def replace_sample(root: str | os.PathLike, staging: Path, record: dict) -> Path:
    """Seal a staged sample and put it in place of the existing sample of the same id (more ramps
    added to it). The old directory is first renamed aside to ``.old-<id>``: a run killed between
    the two renames leaves it there, and :func:`clean_staging` puts it back."""
    final = sample_dir(root, record["id"])
    if not final.exists():
        return commit_sample(root, staging, record)
    files = sorted(p.name for p in staging.iterdir() if p.name != SAMPLE_JSON)
    record = {**record, "files": {name: sha256_of(staging / name) for name in files}}
    write_record(staging, record)
    aside = final.with_name(f"{OLD_PREFIX}{final.name}")
    if aside.exists():
        shutil.rmtree(aside)
    os.rename(final, aside)
    os.rename(staging, final)
    shutil.rmtree(aside)
    return final


def write_record(path: Path, record: dict) -> None:
    """Write a sample's ``sample.json`` into its directory ``path`` (atomically)."""
    atomic_write_text(
        path / SAMPLE_JSON, json.dumps(record, indent=1, default=_json_default) + "\n"
    )


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in sample.json")


def clean_staging(root: str | os.PathLike) -> int:
    """Remove temporary sample directories left by killed runs (and put back a sample that a
    killed :func:`replace_sample` had moved aside); returns how many were removed."""
    base = Path(root) / SAMPLES
    if not base.exists():
        return 0
    for aside in [p for p in base.iterdir() if p.name.startswith(OLD_PREFIX)]:
        original = base / aside.name[len(OLD_PREFIX) :]
        if original.exists():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(aside, original)
    stale = [p for p in base.iterdir() if p.name.startswith(TMP_PREFIX)]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return len(stale)


def verify_sample(path: Path) -> dict | None:
    """The sample record if every file's sha256 matches, else None."""
    try:
        record = json.loads((path / SAMPLE_JSON).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    for name, digest in record.get("files", {}).items():
        f = path / name
        if not f.exists() or sha256_of(f) != digest:
            return None
    return record


def iter_records(root: str | os.PathLike, verify: bool = False) -> Iterator[dict]:
    """Records of the complete samples, in id order."""
    base = Path(root) / SAMPLES
    if not base.exists():
        return
    for path in sorted(base.iterdir()):
        if path.name.startswith((TMP_PREFIX, OLD_PREFIX)) or not (path / SAMPLE_JSON).exists():
            continue
        if verify:
            record = verify_sample(path)
        else:
            try:
                record = json.loads((path / SAMPLE_JSON).read_text())
            except (OSError, json.JSONDecodeError) as err:
                raise InputError(
                    f"{path / SAMPLE_JSON} is damaged ({type(err).__name__}); run nucleate "
                    "generate on the data set to remake the sample, or --verify to list problems"
                ) from None
        if record is not None:
            yield record


#: manifest columns before the per-sample parameters and labels
MANIFEST_COLUMNS = (
    "id", "family", "facet", "mismatch", "a_s", "eps_sl", "tn", "tn_std", "tn_censored",
    "n_ramps", "n_censored", "fcc", "hcp", "bcc", "other", "files", "sha256",
    "param", "value", "eps_sl2",
)  # fmt: skip


def manifest_row(record: dict) -> dict:
    params = record.get("parameters", {})
    labels = record.get("labels", {})
    poly = labels.get("polymorph") or {}
    files = record.get("files", {})
    return {
        "id": record["id"],
        "family": record.get("family", ""),
        "facet": params.get("facet", ""),
        "mismatch": params.get("mismatch", ""),
        "a_s": params.get("a_s", ""),
        "eps_sl": params.get("eps_sl", ""),
        "tn": _num(labels.get("tn")),
        "tn_std": _num(labels.get("tn_std")),
        "tn_censored": labels.get("tn_censored", ""),
        "n_ramps": labels.get("n_ramps", ""),
        "n_censored": labels.get("n_censored", ""),
        **{k: _num(poly.get(k)) for k in ("fcc", "hcp", "bcc", "other")},
        "files": ";".join(f"{SAMPLES}/{record['id']}/{name}" for name in sorted(files)),
        "sha256": ";".join(files[name] for name in sorted(files)),
        # a family's main parameter (the fcc facets': mismatch) and a second component's strength
        "param": params.get("param", "mismatch" if "mismatch" in params else ""),
        "value": params.get("value", params.get("mismatch", "")),
        "eps_sl2": "" if params.get("eps_sl2") is None else params["eps_sl2"],
        **rate_columns(record),
    }


def rate_columns(record: dict) -> dict:
    """The labels at each cooling rate of a several-rate sample, as manifest columns
    ``tn_r<rate>``, ``tn_std_r<rate>``, ``tn_censored_r<rate>``, ``n_ramps_r<rate>``."""
    out = {}
    for key, labels in (record.get("labels_by_rate") or {}).items():
        out[f"tn_r{key}"] = _num(labels.get("tn"))
        out[f"tn_std_r{key}"] = _num(labels.get("tn_std"))
        out[f"tn_censored_r{key}"] = labels.get("tn_censored", "")
        out[f"n_ramps_r{key}"] = labels.get("n_ramps", "")
    return out


def _num(value) -> str:
    return "" if value is None else f"{value:.6g}"


def write_manifest(root: str | os.PathLike, row=None, columns=None) -> int:
    """Rewrite ``manifest.csv`` from the complete samples (atomically); returns the row count.
    ``row`` (record -> dict) and ``columns`` default to the T_n data set's (with the per-rate
    columns of a several-rate set after them)."""
    rows = [(row or manifest_row)(r) for r in iter_records(root)]
    if columns is None:
        extra = dict.fromkeys(k for r in rows for k in r if k not in MANIFEST_COLUMNS)
        columns = [*MANIFEST_COLUMNS, *extra]
    path = Path(root) / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.tmp{os.getpid()}")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return len(rows)


def to_plain(value):
    """Tuples to lists, recursively: what YAML and JSON writers want."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def campaign_config(root: str | os.PathLike) -> dict:
    """The campaign configuration stored with a data set (``campaign.yaml``), or {}."""
    import yaml

    path = Path(root) / "campaign.yaml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


#: the labelling tasks a data set may be of: nucleation temperatures from cooling ramps, or per-atom
#: propensity from isoconfigurational ensembles
TASKS = ("tn", "propensity")


def task_of(campaign: dict) -> str:
    """The task of a data set from its campaign settings (``campaign.yaml``): a propensity data set
    keeps its settings under ``propensity``."""
    return "propensity" if "propensity" in campaign else "tn"


def as_float(value) -> float:
    """A manifest cell as a float: NaN when empty."""
    return float(value) if value not in ("", None) else float("nan")


def label_noise(rows: list[dict]):
    """(n,) noise of each manifest row's T_n label: the spread of its uncensored ramps /
    sqrt(their number) (that of their mean; the median used when some ramps are censored is
    taken as about as noisy); NaN where unknown (censored, or one ramp)."""
    import numpy as np

    std = np.array([as_float(r.get("tn_std")) for r in rows])
    used = np.array([as_float(r.get("n_ramps")) - as_float(r.get("n_censored")) for r in rows])
    return std / np.sqrt(np.where(used > 0, used, np.nan))


def read_manifest(root: str | os.PathLike) -> list[dict]:
    path = Path(root) / MANIFEST
    if not path.exists():
        raise InputError(f"{root}: no {MANIFEST}; is this a nucleate data set?")
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def verify_dataset(root: str | os.PathLike) -> list[str]:
    """Problems with a data set (empty list when it is sound): manifest rows whose files are
    missing or whose sha256 differs, duplicate ids, complete samples missing from the manifest."""
    root = Path(root)
    problems = []
    rows = read_manifest(root)
    ids = [r["id"] for r in rows]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids in the manifest")
    for row in rows:
        for name, digest in zip(row["files"].split(";"), row["sha256"].split(";"), strict=True):
            f = root / name
            if not f.exists():
                problems.append(f"{row['id']}: {name} missing")
            elif sha256_of(f) != digest:
                problems.append(f"{row['id']}: {name} sha256 differs")
    on_disk = set()
    base = root / SAMPLES
    for path in sorted(base.iterdir()) if base.exists() else []:
        if path.name.startswith((TMP_PREFIX, OLD_PREFIX)) or not (path / SAMPLE_JSON).exists():
            continue
        try:
            on_disk.add(json.loads((path / SAMPLE_JSON).read_text())["id"])
        except (OSError, json.JSONDecodeError, KeyError, TypeError):
            problems.append(f"{path.name}: {SAMPLES}/{path.name}/{SAMPLE_JSON} is damaged")
    for missing in sorted(on_disk - set(ids)):
        problems.append(f"{missing}: complete on disk but not in the manifest")
    return problems
