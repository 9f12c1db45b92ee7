"""How far apart the caption conditions of the video benchmark's diffusion generators are.

Both diffusion rows (direct, and latent diffusion at equal wall-clock) add one pooled vector
per caption (the masked mean of a byte-level transformer's outputs) to the UNet's time
embedding. If different captions pool to nearly the same vector, the generator cannot
follow them, whatever the guidance. For 64 probe captions this prints the mean and least
pairwise cosine similarity of their pooled vectors, and the cosine between their mean and
the learned null condition.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_condition_spread   # after the benchmark
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from regen.runs import load_run
from regen.tasks.video.data import load_split

ROOT = Path(__file__).resolve().parents[1]
RUNS = {"direct": "compare/video_direct", "latent_diffusion_equal_wallclock": "latent-wallclock"}


@torch.no_grad()
def spread(run: Path, count: int) -> dict[str, float]:
    pipeline, config = load_run(run, task="video")
    test = load_split(config.data, "test", config.seed)
    captions = test.captions[len(test) // 2 :][:count]  # the probe half's captions
    x = pipeline.conditioner.encode(captions)
    condition = pipeline.generator.condition
    pooled = condition.pooled(x)
    null = condition.pooled(x[:1], torch.ones(1, dtype=torch.bool))[0]
    unit = F.normalize(pooled, dim=1)
    pairs = (unit @ unit.T)[~torch.eye(len(pooled), dtype=torch.bool)]
    return {
        "mean_pairwise_cosine": float(pairs.mean()),
        "min_pairwise_cosine": float(pairs.min()),
        "cosine_mean_condition_vs_null": float(F.cosine_similarity(pooled.mean(0), null, dim=0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-video")
    parser.add_argument("--count", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = {name: spread(args.out / folder, args.count) for name, folder in RUNS.items()}
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
