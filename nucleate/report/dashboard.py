"""A static HTML dashboard comparing training runs side by side (works offline: pictures are
embedded): metrics table, parity plots, learning curves, saliency maps and config differences."""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path

from nucleate.errors import InputError
from nucleate.report.runs import load_metrics

PICTURES = ("parity.png", "learning_curves.png", "saliency.png", "figures/parity.png",
            "figures/ranking.png", "figures/error_vs_k.png")  # fmt: skip


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def write_dashboard(
    runs: list[str | os.PathLike], out: str | os.PathLike, sections: str = "", title: str = ""
) -> Path:
    """One HTML page for training runs (``nucleate train``) and descriptor runs (``nucleate
    select``); ``sections``: extra HTML placed before the metrics (the quickstart's prediction)."""
    import yaml

    runs = [Path(r) for r in runs]
    if not runs:
        raise InputError("give at least one run directory")
    loaded = []
    for r in runs:
        if not (r / "metrics.json").exists():
            raise InputError(f"{r}: not a training run (no metrics.json)")
        metrics = load_metrics(r)
        config = (
            yaml.safe_load((r / "config.yaml").read_text()) if (r / "config.yaml").exists() else {}
        )
        loaded.append((r, metrics, _flatten(config or {})))
    keys = sorted({k for _, _, c in loaded for k in c})
    differ = [k for k in keys if len({json.dumps(c.get(k), default=str) for _, _, c in loaded}) > 1]
    cols = [
        "rmse",
        "mae",
        "r2",
        "spearman",
        "rmse_mean_baseline",
        "coverage_1sigma",
        "coverage_2sigma",
    ]

    def cell(v):
        return f"{v:.4f}" if isinstance(v, float) else html.escape(str(v))

    head = "".join(
        f"<th>{c}</th>" for c in ["run", "model", "features", *[f"test {c}" for c in cols]]
    )
    body = ""
    for r, m, _ in loaded:
        t = m.get("test", {})
        body += "<tr>" + "".join(
            f"<td>{cell(v)}</td>"
            for v in [r.name, m.get("model", m.get("chosen", "?")),
                      m.get("features", "descriptors" if "chosen" in m else "?"),
                      *[t.get(c, "–") for c in cols]]
        ) + "</tr>"  # fmt: skip
    diff_rows = "".join(
        "<tr><td>" + html.escape(k) + "</td>" + "".join(
            f"<td>{html.escape(json.dumps(c.get(k), default=str))}</td>" for _, _, c in loaded
        ) + "</tr>"
        for k in differ
    )  # fmt: skip
    poly_section = _polymorph_section(loaded)
    figures = ""
    for r, _, _ in loaded:
        imgs = "".join(
            f'<figure><img src="data:image/png;base64,{base64.b64encode((r / p).read_bytes()).decode()}">'
            f"<figcaption>{p}</figcaption></figure>"
            for p in PICTURES if (r / p).exists()
        )  # fmt: skip
        figures += f"<h3>{html.escape(r.name)}</h3><div class='row'>{imgs}</div>"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>nucleate runs</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px}}.row{{display:flex;gap:1em;flex-wrap:wrap;align-items:flex-start}}
figure{{margin:0}}img{{max-width:420px}}</style></head><body>
<h1>{html.escape(title or f"nucleate: {len(loaded)} run(s)")}</h1>{sections}
<h2>Metrics (test part, touched once)</h2><table><tr>{head}</tr>{body}</table>
{poly_section}
<h2>Configuration differences</h2><table><tr><th>key</th>{"".join(f"<th>{html.escape(r.name)}</th>" for r, _, _ in loaded)}</tr>{diff_rows or "<tr><td>none</td></tr>"}</table>
<h2>Pictures</h2>{figures}</body></html>"""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    return out


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<figure><img src="data:image/png;base64,{data}"><figcaption>{path.name}</figcaption></figure>'


def _polymorph_section(loaded) -> str:
    """Polymorph selectivity of runs that predict it: metrics beside the baselines, predicted
    against observed fractions (per facet too), and the contact layers of the strongest and
    weakest nucleator in the q̄4–q̄6 plane."""
    rows, pictures = "", ""
    for r, m, _ in loaded:
        t = m.get("polymorph", {}).get("test")
        if not t:
            continue
        rows += "<tr>" + "".join(
            f"<td>{v}</td>" for v in [html.escape(r.name), t["n"], f"{t['mae']:.3f}",
                                       f"{t['mae_baseline']:.3f}", f"{t['majority_accuracy']:.2f}",
                                       f"{t['majority_accuracy_baseline']:.2f} ({t['baseline_class']})"]
        ) + "</tr>"  # fmt: skip
        imgs = "".join(_img(r / p) for p in ("polymorph.png", "precursor_maps.png")
                       if (r / p).exists())  # fmt: skip
        if imgs:
            pictures += f"<h3>{html.escape(r.name)}</h3><div class='row'>{imgs}</div>"
    if not rows:
        return ""
    head = ("<tr><th>run</th><th>test substrates</th><th>MAE of fractions</th><th>MAE, mean "
            "fractions</th><th>majority polymorph accuracy</th><th>majority-class baseline</th></tr>")  # fmt: skip
    return (f"<h2>Polymorph selectivity</h2><p>Which crystal the substrates grow (fractions fcc / "
            f"hcp / bcc / other of the crystal grown in the ramps), predicted on the test part."
            f"</p><table>{head}{rows}</table>{pictures}")  # fmt: skip
