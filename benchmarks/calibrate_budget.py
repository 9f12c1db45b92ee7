"""Calibrate ``compare.calibrated_steps``: the direct baseline's generator steps that take as
long as the regeneration recipe's stages, measured so that machine load cancels out.

Each learned stage of the regeneration recipe and the baseline's generator are probed in turn,
in one process, ``--rounds`` times (best of 3 steps after a warm-up each time); the median per
stage is kept. Because the probes alternate, a busy machine slows all of them alike and the
ratio stays put. The regeneration seconds are sum(steps x probed step) over its stages, so the
figure excludes loop overhead (EMA, logging, checkpoints) on both sides.

    .venv/bin/python -m benchmarks.calibrate_budget image/glyphs_latent_diffusion

writes ``benchmarks/results/calibration.json`` and prints the line to put in the recipe.
"""

from __future__ import annotations

import argparse
import statistics
from functools import partial

import torch

from benchmarks.common import interleaved, update_results
from regen.config import load_with_baseline
from regen.tasks import get_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipe", nargs="?", default="image/glyphs_latent_diffusion")
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    regen_cfg, direct_cfg = load_with_baseline(args.recipe, args.overrides)
    hooks = get_task(regen_cfg.task).load("compare")
    data = hooks.load_data(regen_cfg)
    stages = hooks.learned_stages(regen_cfg)
    probes = {stage: partial(hooks.probe_step_seconds, regen_cfg, data, stage) for stage in stages}
    probes["direct generator"] = partial(hooks.probe_step_seconds, direct_cfg, data)
    times = interleaved(probes, args.rounds, "step seconds")
    step = {stage: statistics.median(values) for stage, values in times.items()}
    regen_seconds = sum(getattr(regen_cfg.train, s).steps * step[s] for s in stages)
    steps = max(1, round(regen_seconds / step["direct generator"]))
    command = "python -m benchmarks.calibrate_budget " + " ".join([args.recipe, *args.overrides])
    result = {
        "recipe": args.recipe,
        "overrides": args.overrides,
        "median_step_seconds": step,
        "all_step_seconds": times,
        "regen_step_seconds_total": regen_seconds,
        "calibrated_steps": steps,
        "command": command,
    }
    path = update_results("calibration", regen_cfg.name, result, {regen_cfg.name: steps})
    print(f"compare.calibrated_steps: {steps}   # {command} ({path.name})")


if __name__ == "__main__":
    main()
