"""RQ3, paired-data efficiency: how much paired (X, Y) does regeneration need vs direct?

Points: paired fraction in 5/10/25/50/100 % x {regen, direct}. Every Y (100 %) still trains
the representation (and renderer); only the generator is limited to the paired items, for
both pipelines (``data.paired_fraction``). The direct baseline gets the regen recipe's
training budget in samples (optimizer steps x batch summed over stages, as ``regen compare``
sets it with ``compare.budget: samples``).
"""

from __future__ import annotations

from typing import Any

from regen.compare.harness import load_pair
from regen.report.study import errorbar_png, spread_table
from regen.studies.aggregate import point_stats
from regen.studies.runner import Point, PointContext, Study, Summary, train_and_evaluate, variants

FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)
PIPELINES = ("regen", "direct")
METRICS = ["fid", "accuracy", "kid", "precision", "recall", "train_seconds"]


def points(config: Any) -> list[Point]:
    return [
        Point(
            f"fraction{fraction:g}-{pipeline}",
            {"paired_fraction": fraction, "pipeline": pipeline},
            (f"data.paired_fraction={fraction}",),
        )
        for fraction in FRACTIONS
        for pipeline in PIPELINES
    ]


def run_point(ctx: PointContext) -> dict[str, float]:
    overrides = [*ctx.overrides, *ctx.point.overrides, *ctx.seed_overrides]
    regen_cfg, direct_cfg = load_pair(ctx.recipe, overrides)
    config = regen_cfg if ctx.point.params["pipeline"] == "regen" else direct_cfg
    return train_and_evaluate(config, ctx.run_dir)


def summarize(records: list[dict[str, Any]]) -> Summary:
    rows = point_stats(records, METRICS)
    sections = []
    for metric, note in (
        ("fid", "domain-FID, lower is better"),
        ("accuracy", "class accuracy, higher is better"),
    ):
        series = {
            pipeline: [
                (r["params"]["paired_fraction"] * 100, r[metric]["mean"], r[metric]["std"])
                for r in rows
                if r["params"]["pipeline"] == pipeline
            ]
            for pipeline in PIPELINES
        }
        png = errorbar_png(
            series, "paired data (%)", note, logx=True, xticks=[f * 100 for f in FRACTIONS]
        )
        sections.append(
            {"title": f"{metric} against paired fraction (mean ± std over seeds)", "figure": png}
        )
    sections.append(
        {"title": "Table", "html": spread_table(rows, ["paired_fraction", "pipeline"], METRICS)}
    )
    fid = {
        (r["params"]["paired_fraction"], r["params"]["pipeline"]): r["fid"]["mean"] for r in rows
    }
    ratios = {
        f: fid[(f, "direct")] / fid[(f, "regen")]
        for f in FRACTIONS
        if (f, "regen") in fid and (f, "direct") in fid
    }
    values = {"direct_over_regen_fid": {f"{f:g}": v for f, v in ratios.items()}, "rows": rows}
    if 0.1 in ratios:
        values["paired_10pct_regen_vs_direct"] = ratios[0.1]
    text = (
        "Direct FID ÷ regen FID per paired fraction: "
        + ", ".join(f"{f * 100:g}%: {v:.2f}" for f, v in ratios.items())
        + " (above 1: regeneration is better)."
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
)
