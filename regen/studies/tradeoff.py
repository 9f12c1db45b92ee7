"""RQ4, the X -> Y' vs Y' -> Y trade-off: sweep the size of Y' and see where quality peaks.

Axes (``regen study tradeoff RECIPE --axis NAME``), each making Y' smaller or larger; the
task's backend says which it sweeps (``AXES["tradeoff"]``, its default first) and which
values fit a recipe (``tradeoff_points(config, axis)``, a one-line ConfigError otherwise):

* ``factor``: the representation's spatial downsampling factor (image: 1, 2, 4, 8 dividing
  the image side; video: the 3-D VQ-VAE's ``space_factor``). A larger factor makes Y'
  smaller: easier to predict from X, harder to render Y from.
* ``time_factor``: the video VQ-VAE's temporal downsampling (frames per token).
* ``codebook``: ``representation.codebook_size`` (16, 64, 256, 1024) of discrete Y': more
  bits per token.
* ``levels``: ``representation.num_quantizers`` (1, 2, 4) of residual VQ: more tokens per
  position (or frame), each refining the residual of the previous levels.

Each point reports the three sides of the trade-off, in the task's metric names
(``MEASURES``, :mod:`regen.studies.measures`):

* renderer: the oracle (the headline rendering the true Y') and the reconstruction quality;
* generator: its own loss on held-out (X, encode(Y)) (X -> Y') where the task measures it;
  for tokens it is cross-entropy in nats per token, whose uniform guess is ln(codebook size)
  (the backend's ``uniform_loss(config)``), so ``generator_loss_over_uniform`` is reported
  too;
* end to end: the headline (domain-FID, local FAD, local FVD) and the fidelity to X.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from regen.report.study import errorbar_png, spread_table
from regen.studies.aggregate import point_stats
from regen.studies.measures import Measures
from regen.studies.runner import (
    Point,
    PointContext,
    Study,
    Summary,
    backend_for,
    train_and_evaluate,
    variants,
)

FACTORS = (1, 2, 4, 8)
TIME_FACTORS = (1, 2, 4, 8)
CODEBOOK_SIZES = (16, 64, 256, 1024)
LEVELS = (1, 2, 4)


@dataclass(frozen=True)
class Axis:
    """One way to change the size of Y': the point parameter it sets and how to plot it."""

    param: str  # the key in Point.params and the plots' x values
    label: str  # x-axis label


AXES = {
    "factor": Axis("factor", "downsampling factor of Y' (larger = smaller Y')"),
    "codebook": Axis("codebook_size", "codebook size of Y' (larger = more bits per token)"),
    "levels": Axis("num_quantizers", "residual VQ levels of Y' (more = more tokens)"),
    "time_factor": Axis("time_factor", "frames per token of Y' (larger = smaller Y')"),
}


def value_points(axis: str, values: tuple[int, ...], key: str | None = None) -> list[Point]:
    """One point per value, each setting ``representation.<key>`` (default: the axis's
    parameter); the common shape of a sweep over one representation setting."""
    param = AXES[axis].param
    key = key or param
    return [
        Point(f"{axis}{v}", {"axis": axis, param: v}, (f"representation.{key}={v}",))
        for v in values
    ]


def points(config: Any, axis: str = "factor") -> list[Point]:
    """The sweep points of ``axis`` for ``config``, from its task's backend; a recipe the
    axis cannot vary is a one-line ConfigError."""
    return backend_for(config.task).tradeoff_points(config, axis)


def run_point(ctx: PointContext) -> dict[str, float]:
    config = ctx.config()
    metrics = train_and_evaluate(config, ctx.run_dir)
    uniform = backend_for(config.task).uniform_loss(config)  # None for continuous Y'
    if uniform is not None and "generator_heldout_loss" in metrics:
        metrics["generator_loss_over_uniform"] = metrics["generator_heldout_loss"] / uniform
    return metrics


def metric_names(measures: Measures) -> list[str]:
    """The table's columns: headline, oracle, reconstruction, generator fit, fidelity."""
    names = [measures.headline.name, measures.oracle, measures.reconstruction.name]
    if measures.generator_loss:
        names += [measures.generator_loss, "generator_loss_over_uniform"]
    if measures.fidelity:
        names.append(measures.fidelity.name)
    return names + ["train_seconds"]


def summarize(records: list[dict[str, Any]]) -> Summary:
    measures: Measures = backend_for(records[0]["task"]).MEASURES
    head, oracle, loss = measures.headline, measures.oracle, measures.generator_loss
    metrics = metric_names(measures)
    rows = point_stats(records, metrics)
    axis_name = rows[0]["params"].get("axis", "factor")  # factor points predate the axes
    axis = AXES[axis_name]

    def curve(metric: str) -> dict[str, list[tuple[float, float, float]]]:
        return {
            metric: [(r["params"][axis.param], r[metric]["mean"], r[metric]["std"]) for r in rows]
        }

    def figure(names: list[str], ylabel: str) -> bytes:
        series = {k: v for m in names for k, v in curve(m).items()}
        return errorbar_png(series, axis.label, ylabel, logx=True, xticks=xticks)

    xticks = [r["params"][axis.param] for r in rows]
    sections = [
        {
            "title": "End-to-end quality and rendering from true Y' (mean ± std over seeds)",
            "figure": figure([head.name, oracle], head.axis_label),
        },
    ]
    has_loss = loss is not None and all(loss in r for r in rows)
    if has_loss:
        sections.append(
            {
                "title": "Generator fit: held-out loss of X -> Y'",
                "figure": figure([loss], "held-out loss per element"),
            }
        )
    if all("generator_loss_over_uniform" in r for r in rows):
        sections.append(
            {
                "title": "Generator fit relative to a uniform guess over the codebook",
                "figure": figure(["generator_loss_over_uniform"], "held-out loss / ln K"),
            }
        )
    columns = [k for k in rows[0]["params"] if k != "axis"]
    sections += [
        {
            "title": "Renderer error from true Y'",
            "figure": figure([measures.reconstruction.name], measures.reconstruction.axis_label),
        },
        {"title": "Table", "html": spread_table(rows, columns, metrics)},
    ]
    means = {i: r[head.name]["mean"] for i, r in enumerate(rows)}
    best = rows[head.best(means)]
    value = best["params"][axis.param]
    values = {"axis": axis_name, f"best_{axis.param}": value, "rows": rows}
    text = (
        f"Best end-to-end {head.label} at {axis.param} {value} "
        f"({best[head.name]['mean']:.3g} ± {best[head.name]['std']:.2g}); "
        + "; ".join(
            f"{axis.param} {r['params'][axis.param]}: {head.label} {r[head.name]['mean']:.3g}, "
            f"oracle {r[oracle]['mean']:.3g}"
            + (f", generator loss {r[loss]['mean']:.3g}" if has_loss else "")
            for r in rows
        )
        + "."
    )
    return Summary(
        values, sections, text, variants(rows, lambda p: f"{axis.param} {p[axis.param]}")
    )


STUDY = Study(
    name="tradeoff",
    question="RQ4: as Y' gets smaller, X -> Y' gets easier and Y' -> Y harder; which size of "
    "Y' gives the best end-to-end quality?",
    points=points,
    run_point=run_point,
    summarize=summarize,
    needs=("MEASURES", "AXES", "tradeoff_points", "uniform_loss"),
    axes=tuple(AXES),
)
