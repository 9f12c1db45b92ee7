"""Training from a prepared, memory-mapped store vs from in-memory tensors: speed and memory.

The glyph dataset (built-in, 32x32) is written out as a user's folder of PNGs with a
metadata.csv, prepared with the same code as ``regen data prepare``, and the representation
stage of ``image/glyphs_latent_diffusion`` (the stage that reads images at every step) is
trained on one thread.

- throughput: ``--steps`` steps twice per path, interleaved; the best of each path is kept,
  so background load on the machine hurts both alike.
- tts: an LJSpeech-layout folder of espeak-ng speech, prepared; the FastSpeech generator stage
  of ``tts/fastspeech_griffin_lim`` from the store (read in the loop, or by one DataLoader
  worker: ``train.generator.workers=1``) vs from the same features as in-memory tensors.
- memory: the folder grown 1x, 4x and 16x (copies of each glyph shifted by a pixel or two);
  each (size, path) trains in a fresh process whose peak resident memory is read from the
  kernel (``wait4``), after the store was prepared by this process.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.data_streaming   # results/data_streaming.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import soundfile
import torch
from PIL import Image

from benchmarks.common import interleaved, run_measured, update_results
from regen.config import load_recipe
from regen.data import espeak
from regen.data.glyphs import load_glyphs
from regen.data.image_set import MappedImages
from regen.data.sentences import load_sentences
from regen.data.speech import corpus_voices, load_speech_corpus
from regen.data.text_frontend import PhonemeVocabulary
from regen.tasks.image.build import build_pipeline
from regen.tasks.image.data import load_image_dataset
from regen.tasks.tts.pipeline import PhonemeConditioner, build_tts_pipeline
from regen.tasks.tts.train import generator_tensors
from regen.training.batches import batch_indices
from regen.training.loop import train_stage

COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.data_streaming"
# the memory part at 64x64 (the recipes' larger size option): 16 KiB of float32 per image in
# memory, so the in-memory path's growth with the data stands clear of torch's own ~0.6 GiB
MEMORY_SIZE = 64
RECIPE = "image/glyphs_latent_diffusion"


def write_glyph_folder(root: Path, copies: int = 1) -> int:
    """The built-in glyphs as PNG files + metadata.csv (file_name,label): a user's folder.

    ``copies > 1`` adds copies of every glyph rolled by a pixel or two, so the folder grows
    with distinct files (a store cannot share their rows)."""
    glyphs = load_glyphs(32)
    lines = ["file_name,label"]
    pixels = glyphs.images.add(1).mul(127.5).round().to(torch.uint8)[:, 0].numpy()
    for copy in range(copies):
        shift = (copy % 5 - 2, copy // 5 % 5 - 2)
        for i, (image, label) in enumerate(zip(pixels, glyphs.labels.tolist())):
            name = f"{copy:02d}_{i:05d}.png"
            Image.fromarray(np.roll(image, shift, axis=(0, 1)), "L").save(root / name)
            lines.append(f"{name},{glyphs.class_names[label]}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return len(pixels) * copies


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


def resident_mib() -> dict[str, float]:
    """This process's resident memory now, split as the kernel counts it (``/proc``): anonymous
    (tensors, Python objects) and file-backed (mapped files: libraries, the store's pages)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {key: int(fields[key].split()[0]) / 1024 for key in ("RssAnon", "RssFile")}


def train_child(path: str, folder: str, steps: int, report: str) -> None:
    """One (size, path) of the memory part, in its own process: train ``steps`` steps from the
    prepared store (``store``) or from all of its images loaded into a tensor (``memory``)."""
    torch.set_num_threads(1)
    config = load_recipe(RECIPE, [f"data.source={folder}", f"data.image_size={MEMORY_SIZE}"])
    train = load_image_dataset(config.data, "train")
    images = train.images if path == "store" else train.images[:]
    steps_per_second(config, images, train.image_shape, train.class_names, steps)
    Path(report).write_text(json.dumps(resident_mib()))


def memory_growth(root: Path, scales: list[int], steps: int) -> dict:
    """Peak RSS (MiB) of training per folder size and path, each in a fresh process."""
    rows = []
    for copies in scales:
        folder = root / f"glyphs_x{copies}"
        folder.mkdir()
        items = write_glyph_folder(folder, copies)
        overrides = [f"data.source={folder}", f"data.image_size={MEMORY_SIZE}"]
        config = load_recipe(RECIPE, overrides)
        train_items = len(load_image_dataset(config.data, "train"))  # prepares the store
        row = {"copies": copies, "items": items, "train_items": train_items}
        row["float32_mib"] = train_items * MEMORY_SIZE**2 * 4 / 2**20
        for path in ("store", "memory"):
            report = root / f"rss_x{copies}_{path}.json"
            cmd = [sys.executable, "-m", "benchmarks.data_streaming", "--child", path]
            cmd += ["--folder", str(folder), "--steps", str(steps), "--report", str(report)]
            measured = run_measured(cmd)
            row[f"{path}_peak_rss_mib"] = measured["peak_rss_mib"]
            end = json.loads(report.read_text())
            row[f"{path}_end_anon_mib"], row[f"{path}_end_file_mib"] = (
                end["RssAnon"],
                end["RssFile"],
            )
            print(f"x{copies} {path}: {measured['peak_rss_mib']:.0f} MiB", flush=True)
        rows.append(row)
    growth = {
        path: rows[-1][f"{path}_peak_rss_mib"] / rows[0][f"{path}_peak_rss_mib"]
        for path in ("store", "memory")
    }
    return {
        "image_size": MEMORY_SIZE,
        "steps": steps,
        "rows": rows,
        "growth_largest_over_smallest": growth,
        "note": "peak RSS counts file-backed pages too: the store path's growth is pages of "
        "the memory-mapped store the kernel keeps mapped after reads (page cache it can drop "
        "under pressure); end_anon_mib (tensors, Python objects) is the memory a bigger store "
        "could exhaust",
    }


def throughput(folder: Path, args: argparse.Namespace) -> tuple[dict, float]:
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
    rates = interleaved(
        {
            path: partial(
                steps_per_second, config, images, train.image_shape, train.class_names, args.steps
            )
            for path, images in (("store", train.images), ("memory", dense))
        },
        args.repeats,
        "glyphs",
    )
    best = {path: max(values) for path, values in rates.items()}
    data = {
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
    return data, best["store"] / best["memory"]


TTS_RECIPE = "tts/fastspeech_griffin_lim"


def write_ljspeech_folder(root: Path, count: int) -> int:
    """``count`` fortunes sentences spoken by espeak-ng in LJSpeech's layout (a user's corpus)."""
    sentences = [s for s in load_sentences() if len(s.split()) <= 12][:count]
    lines = []
    for i, text in enumerate(sentences):
        uid = f"LJ001-{i + 1:04d}"
        (root / "wavs").mkdir(parents=True, exist_ok=True)
        soundfile.write(
            str(root / "wavs" / f"{uid}.wav"),
            espeak.synthesize(text, "en-us").wav,
            espeak.ESPEAK_SAMPLE_RATE,
        )
        lines.append(f"{uid}|{text}|{text}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return len(lines)


def tts_throughput(folder: Path, args: argparse.Namespace) -> tuple[dict, dict]:
    """The TTS generator stage (FastSpeech) from the store (log-mels memory-mapped, padded
    per batch) vs from the same features as padded in-memory tensors."""
    items = write_ljspeech_folder(folder, args.tts_items)
    config = load_recipe(TTS_RECIPE, [f"data.source={folder}"])
    start = time.perf_counter()
    corpus = load_speech_corpus(config.data, "train")  # prepares the store on first use
    prepare_seconds = time.perf_counter() - start
    conditioner = PhonemeConditioner(PhonemeVocabulary(), corpus_voices(config.data))
    stored = generator_tensors(config, corpus, conditioner)
    everything = torch.arange(len(corpus))
    dense = {k: v if isinstance(v, torch.Tensor) else v[everything] for k, v in stored.items()}
    cfg = config.train.generator
    cfg.steps, cfg.log_every, cfg.checkpoint_every = args.tts_steps, args.tts_steps, args.tts_steps

    def rate(tensors: dict, workers: int) -> float:
        torch.manual_seed(0)
        generator = build_tts_pipeline(config, conditioner).generator
        cfg.workers = workers
        begin = time.perf_counter()
        train_stage("generator", generator, tensors, cfg, None, progress=False)
        return args.tts_steps / (time.perf_counter() - begin)

    # store_workers: the store read by one DataLoader worker process while the model trains
    paths = {
        "store": partial(rate, stored, 0),
        "store_workers": partial(rate, stored, 1),
        "memory": partial(rate, dense, 0),
    }
    rates = interleaved(paths, args.repeats, "tts")
    best = {path: max(values) for path, values in rates.items()}
    data = {
        "recipe": TTS_RECIPE,
        "stage": "generator",
        "utterances": items,
        "train_utterances": len(corpus),
        "batch_size": cfg.batch_size,
        "steps": args.tts_steps,
        "threads": 1,
        "prepare_seconds": prepare_seconds,
        "steps_per_s": rates,
        "best_steps_per_s": best,
        "note": "the store pads each batch to its own longest utterance, the in-memory "
        "tensors to the corpus's longest: part of any difference is less padding",
    }
    return data, {
        "tts_store_vs_memory": best["store"] / best["memory"],
        "tts_store_workers_vs_memory": best["store_workers"] / best["memory"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--memory-steps", type=int, default=50)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--tts-steps", type=int, default=60)
    parser.add_argument("--tts-items", type=int, default=240)
    parser.add_argument("--part", choices=["throughput", "tts", "memory", "all"], default="all")
    parser.add_argument("--child", choices=["store", "memory"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        train_child(args.child, args.folder, args.steps, args.report)
        return
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("throughput", "all"):
            folder = Path(tmp) / "glyph_folder"
            folder.mkdir()
            data, ratio = throughput(folder, args)
            data["command"] = (
                f"{COMMAND} --part throughput --steps {args.steps} --repeats {args.repeats}"
            )
            update_results("data_streaming", "glyphs", data, {"glyphs_store_vs_memory": ratio})
            print(f"store / memory throughput: {ratio:.3f}")
        if args.part in ("tts", "all"):
            folder = Path(tmp) / "ljspeech"
            data, ratios = tts_throughput(folder, args)
            data["command"] = (
                f"{COMMAND} --part tts --tts-steps {args.tts_steps} --tts-items {args.tts_items} "
                f"--repeats {args.repeats}"
            )
            update_results("data_streaming", "tts", data, ratios)
            print(f"tts throughput over in-memory: {ratios}")
        if args.part in ("memory", "all"):
            data = memory_growth(Path(tmp), args.scales, args.memory_steps)
            scales = " ".join(map(str, args.scales))
            data["command"] = (
                f"{COMMAND} --part memory --memory-steps {args.memory_steps} --scales {scales}"
            )
            growth = data["growth_largest_over_smallest"]
            summary = {f"peak_rss_growth_{path}": growth[path] for path in growth}
            path = update_results("data_streaming", "glyphs_peak_rss", data, summary)
            print(f"peak RSS growth x{args.scales[-1]} / x{args.scales[0]}: {growth}; wrote {path}")


if __name__ == "__main__":
    main()
