"""What makes a video generator follow its caption? Dev-split diagnostics per conditioning.

One recipe (default video/latent_diffusion) trained once per variant: the first variant
trains the representation and the generator, the others copy its trained representation
and train only their generator, so variants differ only in the generator settings they
override (text encoder bytes or words, cross-attention, steps, lr). Each is scored per
factor (glyph, direction, speed, all three = caption adherence) on the dev split of
benchmarks.video_regen_vs_direct.guidance_on_dev (held-out fonts, seed + 1, never the test
clips) at guidance 1, 2 and 4. Chance: direction 1/8, glyph 1/36, speed 1/2.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_condition_words   # -> results/video_condition_words.json
    # other variants: --variant LABEL=key=value,key=value (repeatable), --recipe latent_tokens
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from benchmarks.common import write_results
from benchmarks.video_regen_vs_direct import ROOT, guidance_on_dev, train_run

COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_condition_words"
VARIANTS = {
    "bytes": [],
    "words": ["generator.text_encoder=words"],
    "words_cross_attention": ["generator.text_encoder=words", "generator.cross_attention=true"],
    "words_cross_attention_900_steps": [
        "generator.text_encoder=words",
        "generator.cross_attention=true",
        "train.generator.steps=900",
    ],
}
SCALES = (1.0, 2.0, 4.0)


def train(recipe: str, run: Path, overrides: list[str], representation_from: Path | None) -> dict:
    usage = train_run(recipe, run, overrides, representation_from)
    stages = {s["name"]: s for s in json.loads((run / "pipeline.json").read_text())["stages"]}
    return {
        "overrides": overrides,
        "generator_seconds": stages["generator"]["seconds"],
        "generator_steps": stages["generator"]["steps"],
        "generator_final_loss": stages["generator"]["final_loss"],
        "peak_rss_mib": usage["peak_rss_mib"],
    }


def parse_variant(text: str) -> tuple[str, list[str]]:
    label, _, overrides = text.partition("=")
    if not label or not overrides:
        raise SystemExit(f"--variant {text!r}: write LABEL=key=value,key=value")
    return label, overrides.split(",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipe", default="latent_diffusion")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-video-words")
    parser.add_argument("--results", default="video_condition_words")
    parser.add_argument("--variant", action="append", default=[], type=parse_variant)
    parser.add_argument(
        "--representation-from", type=Path, help="a trained representation folder for all"
    )
    parser.add_argument("overrides", nargs="*", help="key=value overrides for every variant")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    variants = dict(args.variant) or VARIANTS
    rows, first = {}, None
    if args.representation_from is not None:
        first = args.representation_from.parent
    for label, overrides in variants.items():
        run = args.out / label
        vae = None if first is None else first / "representation"
        rows[label] = train(args.recipe, run, [*args.overrides, *overrides], vae)
        first = first or run
        dev = guidance_on_dev(run, SCALES)
        rows[label]["dev"] = dev["rows"]
        print(json.dumps({label: rows[label]}), flush=True)
    extra = [f"--recipe {args.recipe}"] if args.recipe != "latent_diffusion" else []
    if args.out != ROOT / "runs" / "bench-video-words":
        extra.append(f"--out {args.out}")
    if args.results != "video_condition_words":
        extra.append(f"--results {args.results}")
    extra += [f"--variant {k}={','.join(v)}" for k, v in args.variant]
    if args.representation_from is not None:
        extra.append(f"--representation-from {args.representation_from}")
    summary = {
        "command": " ".join([COMMAND, *extra, *args.overrides]),
        "setup": f"video/{args.recipe}; the first variant's representation is copied into the"
        " others, so only the generator differs. Scores on 64 dev clips (held-out fonts,"
        " seed + 1). Chance: direction 1/8, glyph 1/36, speed 1/2.",
        "rows": rows,
        "wall_seconds": time.perf_counter() - start,
    }
    write_results(args.results, summary)


if __name__ == "__main__":
    main()
