"""RQ3, paired-data efficiency: how much paired (X, Y) does regeneration need vs direct?

Points: paired fraction x {regen, direct}. The fractions are the recipe's ``eval.fractions``
when it has them (ASR), else the backend's ``FRACTIONS``, else 5/10/25/50/100 %. Every Y
(100 %) still trains the representation (and renderer); only the generator is limited to the
paired items, for both pipelines (the recipe key the backend names as ``FRACTION_KEY``).

Budget: the direct baseline gets the regen recipe's ``compare.budget`` rule, planned before
training (:func:`regen.compare.harness.load_pair`): ``samples`` (optimizer steps x batch
summed over regen's learned stages, renderer included) or ``steps``, or a ``seconds`` rule's
``compare.calibrated_steps``. A live ``seconds`` rule falls back to ``samples`` here: the two
pipelines train in separate points, so there is no measured regen time to match.

What the task measures comes from its study backend (``Task.study``):

    HEADLINE = (metric, "lower" | "higher")   the end-to-end metric and which way is better
    PAIRED_METRICS = [...]                     the table's columns
    PAIRED_PLOTS = {metric: y-axis label}      one curve figure each (default: the headline)
    FRACTION_KEY = "data.paired_fraction"      the recipe key that sets the paired share
    FRACTIONS = (...)                          optional default fractions

Summary: ``<ratio name>_<metric>`` per fraction (``direct_over_regen_fid`` for a
lower-is-better FID, ``regen_over_direct_<m>`` for a higher-is-better metric): above 1 means
regeneration is better; ``paired_10pct_regen_vs_direct`` is its value at 10 %.
"""

from __future__ import annotations

import math
from typing import Any

from regen.compare.budget import planned
from regen.compare.harness import load_pair
from regen.errors import ConfigError
from regen.report.study import errorbar_png, spread_table
from regen.studies.aggregate import point_stats
from regen.studies.runner import (
    Point,
    PointContext,
    Study,
    Summary,
    backend_for,
    train_and_evaluate,
    variants,
)
from regen.tasks import get_task

FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)
PIPELINES = ("regen", "direct")
DIRECTIONS = ("lower", "higher")


def fractions(config: Any, backend: Any) -> list[float]:
    """The paired fractions to sweep: ``eval.fractions`` of the recipe, else the backend's
    ``FRACTIONS``, else :data:`FRACTIONS`."""
    from_recipe = getattr(getattr(config, "eval", None), "fractions", None)
    return list(from_recipe or getattr(backend, "FRACTIONS", None) or FRACTIONS)


def headline(backend: Any) -> tuple[str, str]:
    """``(metric, "lower" | "higher")``: the backend's end-to-end metric and its direction."""
    metric, better = backend.HEADLINE
    if better not in DIRECTIONS:
        raise ConfigError(f"HEADLINE direction must be lower or higher, got {better!r}")
    return metric, better


def regen_advantage(regen: float, direct: float, better: str) -> float:
    """How many times better regen scores than direct: direct ÷ regen for a lower-is-better
    metric, regen ÷ direct for a higher-is-better one; above 1 means regeneration is better.

    For non-negative metrics; a zero denominator gives inf (or nan when both are zero).
    """
    top, bottom = (direct, regen) if better == "lower" else (regen, direct)
    if bottom == 0:
        return math.inf if top > 0 else math.nan
    return top / bottom


def ratio_name(metric: str, better: str) -> str:
    """The summary key of :func:`regen_advantage` per fraction, named as it is computed."""
    return f"{'direct_over_regen' if better == 'lower' else 'regen_over_direct'}_{metric}"


def points(config: Any) -> list[Point]:
    backend = backend_for(config.task)
    key = backend.FRACTION_KEY
    return [
        Point(
            f"fraction{fraction:g}-{pipeline}",
            {"paired_fraction": fraction, "pipeline": pipeline},
            (f"{key}={fraction}",),
        )
        for fraction in fractions(config, backend)
        for pipeline in PIPELINES
    ]


def run_point(ctx: PointContext) -> dict[str, float]:
    overrides = [*ctx.overrides, *ctx.point.overrides, *ctx.seed_overrides]
    regen_cfg, direct_cfg = load_pair(ctx.recipe, overrides)
    config = regen_cfg if ctx.point.params["pipeline"] == "regen" else direct_cfg
    # the loop trains exactly steps x batch per stage: the budget each point was given
    stages = get_task(config.task).load("compare").learned_stages(config)
    samples, _ = planned(config.train, stages)
    return train_and_evaluate(config, ctx.run_dir) | {"samples_seen": float(samples)}


def summarize(records: list[dict[str, Any]]) -> Summary:
    backend = backend_for(records[0]["task"])
    metric, better = headline(backend)
    plots = getattr(backend, "PAIRED_PLOTS", None) or {metric: f"{metric}, {better} is better"}
    columns = backend.PAIRED_METRICS
    rows = point_stats(records, columns)
    swept = sorted({r["params"]["paired_fraction"] for r in rows})
    sections = []
    for name, label in plots.items():
        if not any(name in r for r in rows):
            continue
        series = {
            pipeline: [
                (r["params"]["paired_fraction"] * 100, r[name]["mean"], r[name]["std"])
                for r in rows
                if r["params"]["pipeline"] == pipeline and name in r
            ]
            for pipeline in PIPELINES
        }
        png = errorbar_png(
            series, "paired data (%)", label, logx=True, xticks=[f * 100 for f in swept]
        )
        sections.append(
            {"title": f"{name} against paired fraction (mean ± std over seeds)", "figure": png}
        )
    sections.append(
        {"title": "Table", "html": spread_table(rows, ["paired_fraction", "pipeline"], columns)}
    )
    means = {
        (r["params"]["paired_fraction"], r["params"]["pipeline"]): r[metric]["mean"]
        for r in rows
        if metric in r
    }
    ratios = {
        f: regen_advantage(means[(f, "regen")], means[(f, "direct")], better)
        for f in swept
        if (f, "regen") in means and (f, "direct") in means
    }
    values: dict[str, Any] = {
        "headline": {"metric": metric, "better": better},
        ratio_name(metric, better): {f"{f:g}": v for f, v in ratios.items()},
        "rows": rows,
    }
    if 0.1 in ratios:
        values["paired_10pct_regen_vs_direct"] = ratios[0.1]
    quotient = f"direct {metric} ÷ regen {metric}"
    if better == "higher":
        quotient = f"regen {metric} ÷ direct {metric}"
    text = (
        f"{quotient[0].upper()}{quotient[1:]} per paired fraction ({metric}: {better} is "
        "better): "
        + ", ".join(f"{f * 100:g}%: {v:.2f}" for f, v in ratios.items())
        + " (above 1: regeneration is better). The direct baseline gets the regen recipe's "
        "budget rule planned before training (samples, steps or calibrated seconds; a live "
        "seconds rule counts samples here), see samples_seen."
    )
    return Summary(
        values,
        sections,
        text,
        variants(rows, lambda p: f"{p['pipeline']} {p['paired_fraction'] * 100:g}%"),
    )


STUDY = Study(
    name="paired",
    question="RQ3: how does quality depend on the fraction of paired (X, Y) data when all Y "
    "train the representation, for regeneration vs the direct baseline?",
    points=points,
    run_point=run_point,
    summarize=summarize,
    needs=("HEADLINE", "PAIRED_METRICS", "PAIRED_PLOTS", "FRACTION_KEY"),
)
