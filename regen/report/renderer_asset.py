"""The report page of a pretrained renderer (``regen pretrain``): what it learned from, what
it cost, and its quality from the TRUE Y' on held-out data against the non-learned floor,
as numbers and as a learning curve."""

from __future__ import annotations

from pathlib import Path

from regen.report.html import machine_info, write_report
from regen.report.plots import line_plot_png
from regen.training.renderer_assets import learning_curve, read_record

REPORT_FILE = "report.html"


def write_asset_report(folder: Path) -> Path:
    """(Re)write ``report.html`` in a finished asset folder from its ``asset.json`` and log."""
    folder = Path(folder)
    record = read_record(folder)
    result = record["result"]
    stage = {k: result[k] for k in ("name", "steps", "samples_seen", "seconds")}
    pipelines = [
        {
            "name": "renderer, learned from unpaired data",
            "label": "renderer",
            "metrics": record["quality_from_true"],
            "stages": [stage | {"final_loss": (result["curve"] or [[0, None]])[-1][1]}],
            "curves": {"renderer": result["curve"]},
        }
    ]
    if record["floor"]:
        pipelines.append({"name": "non-learned floor", "metrics": record["floor"]})
    extra = []
    for metric, points in learning_curve(folder).items():
        series = {f"renderer from the true Y' ({metric})": points}
        if metric in record["floor"] and points:
            floor = record["floor"][metric]
            series["non-learned floor"] = [(points[0][0], floor), (points[-1][0], floor)]
        figure = line_plot_png(series, "training step", metric, title=f"{metric} while training")
        extra.append({"title": f"Learning curve: {metric}", "figure": figure})
    report = {
        "title": f"Pretrained {record['task']} renderer {record['key']}",
        "summary": f"Trained once on {record['data']}; reused by every compare and study "
        "whose recipe has the same renderer settings and data (pretrained_renderer: true).",
        "pipelines": pipelines,
        "metric_notes": record["notes"],
        "extra_sections": extra,
        "machine": machine_info(),
    }
    return write_report(report, folder / REPORT_FILE)
