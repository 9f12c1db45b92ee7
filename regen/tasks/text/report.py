"""The text task's report.html, drawn from results.json alone (``regen report`` redraws it)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from regen.compare.records import read_results
from regen.report.html import machine_info
from regen.report.html import write_report as write_html

BARS = ("bleu", "chrf", "rouge_l", "template_f1")
SYSTEMS = ("regen", "direct", "direct_total", "direct_lm", "lead")  # direct_total: only
# with a pretrained renderer, when the two budget views differ


def all_pipelines(results: dict[str, Any]) -> list[dict[str, Any]]:
    return list(results["pipelines"]) + list(results.get("more_pipelines") or [])


def _bars(pipelines: list[dict[str, Any]]) -> Figure:
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    labels = [p["label"] for p in pipelines]
    width = 0.8 / max(1, len(labels))
    for i, pipeline in enumerate(pipelines):
        values = [pipeline["metrics"].get(m, 0.0) for m in BARS]
        axes.bar([j + i * width for j in range(len(BARS))], values, width, label=labels[i])
    axes.set_xticks([j + 0.4 - width / 2 for j in range(len(BARS))], BARS)
    axes.set_ylabel("score (higher is better)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _examples(rows: list[dict[str, str]]) -> str:
    blocks = []
    for row in rows:
        cells = [
            ("X (excerpt)", row["x"]),
            ("reference", row["reference"]),
            ("regen template", row.get("template", "")),
            *((label, row[label]) for label in SYSTEMS if label in row),
        ]
        body = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in cells
        )
        blocks.append(f"<h3>{html.escape(row['package'])}</h3><table>{body}</table>")
    return "\n".join(blocks)


def _data(results: dict[str, Any]) -> str:
    data = results.get("data") or {}
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in data.items()
    )
    ref = results.get("reference_stats") or {}
    stats = ", ".join(
        f"{k} {v:.3g}"
        for k, v in ref.items()
        if k
        in ("perplexity", "mean_words", "distinct_1", "self_bleu", "copy_rate", "hallucination")
    )
    return f"<table>{rows}</table><p class='muted'>The references themselves: {html.escape(stats)}.</p>"


def summary(results: dict[str, Any]) -> str:
    runs = {p["label"]: p["metrics"] for p in all_pipelines(results)}
    parts = [
        f"{label} BLEU {runs[label]['bleu']:.1f} / chrF {runs[label]['chrf']:.1f}"
        for label in SYSTEMS
        if label in runs
    ]
    return (
        f"{results['recipe']} vs {results['baseline']} on "
        f"{results['data']['test_scored']} held-out package records: " + "; ".join(parts) + "."
    )


def write_report(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    results = read_results(out_dir)
    pipelines = all_pipelines(results)
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": summary(results),
        "budget": results["budget"],
        "views": results.get("views"),
        "machine": machine_info(),
        "pipelines": pipelines,
        "metric_notes": results["metric_notes"],
        "extra_sections": [
            {"title": "Overlap with the references", "figure": _bars(pipelines)},
            {
                "title": "Held-out records: reference and outputs",
                "html": _examples(results["examples"]),
            },
            {"title": "Data", "html": _data(results)},
        ],
    }
    return write_html(report, out_dir / "report.html")
