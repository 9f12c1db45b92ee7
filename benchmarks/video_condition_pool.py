"""Does an attention-pooled caption condition make video latent diffusion follow captions?

video/latent_diffusion at its recipe's steps (per-frame VAE, then the UNet2D generator),
trained twice: generator.pool=mean (the masked mean of the caption tokens, as before) and
generator.pool=attention (learned queries attending over them). The VAE is trained once, in
the mean run, and copied into the attention run, so only the generator differs. Both are
scored on the dev split the video benchmark sweeps guidance on (held-out fonts, seed + 1;
benchmarks.video_regen_vs_direct.guidance_on_dev) at the recipe's guidance, with the
pooled-vector spread of benchmarks.video_condition_spread for each.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_condition_pool   # -> results/video_condition_pool.json
    # the generator steps of the benchmark's equal wall-clock row (where it swept guidance):
    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_condition_pool \
        --out runs/bench-video-pool-991 --results video_condition_pool_991 train.generator.steps=991
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from benchmarks.common import write_results
from benchmarks.video_condition_spread import spread
from benchmarks.video_condition_words import train
from benchmarks.video_regen_vs_direct import ROOT, guidance_on_dev
from regen.runs import load_run

COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_condition_pool"
POOLS = ("mean", "attention")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-video-pool")
    parser.add_argument(
        "--results", default="video_condition_pool", help="results/<NAME>.json (keeps a variant)"
    )
    parser.add_argument("overrides", nargs="*", help="key=value overrides for both runs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    rows = {}
    for pool in POOLS:
        run = args.out / pool
        vae = None if pool == POOLS[0] else args.out / POOLS[0] / "representation"
        rows[pool] = train(
            "latent_diffusion", run, [f"generator.pool={pool}", *args.overrides], vae
        )
        scale = load_run(run, task="video")[1].generator.guidance_scale
        rows[pool]["dev"] = guidance_on_dev(run, (scale,))
        rows[pool]["condition_spread"] = spread(run, 64)
        print(json.dumps({pool: rows[pool]}, indent=1), flush=True)
    summary = {
        "command": " ".join(
            [
                COMMAND,
                *(["--results", args.results] if args.results != "video_condition_pool" else []),
            ]
            + list(args.overrides)
        ),
        "setup": "video/latent_diffusion at its recipe steps; one per-frame VAE (trained in the"
        " mean run, copied into the attention run); generator.pool differs only. Scores on 64"
        " dev clips (held-out fonts, seed + 1) at the recipe's guidance; chance: direction 1/8.",
        "rows": rows,
        "wall_seconds": time.perf_counter() - start,
    }
    write_results(args.results, summary)


if __name__ == "__main__":
    main()
