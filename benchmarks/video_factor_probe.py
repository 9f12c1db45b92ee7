"""Upper-bound probe: does the latent-diffusion generator draw the glyph when it is GIVEN the
true factors instead of the caption?

Each caption is replaced by three tokens naming the clip's true factors (``gK d3 s1``: glyph,
direction index, speed index), in training and in sampling. With the words text encoder each
token is one learned embedding, so the pooled vector is the mean of three class embeddings
(added to the time embedding) and cross-attention sees exactly the three classes: no phrasing
to see through, no pooling over ~10 words. If the glyph stays at chance even so, what limits
it is the generator (capacity, budget, the frames-as-channels layout), not the caption path.

Scored per factor on the dev split of benchmarks.video_regen_vs_direct.guidance_on_dev
(held-out fonts, seed + 1, never the test clips) at guidance 1, 2 and 4, the same classifiers.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_factor_probe \
        generator.prediction_type=v_prediction generator.hidden=64 train.generator.lr=0.002 \
        train.generator.steps=2000                         # -> results/video_factor_probe.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import write_results
from benchmarks.video_regen_vs_direct import ROOT, scores_on_dev
from regen.config import load_recipe
from regen.data import moving_glyphs
from regen.data.glyphs import CHARACTERS
from regen.data.moving_glyphs import ClipSet
from regen.tasks.video.data import load_split
from regen.tasks.video.train import train_pipeline

COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_factor_probe"
SCALES = (1.0, 2.0, 4.0)
PLACEMENTS = ("random", "centre", "grid")
"""Where a training glyph starts: anywhere (the data), at the frame's centre, or anywhere
on the latent grid (a multiple of the VAE's ``space_factor`` pixels)."""


def factor_captions(clips: ClipSet) -> list[str]:
    """One three-token 'caption' per clip naming its true glyph, direction and speed."""
    return [
        f"g{CHARACTERS[g]} d{d} s{s}"
        for g, d, s in zip(clips.glyph.tolist(), clips.direction.tolist(), clips.speed.tolist())
    ]


@contextmanager
def placed(placement: str, grid: int) -> Iterator[None]:
    """Clips built inside start their glyphs as ``placement`` says (same fonts, glyphs,
    directions and speeds as the data's random starts, as the same random draws are made).

    A probe-only tweak, not a data option: it swaps the start that ``moving_glyphs`` draws
    and builds without the cache, so placed clips never stand in for the data's own.
    """
    if placement == "random":
        yield
        return
    trajectory, load_or_build = moving_glyphs.trajectory, moving_glyphs.load_or_build

    def moved(start: np.ndarray, direction, speed, frames, room, frame_size):  # noqa: ANN001
        start = np.full(2, np.floor(room / 2)) if placement == "centre" else start // grid * grid
        return trajectory(start, direction, speed, frames, room, frame_size)

    moving_glyphs.trajectory = moved
    moving_glyphs.load_or_build = lambda key, build: build()
    try:
        yield
    finally:
        moving_glyphs.trajectory, moving_glyphs.load_or_build = trajectory, load_or_build


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipe", default="latent_diffusion")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-video-factors")
    parser.add_argument("--results", default="video_factor_probe")
    parser.add_argument("--captions", choices=("factors", "words"), default="factors")
    parser.add_argument("--representation-from", type=Path, help="a trained VAE folder")
    parser.add_argument(
        "--placement", choices=PLACEMENTS, default="random", help="training glyphs' start"
    )
    parser.add_argument("overrides", nargs="*", help="key=value recipe overrides")
    return parser.parse_args(argv)


def run_command(args: argparse.Namespace) -> str:
    """The command that reproduces this run: every argument away from its default (the
    results file and run folder included, so a rerun does not overwrite another probe's)."""
    defaults = parse_args([])
    extra = [
        f"--{name.replace('_', '-')} {getattr(args, name)}"
        for name in ("recipe", "out", "results", "captions", "representation_from", "placement")
        if getattr(args, name) != getattr(defaults, name)
    ]
    return " ".join([COMMAND, *extra, *args.overrides])


def main() -> None:
    args = parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    recipe = ROOT / "recipes" / "video" / f"{args.recipe}.yaml"
    config = load_recipe(recipe, args.overrides)
    with placed(args.placement, config.representation.space_factor):
        train = load_split(config.data, "train", config.seed)
    if args.captions == "factors":
        train = dataclasses.replace(train, captions=factor_captions(train))
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    if args.representation_from is not None:
        shutil.copytree(args.representation_from, args.out / "representation")
    pipeline, results = train_pipeline(config, args.out, resume=True, progress=False, data=train)
    asked = factor_captions if args.captions == "factors" else None
    rows = scores_on_dev(pipeline, config, SCALES, captions=asked)["rows"]
    print(json.dumps(rows), flush=True)
    generator = next(r for r in results if r.name == "generator")
    write_results(
        args.results,
        {
            "command": run_command(args),
            "setup": f"video/{args.recipe}, captions: {args.captions} (factors = the true"
            " glyph, direction and speed as three tokens), training glyphs placed"
            f" {args.placement}. 64 dev clips (held-out fonts, seed + 1, random places)."
            " Chance: glyph 1/36, direction 1/8, speed 1/2.",
            "generator_final_loss": generator.final_loss,
            "generator_seconds": generator.seconds,
            "rows": rows,
            "wall_seconds": time.perf_counter() - start,
        },
    )


if __name__ == "__main__":
    main()
