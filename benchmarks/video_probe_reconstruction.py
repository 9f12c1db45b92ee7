"""The ceiling each factor-probe run's VAE sets: decode(encode(real dev clip)) read by the same
classifiers as the probe's generated clips (64 dev clips: held-out fonts, seed + 1, the
glyphs at their random places, as benchmarks.video_factor_probe scores them).

Answers whether a probe's per-frame VAE keeps the glyph at all (the probe trains its own VAE
on its own data, e.g. one frame, or centred training glyphs), so that a generator's glyph
accuracy can be read against it.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_probe_reconstruction RUN [RUN ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from benchmarks.common import write_results
from benchmarks.video_regen_vs_direct import dev_clips
from regen.runs import load_run
from regen.tasks.video import compare as hooks

COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_probe_reconstruction"
DEV_CLIPS = 64


def reconstruction_row(run: Path) -> dict[str, float]:
    """Caption scores of decode(encode(dev clips)) for the run's own data settings."""
    pipeline, config = load_run(run)
    data, dev = dev_clips(config, DEV_CLIPS)  # may train the classifiers: not under no_grad
    with torch.no_grad():
        batches = [dev.clips[i : i + 32] for i in range(0, len(dev), 32)]
        rebuilt = torch.cat([pipeline.render(pipeline.encode(clips)) for clips in batches])
    return hooks.caption_scores(data, dev, rebuilt, config.data.glyph_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path, help="trained factor-probe run folders")
    parser.add_argument("--results", default="video_probe_reconstruction")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = {str(run): reconstruction_row(run) for run in args.runs}
    extra = [] if args.results == "video_probe_reconstruction" else [f"--results {args.results}"]
    write_results(
        args.results,
        {
            "command": " ".join([COMMAND, *extra, *map(str, args.runs)]),
            "setup": f"decode(encode(clip)) of {DEV_CLIPS} dev clips (held-out fonts, seed + 1)",
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
