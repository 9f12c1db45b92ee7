"""Sampling speed of the video benchmark's trained pipelines, timed interleaved.

The clips/s of ``benchmarks.video_regen_vs_direct`` are timed once per pipeline, minutes
apart, on a shared machine: two runs of the same latent-diffusion network measured 17.8 and
8.6 clips/s there. Here every pipeline samples the same ``--batch`` captions (one batch,
the benchmark's eval.batch_size) in each of ``--rounds`` rounds, the pipelines in turn
within a round, after one warm-up batch each; the median and best clips/s per pipeline and
the speedups over direct (from the medians) go to ``summary.sampling_interleaved`` of
results/video.json. Diffusion rows: DDIM, 25 steps, guidance 2 (their recipes). In the same
rounds the latent-diffusion batch is also timed in its two parts, generate (caption encoding
and the UNet's steps) and render (the per-frame VAE decoder), to show where its time goes.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_sampling_speed   # after the benchmark
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import torch

from benchmarks.common import interleaved, update_results
from regen.pipeline import Pipeline
from regen.runs import load_run
from regen.tasks.video.data import load_split

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_sampling_speed"
RUNS = {  # benchmark row -> run folder under --out
    "regen_ar": "compare/video_latent_tokens",
    "regen_masked": "masked",
    "regen_latent_diffusion": "latent",
    "direct": "compare/video_direct",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-video")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    pipelines = {name: load_run(args.out / folder, task="video") for name, folder in RUNS.items()}
    config = pipelines["direct"][1]
    probe = load_split(config.data, "test", config.seed)
    captions = probe.captions[-args.batch :]  # captions of the probe half
    for pipeline, cfg in pipelines.values():
        pipeline.sample(captions[:2], seed=cfg.seed)  # warm-up

    def timed(pipeline: Pipeline, seed: int) -> float:
        start = time.perf_counter()
        pipeline.sample(captions, seed=seed, batch_size=args.batch)
        return time.perf_counter() - start

    latent = pipelines["regen_latent_diffusion"][0]
    x = latent.conditioner.encode(captions)

    def generate_only(seed: int) -> float:  # caption encoding + the UNet's denoising steps
        start = time.perf_counter()
        latent.generate(x, generator=torch.Generator().manual_seed(seed))
        return time.perf_counter() - start

    latents = latent.generate(x, generator=torch.Generator().manual_seed(0))

    def render_only() -> float:  # the per-frame VAE decoder over 32 clips x 16 frames
        start = time.perf_counter()
        latent.render(latents)
        return time.perf_counter() - start

    measures = {name: partial(timed, p, cfg.seed) for name, (p, cfg) in pipelines.items()}
    split = {"latent_generate": partial(generate_only, 0), "latent_render": render_only}
    seconds = interleaved({**measures, **split}, args.rounds, "sampling seconds")
    parts = {name: seconds.pop(name) for name in split}
    rates = {
        name: {
            "median_clips_per_s": len(captions) / statistics.median(times),
            "best_clips_per_s": len(captions) / min(times),
        }
        for name, times in seconds.items()
    }
    direct = rates["direct"]["median_clips_per_s"]
    summary = {
        "sampling_interleaved": {
            "command": COMMAND,
            "how": f"{args.rounds} rounds, each pipeline in turn samples the same {len(captions)}"
            f" captions as one batch of {args.batch}; one warm-up batch of 2 each",
            "rates": rates,
            "latent_diffusion_seconds_median": {
                "generate": statistics.median(parts["latent_generate"]),
                "render": statistics.median(parts["latent_render"]),
                "how": "the same batch timed in two parts in each round: caption encoding and"
                " the UNet's DDIM steps (generate), the per-frame VAE decoder (render)",
            },
            "speedup_vs_direct_median": {
                name: r["median_clips_per_s"] / direct
                for name, r in rates.items()
                if name != "direct"
            },
        }
    }
    raw = {"seconds": seconds, "latent_diffusion_parts": parts}
    path = update_results("video", "sampling_interleaved", raw, summary)
    print(json.dumps(summary, indent=1))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
