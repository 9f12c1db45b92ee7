"""RQ4, the X -> Y' vs Y' -> Y trade-off: sweep the size of Y' and see where quality peaks.

Three axes (``regen study tradeoff RECIPE --axis NAME``), each making Y' smaller or larger:

* ``factor`` (default): the representation's spatial downsampling factor (1, 2, 4, 8; those
  that divide the image side). A larger factor makes Y' smaller: easier to predict from X,
  harder to render Y from. The generator's UNet depth is lowered where a small latent cannot
  be halved that often (diffusion generators only).
* ``codebook``: ``representation.codebook_size`` (16, 64, 256, 1024) of discrete Y' (vq or
  rvq recipes, e.g. image/digits_vq_ar): more bits per token.
* ``levels``: ``representation.num_quantizers`` (1, 2, 4) of residual VQ (kind rvq): more
  tokens per position, each refining the residual of the previous levels.

Each point reports the three sides of the trade-off:

* renderer: ``oracle_fid`` and ``psnr_reconstruction`` of rendering the true Y' (Y' -> Y);
* generator: ``generator_heldout_loss``, its own loss on held-out (X, encode(Y)) (X -> Y');
  continuous latents are normalised to unit variance, so the per-element loss compares
  across factors; for tokens it is cross-entropy in nats per token, whose uniform guess is
  ln(codebook size), so ``generator_loss_over_uniform`` (loss / ln K) is reported too;
* end to end: ``fid`` and ``accuracy`` of X -> Y' -> Y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from regen.errors import ConfigError
from regen.report.study import errorbar_png, spread_table
from regen.studies.aggregate import point_stats
from regen.studies.runner import Point, PointContext, Study, Summary, train_and_evaluate, variants

FACTORS = (1, 2, 4, 8)
CODEBOOK_SIZES = (16, 64, 256, 1024)
LEVELS = (1, 2, 4)
DISCRETE = ("vq", "rvq")
METRICS = [
    "fid",
    "oracle_fid",
    "psnr_reconstruction",
    "generator_heldout_loss",
    "generator_loss_over_uniform",
    "accuracy",
    "train_seconds",
]


@dataclass(frozen=True)
class Axis:
    """One way to change the size of Y': the point parameter it sets and how to plot it."""

    param: str  # the key in Point.params and the plots' x values
    label: str  # x-axis label
    columns: tuple[str, ...]  # parameter columns of the table


AXES = {
    "factor": Axis(
        "factor", "downsampling factor of Y' (larger = smaller Y')", ("factor", "y_prime_side")
    ),
    "codebook": Axis(
        "codebook_size", "codebook size of Y' (larger = more bits per token)", ("codebook_size",)
    ),
    "levels": Axis(
        "num_quantizers", "residual VQ levels of Y' (more = more tokens)", ("num_quantizers",)
    ),
}

FITS = {  # axis -> (representation kinds it can vary, how to get one)
    "codebook": (DISCRETE, "use a VQ recipe such as image/digits_vq_ar"),
    "levels": (("rvq",), "e.g. image/digits_vq_ar representation.kind=rvq"),
}


def points(config: Any, axis: str = "factor") -> list[Point]:
    """The sweep points of ``axis`` for ``config``; refuses a recipe the axis cannot vary."""
    if axis in FITS:
        kinds, fix = FITS[axis]
        kind = config.representation.kind
        if kind not in kinds:
            raise ConfigError(
                f"--axis {axis} needs representation.kind {' or '.join(kinds)}, not {kind}; {fix}"
            )
        key = AXES[axis].param
        values = {"codebook": CODEBOOK_SIZES, "levels": LEVELS}[axis]  # read now: tests patch
        return [
            Point(f"{axis}{v}", {"axis": axis, key: v}, (f"representation.{key}={v}",))
            for v in values
        ]
    side = config.data.image_size
    result = []
    for factor in FACTORS:
        if side % factor:
            continue
        latent_side = side // factor
        overrides = [f"representation.factor={factor}"]
        if config.generator.kind == "diffusion":  # its UNet halves the latent depth-1 times
            depth = min(config.generator.depth, latent_side.bit_length())  # 2**(depth-1) | side
            overrides.append(f"generator.depth={depth}")
        result.append(
            Point(
                f"factor{factor}",
                {"factor": factor, "y_prime_side": latent_side},
                tuple(overrides),
            )
        )
    return result


def run_point(ctx: PointContext) -> dict[str, float]:
    config = ctx.config()
    metrics = train_and_evaluate(config, ctx.run_dir)
    if config.representation.kind in DISCRETE and "generator_heldout_loss" in metrics:
        uniform = math.log(config.representation.codebook_size)  # nats of a uniform guess
        metrics["generator_loss_over_uniform"] = metrics["generator_heldout_loss"] / uniform
    return metrics


def summarize(records: list[dict[str, Any]]) -> Summary:
    rows = point_stats(records, METRICS)
    axis_name = rows[0]["params"].get("axis", "factor")  # factor points predate the axes
    axis = AXES[axis_name]

    def curve(metric: str) -> dict[str, list[tuple[float, float, float]]]:
        return {
            metric: [(r["params"][axis.param], r[metric]["mean"], r[metric]["std"]) for r in rows]
        }

    def figure(metrics: list[str], ylabel: str) -> bytes:
        series = {k: v for m in metrics for k, v in curve(m).items()}
        return errorbar_png(series, axis.label, ylabel, logx=True, xticks=xticks)

    xticks = [r["params"][axis.param] for r in rows]
    sections = [
        {
            "title": "End-to-end quality and rendering from true Y' (mean ± std over seeds)",
            "figure": figure(["fid", "oracle_fid"], "domain-FID, lower is better"),
        },
        {
            "title": "Generator fit: held-out loss of X -> Y'",
            "figure": figure(["generator_heldout_loss"], "held-out loss per element"),
        },
    ]
    if all("generator_loss_over_uniform" in r for r in rows):
        sections.append(
            {
                "title": "Generator fit relative to a uniform guess over the codebook",
                "figure": figure(["generator_loss_over_uniform"], "held-out loss / ln K"),
            }
        )
    sections += [
        {
            "title": "Renderer error from true Y'",
            "figure": figure(["psnr_reconstruction"], "PSNR (dB), higher is better"),
        },
        {"title": "Table", "html": spread_table(rows, list(axis.columns), METRICS)},
    ]
    best = min(rows, key=lambda r: r["fid"]["mean"])
    values = {"axis": axis_name, f"best_{axis.param}": best["params"][axis.param], "rows": rows}
    text = (
        f"Best end-to-end FID at {axis.param} {best['params'][axis.param]} "
        f"({best['fid']['mean']:.3g} ± {best['fid']['std']:.2g}); "
        + "; ".join(
            f"{axis.param} {r['params'][axis.param]}: FID {r['fid']['mean']:.3g}, "
            f"oracle {r['oracle_fid']['mean']:.3g}, "
            f"generator loss {r['generator_heldout_loss']['mean']:.3g}"
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
    axes=tuple(AXES),
)
