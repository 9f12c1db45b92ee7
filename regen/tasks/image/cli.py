"""The image task's own commands: ``regen sample``, ``regen eval`` and ``regen data glyphs``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from regen.errors import RegenError


def add_commands(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    sample = sub.add_parser("sample", help="sample a trained image pipeline into a PNG grid")
    sample.add_argument("run", type=Path, help="run folder written by regen train")
    sample.add_argument("names", nargs="+", help="class names (e.g. A 7) or captions (quoted)")
    sample.add_argument("-n", "--per-name", type=int, default=4, help="samples per name")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", type=Path, default=Path("samples.png"), help="PNG grid to write")
    sample.add_argument("--steps", type=int, help="diffusion sampling steps")
    sample.add_argument("--guidance", type=float, help="classifier-free guidance scale")

    evaluate = sub.add_parser("eval", help="evaluate a trained image pipeline on held-out data")
    evaluate.add_argument("run", type=Path, help="run folder written by regen train")
    return {"sample": cmd_sample, "eval": cmd_eval}


def cmd_sample(args: argparse.Namespace) -> int:
    from regen.outputs import check_output_file, write_bytes
    from regen.report.plots import image_grid_png
    from regen.runs import load_run

    out = check_output_file(args.out, (".png",))
    pipeline, _ = load_run(args.run, task="image")
    sampling = {}
    if args.steps is not None:
        if type(pipeline.generator).__name__ != "DiffusionGenerator":
            raise RegenError("--steps applies to diffusion generators only; drop it")
        sampling["steps"] = args.steps
    if args.guidance is not None:
        sampling["guidance_scale"] = args.guidance
    names = [name for name in args.names for _ in range(args.per_name)]
    images = pipeline.sample(names, seed=args.seed, **sampling)
    grid = images.reshape(len(args.names), args.per_name, *images.shape[1:])
    write_bytes(out, image_grid_png(grid, scale=3))
    print(f"samples: {out.resolve()}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from regen.runs import load_run
    from regen.tasks.image.compare import evaluate_pipeline, evaluation_data

    pipeline, config = load_run(args.run, task="image")
    _, test, classifier = evaluation_data(config)
    metrics, _, _ = evaluate_pipeline(pipeline, test, classifier, config)
    print(json.dumps(metrics, indent=1))
    return 0


def data_images(args: argparse.Namespace) -> int:
    from regen.tasks.image.config import DataConfig
    from regen.tasks.image.data import load_image_dataset

    cfg = DataConfig(name=args.name, image_size=args.image_size)
    for split in ("train", "test"):
        data = load_image_dataset(cfg, split)
        print(
            f"{args.name} {split}: {len(data)} images {list(data.image_shape)}, "
            f"{data.num_classes} classes, {len(set(data.groups))} groups"
        )
    print(f"source: {data.source}")
    return 0
