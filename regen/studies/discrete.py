"""RQ6, discrete vs continuous Y': the same budget and the same Y' grid, two formats.

Points: ``continuous`` (VAE latent + conditional diffusion) and ``discrete`` (VQ tokens from
a codebook of ``representation.codebook_size`` + autoregressive transformer). Both keep the
recipe's downsampling factor (so Y' has the same h x w positions: ``latent_channels`` floats
vs one token per position) and the recipe's steps and batch sizes for every stage (the same
budget in training samples). Everything else comes from the recipe.
"""

from __future__ import annotations

from typing import Any

from regen.report.study import bars_png, spread_table
from regen.studies.aggregate import point_stats
from regen.studies.runner import Point, PointContext, Study, Summary, train_and_evaluate, variants

FORMATS = {
    "continuous": ("representation.kind=vae", "generator.kind=diffusion"),
    "discrete": ("representation.kind=vq", "generator.kind=autoregressive"),
}
METRICS = [
    "fid",
    "accuracy",
    "oracle_fid",
    "psnr_reconstruction",
    "sampling_images_per_s",
    "train_seconds",
]


def points(config: Any) -> list[Point]:
    return [Point(name, {"y_prime": name}, overrides) for name, overrides in FORMATS.items()]


def run_point(ctx: PointContext) -> dict[str, float]:
    return train_and_evaluate(ctx.config(), ctx.run_dir)


def summarize(records: list[dict[str, Any]]) -> Summary:
    rows = point_stats(records, METRICS)
    labels = [r["params"]["y_prime"] for r in rows]
    sections = []
    for metric, note in (
        ("fid", "end-to-end domain-FID, lower is better"),
        ("oracle_fid", "FID rendering true Y', lower is better"),
        ("accuracy", "class accuracy of samples, higher is better"),
    ):
        png = bars_png(
            labels, [r[metric]["mean"] for r in rows], [r[metric]["std"] for r in rows], note
        )
        sections.append(
            {"title": f"{metric}: continuous vs discrete (mean ± std over seeds)", "figure": png}
        )
    sections.append({"title": "Table", "html": spread_table(rows, ["y_prime"], METRICS)})
    fid = {r["params"]["y_prime"]: r["fid"]["mean"] for r in rows}
    values = {"continuous_over_discrete_fid": fid["continuous"] / fid["discrete"], "rows": rows}
    text = (
        f"End-to-end FID continuous {fid['continuous']:.3g} vs discrete {fid['discrete']:.3g} "
        "at the same budget and Y' grid."
    )
    return Summary(values, sections, text, variants(rows, lambda p: p["y_prime"]))


STUDY = Study(
    name="discrete",
    question="RQ6: at the same budget and Y' size, is a continuous latent with diffusion or "
    "quantized tokens with an autoregressive model the better Y'?",
    points=points,
    run_point=run_point,
    summarize=summarize,
)
