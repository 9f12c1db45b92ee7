"""Lyric-to-melody: regen (lyrics -> template -> melody) vs direct (lyrics -> melody).

On the held-out Bach chorale segments, with the recipe melody/chorales_template and its
baseline melody/chorales_direct trained on the same budget (optimizer steps x batch):

1. PD, DD, MD, template accuracy, alignment and melodies/s of both pipelines (100% of pairs),
   plus two ablations that cost no training: the same regen generator rendered by the rule
   decoder of the template (no learned renderer), and the learned renderer unconstrained.
   Both 100% pipelines are also scored with sampling seeds 0..4 (mean and std), to show how
   far one seed's figures move without retraining.
2. Paired-data efficiency: the same at 50% and 25% of the training chorales. The renderer
   learns from unpaired melodies only, so the regen runs share the 100% run's renderer and
   retrain the generator; the direct baseline is retrained on the fewer pairs with the
   regen pipeline's whole budget.

Torch runs on one thread: on this shared 2-core machine, two threads spin-wait against the
other engineers' jobs and were measured ~40x slower for these small models.

    .venv/bin/python -m benchmarks.melody_regen_vs_direct   # writes benchmarks/results/melody.json
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import update_results
from regen.compare.harness import load_pair
from regen.pipeline import Pipeline
from regen.renderers.decoder import DecoderRenderer
from regen.tasks.melody.compare import evaluate_melodies
from regen.tasks.melody.train import melody_splits, train_melody

COMMAND = ".venv/bin/python -m benchmarks.melody_regen_vs_direct"
RECIPE = "melody/chorales_template"
FRACTIONS = (1.0, 0.5, 0.25)
QUICK = [
    "data.max_chorales=60",
    "data.folk_collections=[ryansMammoth]",
    "train.generator.steps=20",
    "train.renderer.steps=20",
]
KEYS = ("pd", "dd", "md")
SAMPLING_SEEDS = (0, 1, 2, 3, 4)


def _with_fraction(cfg, fraction: float):
    return dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, paired_fraction=fraction))


def _round(metrics: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def seed_spread(pipeline, test, cfg) -> dict[str, list[float]]:
    """Mean and standard deviation of PD/DD/MD over sampling seeds of one trained pipeline:
    how far one seed's figures can move without any retraining."""
    per_seed = [
        evaluate_melodies(pipeline, test, dataclasses.replace(cfg, seed=s))[0]
        for s in SAMPLING_SEEDS
    ]
    return {
        k: [
            round(float(np.mean([m[k] for m in per_seed])), 3),
            round(float(np.std([m[k] for m in per_seed])), 3),
        ]
        for k in KEYS
    }


def run(overrides: list[str], work: Path) -> dict:
    regen_cfg, direct_cfg = load_pair(RECIPE, overrides)
    rows: dict[str, dict] = {}
    for fraction in FRACTIONS:
        tag = f"{round(fraction * 100)}"
        regen_f, direct_f = (
            _with_fraction(regen_cfg, fraction),
            _with_fraction(direct_cfg, fraction),
        )
        data = melody_splits(regen_f)
        test = data["test"]
        regen_f.pretrained_renderer = True  # one renderer asset, shared by every fraction
        pipeline, results = train_melody(regen_f, work / f"regen_{tag}", data=data)
        metrics, _, _ = evaluate_melodies(pipeline, test, regen_f)
        metrics["train_seconds"] = sum(r.seconds for r in results)
        rows[f"regen_{tag}"] = metrics | {"pairs": len(data["paired"])}
        if fraction == 1.0:
            rule = Pipeline(
                pipeline.representation,
                pipeline.generator,
                DecoderRenderer(pipeline.representation),
            )
            rows["ablation_rule_renderer"] = evaluate_melodies(rule, test, regen_f)[0]
            pipeline.renderer.cfg = dataclasses.replace(pipeline.renderer.cfg, constrained=False)
            rows["ablation_unconstrained"] = evaluate_melodies(pipeline, test, regen_f)[0]
        direct, results = train_melody(direct_f, work / f"direct_{tag}", data=data)
        if fraction == 1.0:
            pipeline.renderer.cfg = dataclasses.replace(pipeline.renderer.cfg, constrained=True)
            rows["seed_spread_regen"] = seed_spread(pipeline, test, regen_f)
            rows["seed_spread_direct"] = seed_spread(direct, test, direct_f)
        metrics, _, _ = evaluate_melodies(direct, test, direct_f)
        metrics["train_seconds"] = sum(r.seconds for r in results)
        rows[f"direct_{tag}"] = metrics | {"pairs": len(data["paired"])}
    rows["test_segments"] = len(test)
    rows["budget_samples"] = (
        direct_cfg.train.generator.steps * direct_cfg.train.generator.batch_size
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run (not recorded)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="regen-melody-bench-") as folder:
        rows = run(QUICK if args.quick else [], Path(folder))
    seconds = time.perf_counter() - start
    regen, direct = rows["regen_100"], rows["direct_100"]
    summary = {f"{k}_regen": round(regen[k], 3) for k in KEYS}
    summary |= {f"{k}_direct": round(direct[k], 3) for k in KEYS}
    summary |= {
        "target_met": bool(
            regen["pd"] > direct["pd"] and regen["dd"] > direct["dd"] and regen["md"] < direct["md"]
        ),
        "template_accuracy_regen": {
            k.removeprefix("template_"): round(v, 3)
            for k, v in regen.items()
            if k.startswith("template_")
        },
        "melodies_per_s_regen": round(regen["melodies_per_s"], 1),
        "melodies_per_s_direct": round(direct["melodies_per_s"], 1),
        "seed_spread_100": {
            f"{side}_{k}_mean_std": rows[f"seed_spread_{side}"][k]
            for side in ("regen", "direct")
            for k in KEYS
        },
        "paired_efficiency": {
            f"{round(f * 100)}%": {
                f"{k}_{side}": round(rows[f"{side}_{round(f * 100)}"][k], 3)
                for side in ("regen", "direct")
                for k in KEYS
            }
            for f in FRACTIONS
        },
        "benchmark_seconds": round(seconds),
        "command": COMMAND,
    }
    if args.quick:
        print(summary)
        return
    data = {name: _round(row) if isinstance(row, dict) else row for name, row in rows.items()}
    path = update_results("melody", "regen_vs_direct", data, summary)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
