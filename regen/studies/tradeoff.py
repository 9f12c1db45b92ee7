"""RQ4, the X -> Y' vs Y' -> Y trade-off: sweep the size of Y' and see where quality peaks.

Points: the representation's spatial downsampling factor (1, 2, 4, 8; those that divide the
image side). A larger factor makes Y' smaller: easier to predict from X, harder to render Y
from. Each point reports the three sides of the trade-off:

* renderer: ``oracle_fid`` and ``psnr_reconstruction`` of rendering the true Y' (Y' -> Y);
* generator: ``generator_heldout_loss``, its own loss on held-out (X, encode(Y)) (X -> Y');
  latents are normalised to unit variance, so the per-element loss compares across sizes;
* end to end: ``fid`` and ``accuracy`` of X -> Y' -> Y.

The generator's UNet depth is lowered where a small latent cannot be halved that often.
"""

from __future__ import annotations

from typing import Any

from regen.report.study import errorbar_png, spread_table
from regen.studies.aggregate import point_stats
from regen.studies.runner import Point, PointContext, Study, Summary, train_and_evaluate, variants

FACTORS = (1, 2, 4, 8)
METRICS = [
    "fid",
    "oracle_fid",
    "psnr_reconstruction",
    "generator_heldout_loss",
    "accuracy",
    "train_seconds",
]


def points(config: Any) -> list[Point]:
    side = config.data.image_size
    result = []
    for factor in FACTORS:
        if side % factor:
            continue
        latent_side = side // factor
        depth = min(config.generator.depth, latent_side.bit_length())  # 2**(depth-1) | side
        result.append(
            Point(
                f"factor{factor}",
                {"factor": factor, "y_prime_side": latent_side},
                (f"representation.factor={factor}", f"generator.depth={depth}"),
            )
        )
    return result


def run_point(ctx: PointContext) -> dict[str, float]:
    return train_and_evaluate(ctx.config(), ctx.run_dir)


def summarize(records: list[dict[str, Any]]) -> Summary:
    rows = point_stats(records, METRICS)

    def curve(metric: str) -> dict[str, list[tuple[float, float, float]]]:
        return {
            metric: [(r["params"]["factor"], r[metric]["mean"], r[metric]["std"]) for r in rows]
        }

    xticks = [r["params"]["factor"] for r in rows]
    label = "downsampling factor of Y' (larger = smaller Y')"
    sections = [
        {
            "title": "End-to-end quality and rendering from true Y' (mean ± std over seeds)",
            "figure": errorbar_png(
                curve("fid") | curve("oracle_fid"),
                label,
                "domain-FID, lower is better",
                logx=True,
                xticks=xticks,
            ),
        },
        {
            "title": "Generator fit: held-out loss of X -> Y'",
            "figure": errorbar_png(
                curve("generator_heldout_loss"),
                label,
                "held-out loss per element",
                logx=True,
                xticks=xticks,
            ),
        },
        {
            "title": "Renderer error from true Y'",
            "figure": errorbar_png(
                curve("psnr_reconstruction"),
                label,
                "PSNR (dB), higher is better",
                logx=True,
                xticks=xticks,
            ),
        },
        {"title": "Table", "html": spread_table(rows, ["factor", "y_prime_side"], METRICS)},
    ]
    best = min(rows, key=lambda r: r["fid"]["mean"])
    values = {"best_factor": best["params"]["factor"], "rows": rows}
    text = (
        f"Best end-to-end FID at downsampling factor {best['params']['factor']} "
        f"({best['fid']['mean']:.3g} ± {best['fid']['std']:.2g}); "
        + "; ".join(
            f"x{r['params']['factor']}: FID {r['fid']['mean']:.3g}, oracle {r['oracle_fid']['mean']:.3g}, "
            f"generator loss {r['generator_heldout_loss']['mean']:.3g}"
            for r in rows
        )
        + "."
    )
    return Summary(values, sections, text, variants(rows, lambda p: f"factor {p['factor']}"))


STUDY = Study(
    name="tradeoff",
    question="RQ4: as Y' gets smaller, X -> Y' gets easier and Y' -> Y harder; which size of "
    "Y' gives the best end-to-end quality?",
    points=points,
    run_point=run_point,
    summarize=summarize,
)
