"""Training throughput from a prepared, memory-mapped store vs from in-memory tensors.

The glyph dataset (built-in, 32x32) is written out as a user's folder of PNGs with a
metadata.csv, prepared with the same code as ``regen data prepare``, and the representation
stage of ``image/glyphs_latent_diffusion`` (the stage that reads images at every step) is
trained for ``--steps`` steps on one thread twice per path, interleaved; the best of each path
is kept, so background load on the machine hurts both alike.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.data_streaming   # results/data_streaming.json
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from benchmarks.common import update_results
from regen.config import load_recipe
from regen.data.glyphs import load_glyphs
from regen.data.image_set import MappedImages
from regen.tasks.image.build import build_pipeline
from regen.tasks.image.data import load_image_dataset
from regen.training.batches import batch_indices
from regen.training.loop import train_stage

COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.data_streaming"
RECIPE = "image/glyphs_latent_diffusion"


def write_glyph_folder(root: Path) -> int:
    """The built-in glyphs as PNG files + metadata.csv (file_name,label): a user's folder."""
    glyphs = load_glyphs(32)
    lines = ["file_name,label"]
    pixels = glyphs.images.add(1).mul(127.5).round().to(torch.uint8)[:, 0].numpy()
    for i, (image, label) in enumerate(zip(pixels, glyphs.labels.tolist())):
        Image.fromarray(image, "L").save(root / f"{i:05d}.png")
        lines.append(f"{i:05d}.png,{glyphs.class_names[label]}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return len(pixels)


def steps_per_second(config, images, shape, class_names, steps: int) -> float:
    torch.manual_seed(0)
    pipeline = build_pipeline(config, shape, class_names)
    cfg = config.train.representation
    cfg.steps, cfg.log_every, cfg.checkpoint_every = steps, steps, steps
    start = time.perf_counter()
    train_stage("representation", pipeline.representation, {"y": images}, cfg, None, progress=False)
    return steps / (time.perf_counter() - start)


def batch_read_ms(images, config, steps: int) -> float:
    """Mean milliseconds to fetch one training batch (the loop's own indices), no training:
    the part of a step that differs between the two paths, free of the model's noise."""
    from regen.training.distributed import current

    cfg, dist = config.train.representation, current()
    start = time.perf_counter()
    for step in range(steps):
        images[batch_indices(len(images), cfg, step, dist)]
    return 1000 * (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "glyph_folder"
        folder.mkdir()
        items = write_glyph_folder(folder)
        config = load_recipe(RECIPE, [f"data.source={folder}"])
        start = time.perf_counter()
        train = load_image_dataset(config.data, "train")  # prepares the store on first use
        prepare_seconds = time.perf_counter() - start
        assert isinstance(train.images, MappedImages)
        dense = train.images[:]
        read_ms = {
            "store": batch_read_ms(train.images, config, 1000),
            "memory": batch_read_ms(dense, config, 1000),
        }
        print(f"batch read ms: {read_ms}", flush=True)
        rates: dict[str, list[float]] = {"store": [], "memory": []}
        for _ in range(args.repeats):
            for path, images in (("store", train.images), ("memory", dense)):
                rate = steps_per_second(
                    config, images, train.image_shape, train.class_names, args.steps
                )
                rates[path].append(rate)
                print(f"{path}: {rate:.2f} steps/s", flush=True)
    best = {path: max(values) for path, values in rates.items()}
    data = {
        "command": f"{COMMAND} --steps {args.steps} --repeats {args.repeats}",
        "recipe": RECIPE,
        "stage": "representation",
        "items": items,
        "train_items": len(train),
        "batch_size": config.train.representation.batch_size,
        "steps": args.steps,
        "threads": 1,
        "prepare_seconds": prepare_seconds,
        "steps_per_s": rates,
        "best_steps_per_s": best,
        "batch_read_ms": read_ms,
        "note": "measured on a 2-core machine shared with other jobs: the steps/s spread "
        "between repeats is mostly that load; batch_read_ms isolates the path",
    }
    ratio = best["store"] / best["memory"]
    path = update_results("data_streaming", "glyphs", data, {"glyphs_store_vs_memory": ratio})
    print(f"store / memory throughput: {ratio:.3f}; wrote {path}")


if __name__ == "__main__":
    main()
