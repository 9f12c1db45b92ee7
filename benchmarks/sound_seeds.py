"""Mean and per-seed figures of the sound benchmark over its seeds.

Reads ``benchmarks/results/sound.json`` (seed 0) and ``sound_seed<N>.json`` (seed N, from
``benchmarks.sound_regen_vs_direct --name sound_seedN --out runs/bench-sound-seedN seed=N``)
and writes their ``over_seeds`` summary into sound.json: for each headline figure, its mean
and its value per seed, and per seed the share of the scored clips in each attribute's
commonest class (what a caption-blind output can score).

    .venv/bin/python -m benchmarks.sound_seeds
"""

from __future__ import annotations

import json
import re
import statistics
from typing import Any

import torch

from benchmarks.common import RESULTS
from benchmarks.sound_regen_vs_direct import RECIPE
from regen.config import load_recipe
from regen.tasks.sound.train import load_sound_data

# (name in the summary, path of keys into a seed's summary)
FIGURES = {
    "adherence_regen": ("caption_adherence", "regen"),
    "adherence_direct": ("caption_adherence", "direct"),
    "adherence_real": ("caption_adherence", "real"),
    "family_regen": ("caption_adherence_per_attribute", "regen", "adherence_family"),
    "family_direct": ("caption_adherence_per_attribute", "direct", "adherence_family"),
    "family_griffin_lim_true_mel": (
        "caption_adherence_per_attribute", "griffin-lim resynthesis", "adherence_family"),
    "family_codec_resynthesis": (
        "caption_adherence_per_attribute", "codec resynthesis", "adherence_family"),
    "local_fad_regen": ("local_fad", "regen"),
    "local_fad_direct": ("local_fad", "direct"),
    "local_fad_real_floor": ("local_fad", "real vs real (other tunes, floor)"),
    "realtime_batch_1_regen": ("generation_realtime_speedup", "batch_1", "regen"),
    "realtime_batch_1_interleaved_regen": (
        "generation_realtime_speedup", "batch_1_interleaved", "realtime_speedup", "regen"),
    "realtime_batch_1_interleaved_direct": (
        "generation_realtime_speedup", "batch_1_interleaved", "realtime_speedup", "direct"),
    "realtime_batch_16_regen": ("generation_realtime_speedup", "batch_16", "regen"),
    "train_seconds_regen": ("budget", "sides", "regen", "train_seconds"),
    "train_seconds_direct": ("budget", "sides", "direct", "train_seconds"),
    "load_average_mean": ("load_average_1min", "mean"),
    "wall_clock_seconds": ("wall_clock_seconds",),
}  # fmt: skip


def dig(summary: dict[str, Any], path: tuple[str, ...]) -> float | None:
    """The figure at ``path``, or None where a seed's file predates it."""
    for key in path:
        if not isinstance(summary, dict) or key not in summary:
            return None
        summary = summary[key]
    return float(summary)


def seed_summaries() -> dict[int, dict[str, Any]]:
    """Seed -> summary of every sound benchmark file present (the seed from its command)."""
    found = {}
    for path in sorted(RESULTS.glob("sound*.json")):
        if path.name == "sound.json" or path.stem.startswith("sound_seed"):
            summary = json.loads(path.read_text()).get("summary", {})
            if "budget" in summary:  # written by this version of the benchmark
                seed = re.search(r"\bseed=(\d+)", summary["command"])
                found[int(seed.group(1)) if seed else 0] = summary
    return dict(sorted(found.items()))


def over_seeds(summaries: dict[int, dict[str, Any]]) -> dict[str, Any]:
    table = {}
    for name, path in FIGURES.items():
        found = {str(seed): dig(s, path) for seed, s in summaries.items()}
        values = {seed: round(v, 4) for seed, v in found.items() if v is not None}
        if values:
            table[name] = {"mean": round(statistics.mean(values.values()), 4), "per_seed": values}
    wins = {
        "adherence": sum(s["caption_adherence"]["regen"] > s["caption_adherence"]["direct"]
                         for s in summaries.values()),
        "local_fad": sum(s["local_fad"]["regen"] < s["local_fad"]["direct"]
                         for s in summaries.values()),
    }  # fmt: skip
    return {"seeds": list(summaries), "figures": table, "regen_wins_of_seeds": wins}


def commonest_share(seed: int, scored: int) -> dict[str, float]:
    """Per attribute, the share of the scored held-out clips in its commonest class: what
    an output the classifier always puts in one (the right) class would score."""
    config = load_recipe(RECIPE, [f"seed={seed}"])
    test = load_sound_data(config).test
    return {
        name: round(float(torch.bincount(ids[:scored]).max()) / scored, 4)
        for name, ids in test.attributes.items()
    }


def main() -> None:
    summaries = seed_summaries()
    path = RESULTS / "sound.json"
    results = json.loads(path.read_text())
    results["summary"]["over_seeds"] = over_seeds(summaries)
    results["summary"]["over_seeds"]["commonest_class_share_of_scored_clips"] = {
        str(seed): commonest_share(seed, s["scale"]["clips_scored"])
        for seed, s in summaries.items()
    }
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results["summary"]["over_seeds"], indent=1))


if __name__ == "__main__":
    main()
