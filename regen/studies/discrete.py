"""RQ6, discrete vs continuous Y': the same budget and the same Y' grid, two formats.

Points: ``continuous`` and ``discrete``, each a set of recipe overrides from the task's
backend (``discrete_formats(config)``), trained by its ``train_format(config, run_dir,
format)`` (a format that is no recipe setting is built there). Image: a VAE latent + conditional diffusion vs VQ
tokens from a codebook of ``representation.codebook_size`` + an autoregressive transformer,
both at the recipe's downsampling factor (so Y' has the same h x w positions:
``latent_channels`` floats vs one token per position). Sound: see regen/tasks/sound/study.py.
Both points keep the recipe's steps and batch sizes for every stage (the same budget in
training samples). The figures are the task's own (``MEASURES``,
:mod:`regen.studies.measures`).
"""

from __future__ import annotations

from typing import Any

from regen.report.study import bars_png, spread_table
from regen.studies.aggregate import point_stats
from regen.studies.measures import Measures
from regen.studies.runner import (
    Point,
    PointContext,
    Study,
    Summary,
    backend_for,
    variants,
)

FORMATS = ("continuous", "discrete")


def points(config: Any) -> list[Point]:
    formats = backend_for(config.task).discrete_formats(config)
    return [Point(name, {"y_prime": name}, tuple(formats[name])) for name in FORMATS]


def run_point(ctx: PointContext) -> dict[str, float]:
    """Train the point's format with the backend's ``train_format`` (the recipe overrides of
    ``discrete_formats`` already applied), then ``evaluate`` it."""
    config = ctx.config()
    backend = backend_for(config.task)
    pipeline, seconds = backend.train_format(config, ctx.run_dir, ctx.point.params["y_prime"])
    return backend.evaluate(pipeline, config) | {"train_seconds": seconds}


def metric_names(measures: Measures) -> list[str]:
    names = [measures.headline.name]
    names += [measures.fidelity.name] if measures.fidelity else []
    names += [measures.oracle, measures.reconstruction.name]
    names += [measures.speed] if measures.speed else []
    return names + ["train_seconds"]


def summarize(records: list[dict[str, Any]]) -> Summary:
    measures: Measures = backend_for(records[0]["task"]).MEASURES
    head = measures.headline
    metrics = metric_names(measures)
    rows = point_stats(records, metrics)
    labels = [r["params"]["y_prime"] for r in rows]
    plots = [
        (head.name, f"end-to-end {head.axis_label}"),
        (measures.oracle, f"{head.label} rendering true Y', {head.better} is better"),
    ]
    if measures.fidelity:
        plots.append((measures.fidelity.name, measures.fidelity.axis_label))
    sections = []
    for metric, note in [(m, note) for m, note in plots if all(m in r for r in rows)]:
        png = bars_png(
            labels, [r[metric]["mean"] for r in rows], [r[metric]["std"] for r in rows], note
        )
        sections.append(
            {"title": f"{metric}: continuous vs discrete (mean ± std over seeds)", "figure": png}
        )
    sections.append({"title": "Table", "html": spread_table(rows, ["y_prime"], metrics)})
    value = {r["params"]["y_prime"]: r[head.name]["mean"] for r in rows}
    values = {
        f"continuous_over_discrete_{head.name}": value["continuous"] / value["discrete"],
        "rows": rows,
    }
    text = (
        f"End-to-end {head.label} continuous {value['continuous']:.3g} vs discrete "
        f"{value['discrete']:.3g} ({head.better} is better) at the same budget."
    )
    return Summary(values, sections, text, variants(rows, lambda p: p["y_prime"]))


STUDY = Study(
    name="discrete",
    question="RQ6: at the same budget and Y' size, is a continuous latent with diffusion or "
    "quantized tokens with an autoregressive model the better Y'?",
    points=points,
    run_point=run_point,
    summarize=summarize,
    needs=("MEASURES", "discrete_formats", "train_format"),
)
