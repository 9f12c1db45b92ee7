"""RQ10, training-inference mismatch: rendering true Y' (oracle) vs Y' predicted from X.

The renderer (the decoder) is trained on Y' = encode(Y) but at inference renders Y' from the
generator. For the cascaded pipeline the study measures the end-to-end quality from predicted
Y' (the task's headline, e.g. ``fid``) and from true Y' of the same held-out items (its oracle
twin, e.g. ``oracle_fid``); the difference is the gap. The names and which way is better come
from the task backend's ``MEASURES``, as in the tradeoff study. Three ways to close it, each at the same recipe:

* ``finetune_predicted``: tune the cascaded pipeline's decoder (``train.renderer`` steps) on
  the generator's predictions of Y' for the training images (SDEdit from the true Y', so
  each prediction still belongs to its image), paired with the true Y, mixed with as many
  true (encode(Y), Y) pairs;
* ``noise_augmented``: tune the decoder as long on encode(Y) plus Gaussian noise whose std is
  half the RMS error of those predictions;
* ``joint``: train the representation with the paper's Eq. 1 (``train.mode=joint``) instead
  of alone, then the usual generator; same steps as the cascaded pipeline.

Gap closed by a method = (head_cascaded - head_method) / (head_cascaded - oracle_cascaded) for
a lower-is-better headline (signs flipped for higher-is-better), per seed, then mean ± std. The two tuning methods start from the cascaded pipeline of the
same seed, trained once (a lock file keeps parallel workers from training it twice).
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

from regen.errors import ConfigError
from regen.report.study import bars_png, spread_table
from regen.studies.aggregate import mean_std, point_stats
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

METHODS = ("cascaded", "finetune_predicted", "noise_augmented", "joint")


def metric_names(measures: Measures) -> list[str]:
    """The table's columns: headline and oracle, fidelity to X and its oracle, tuning cost."""
    names = [measures.headline.name, measures.oracle]
    if measures.fidelity:
        names += [measures.fidelity.name, f"oracle_{measures.fidelity.name}"]
    return names + ["predicted_error_rms", "train_seconds"]


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


def gap_closed(records: list[dict[str, Any]], measures: Measures) -> dict[str, dict[str, Any]]:
    """Per method: the fraction of the cascaded oracle-vs-predicted gap in the headline metric
    that it closes, computed per seed against the cascaded run of that seed;
    ``{"mean", "std", "seeds"}``. Positive means the method moved toward the oracle."""
    head, oracle = measures.headline.name, measures.oracle
    sign = 1.0 if measures.headline.better == "lower" else -1.0
    base = {r["seed"]: r["metrics"] for r in records if r["params"]["method"] == "cascaded"}
    result = {}
    for method in METHODS[1:]:
        per_seed = {}
        for r in records:
            if r["params"]["method"] != method or r["seed"] not in base:
                continue
            b = base[r["seed"]]
            gap = sign * (b[head] - b[oracle])
            per_seed[r["seed"]] = (
                sign * (b[head] - r["metrics"][head]) / gap if gap > 0 else float("nan")
            )
        mean, std = mean_std(list(per_seed.values()))
        result[method] = {"mean": mean, "std": std, "seeds": per_seed}
    return result


def summarize(records: list[dict[str, Any]]) -> Summary:
    measures: Measures = backend_for(records[0]["task"]).MEASURES
    head, oracle = measures.headline, measures.oracle
    metrics = metric_names(measures)
    rows = point_stats(records, metrics)
    closed = gap_closed(records, measures)
    labels = [r["params"]["method"] for r in rows]
    cascaded = next(r for r in rows if r["params"]["method"] == "cascaded")
    sections = [
        {
            "title": f"End-to-end {head.label} from predicted Y' per method (mean ± std over seeds)",
            "figure": bars_png(
                labels,
                [r[head.name]["mean"] for r in rows],
                [r[head.name]["std"] for r in rows],
                head.axis_label,
                reference=("cascaded, rendering true Y' (oracle)", cascaded[oracle]["mean"]),
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
        {"title": "Table", "html": spread_table(rows, ["method"], metrics)},
    ]
    finite = {m: c["mean"] for m, c in closed.items() if c["mean"] == c["mean"]}
    best = max(finite, key=finite.get) if finite else None
    value = {r["params"]["method"]: r[head.name]["mean"] for r in rows}
    values = {
        "headline": head.name,
        "gap": abs(cascaded[head.name]["mean"] - cascaded[oracle]["mean"]),
        "gap_closed": closed,
        "best_method": best,
        "mismatch_gap_closed": min(1.0, max(0.0, finite[best])) if best else None,
        # cascaded ÷ joint in the headline: above 1 means joint is better for a
        # lower-is-better headline (FID), worse for a higher-is-better one
        "joint_vs_cascaded_ratio": value["cascaded"] / value["joint"] if "joint" in value else None,
        "rows": rows,
    }
    text = (
        f"Cascaded {head.label} {value['cascaded']:.3g} from predicted Y' vs "
        f"{cascaded[oracle]['mean']:.3g} from true Y'. Gap closed: "
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
    needs=("MEASURES", "tune_renderer"),
)
