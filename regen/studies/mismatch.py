"""RQ10, training-inference mismatch: rendering true Y' (oracle) vs Y' predicted from X.

The renderer (the decoder) is trained on Y' = encode(Y) but at inference renders Y' from the
generator. For the cascaded pipeline the study measures the end-to-end quality from predicted
Y' (``fid``) and from true Y' of the same held-out images (``oracle_fid``); the difference is
the gap. Three ways to close it, each at the same recipe:

* ``finetune_predicted``: tune the cascaded pipeline's decoder (``train.renderer`` steps) on
  the generator's predictions of Y' for the training images (SDEdit from the true Y', so
  each prediction still belongs to its image), paired with the true Y, mixed with as many
  true (encode(Y), Y) pairs;
* ``noise_augmented``: tune the decoder as long on encode(Y) plus Gaussian noise whose std is
  half the RMS error of those predictions;
* ``joint``: train the representation with the paper's Eq. 1 (``train.mode=joint``) instead
  of alone, then the usual generator; same steps as the cascaded pipeline.

Gap closed by a method = (fid_cascaded - fid_method) / (fid_cascaded - oracle_fid_cascaded),
per seed, then mean ± std. The two tuning methods start from the cascaded pipeline of the
same seed, trained once (a lock file keeps parallel workers from training it twice).
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

from regen.errors import ConfigError
from regen.report.study import bars_png, spread_table
from regen.studies.aggregate import mean_std, point_stats
from regen.studies.runner import (
    Point,
    PointContext,
    Study,
    Summary,
    backend_for,
    train_and_evaluate,
    variants,
)

METHODS = ("cascaded", "finetune_predicted", "noise_augmented", "joint")
METRICS = [
    "fid",
    "oracle_fid",
    "accuracy",
    "oracle_accuracy",
    "predicted_error_rms",
    "train_seconds",
]


def points(config: Any) -> list[Point]:
    if config.representation.kind not in ("ae", "vae") or config.generator.kind != "diffusion":
        raise ConfigError(
            "the mismatch study needs a continuous learned Y' with diffusion (representation.kind "
            "ae or vae, generator.kind diffusion), e.g. image/digits_latent_diffusion"
        )
    return [Point(method, {"method": method}) for method in METHODS]


def _cascaded(ctx: PointContext, config: Any) -> tuple[Any, float]:
    """The seed's cascaded pipeline, trained once in a folder the methods share."""
    base = ctx.run_dir.parent / f"cascaded-base-seed{ctx.seed}"
    base.parent.mkdir(parents=True, exist_ok=True)
    with open(Path(f"{base}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits, then finds it trained
        return backend_for(config.task).train(config, base)


def run_point(ctx: PointContext) -> dict[str, float]:
    method = ctx.point.params["method"]
    if method == "joint":
        return train_and_evaluate(ctx.config(["train.mode=joint"]), ctx.run_dir)
    config = ctx.config(["train.mode=cascaded"])
    backend = backend_for(config.task)
    pipeline, seconds = _cascaded(ctx, config)
    extra = {}
    if method != "cascaded":
        mode = "predicted" if method == "finetune_predicted" else "noise"
        extra = backend.tune_renderer(pipeline, config, mode, ctx.run_dir)
        seconds += extra["tuning_seconds"]
    return backend.evaluate(pipeline, config) | extra | {"train_seconds": seconds}


def gap_closed(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per method: the fraction of the cascaded oracle-vs-predicted FID gap it closes,
    computed per seed against the cascaded run of that seed; ``{"mean", "std", "seeds"}``."""
    base = {r["seed"]: r["metrics"] for r in records if r["params"]["method"] == "cascaded"}
    result = {}
    for method in METHODS[1:]:
        per_seed = {}
        for r in records:
            if r["params"]["method"] != method or r["seed"] not in base:
                continue
            b = base[r["seed"]]
            gap = b["fid"] - b["oracle_fid"]
            per_seed[r["seed"]] = (
                (b["fid"] - r["metrics"]["fid"]) / gap if gap > 0 else float("nan")
            )
        mean, std = mean_std(list(per_seed.values()))
        result[method] = {"mean": mean, "std": std, "seeds": per_seed}
    return result


def summarize(records: list[dict[str, Any]]) -> Summary:
    rows = point_stats(records, METRICS)
    closed = gap_closed(records)
    labels = [r["params"]["method"] for r in rows]
    cascaded = next(r for r in rows if r["params"]["method"] == "cascaded")
    sections = [
        {
            "title": "End-to-end FID from predicted Y' per method (mean ± std over seeds)",
            "figure": bars_png(
                labels,
                [r["fid"]["mean"] for r in rows],
                [r["fid"]["std"] for r in rows],
                "domain-FID, lower is better",
                reference=("cascaded, rendering true Y' (oracle)", cascaded["oracle_fid"]["mean"]),
            ),
        },
        {
            "title": "Fraction of the oracle-vs-predicted gap closed",
            "figure": bars_png(
                list(closed),
                [c["mean"] for c in closed.values()],
                [c["std"] for c in closed.values()],
                "gap closed (1 = oracle quality)",
                reference=("target 0.3", 0.3),
            ),
        },
        {"title": "Table", "html": spread_table(rows, ["method"], METRICS)},
    ]
    finite = {m: c["mean"] for m, c in closed.items() if c["mean"] == c["mean"]}
    best = max(finite, key=finite.get) if finite else None
    fid = {r["params"]["method"]: r["fid"]["mean"] for r in rows}
    values = {
        "gap": cascaded["fid"]["mean"] - cascaded["oracle_fid"]["mean"],
        "gap_closed": closed,
        "best_method": best,
        "mismatch_gap_closed": min(1.0, max(0.0, finite[best])) if best else None,
        "joint_vs_cascaded_ratio": fid["cascaded"] / fid["joint"] if "joint" in fid else None,
        "rows": rows,
    }
    text = (
        f"Cascaded FID {fid['cascaded']:.3g} from predicted Y' vs {cascaded['oracle_fid']['mean']:.3g} "
        "from true Y'. Gap closed: "
        + ", ".join(f"{m} {c['mean']:.2f} ± {c['std']:.2f}" for m, c in closed.items())
        + "."
    )
    return Summary(values, sections, text, variants(rows, lambda p: p["method"]))


STUDY = Study(
    name="mismatch",
    question="RQ10: how much worse is rendering predicted Y' than true Y', and how much of "
    "that gap do renderer fine-tuning, noise augmentation and the joint objective close?",
    points=points,
    run_point=run_point,
    summarize=summarize,
    needs=("tune_renderer",),
)
