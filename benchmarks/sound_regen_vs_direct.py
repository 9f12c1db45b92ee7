"""Text-to-sound: regen (caption -> RVQ codec tokens -> vocoder) vs direct (caption -> waveform).

Runs ``regen compare sound/codec_tokens`` (its baseline sound/direct at the same training
wall-clock, all of regen's stages counted) on the fluidsynth corpus (1,200 clips x 3 s =
1.0 h at 16 kHz, held out by tune), then measures batched generation speed of both trained
pipelines, and writes benchmarks/results/sound.json with a ``summary``:

- caption adherence (local attribute classifier's accuracy against the caption) of regen,
  direct and the real held-out clips;
- local FAD (that classifier's penultimate features; NOT comparable to published FAD) of
  regen and direct, with the real-vs-real floor and the degraded-real controls;
- the codec's bitrate, reconstruction (mel L1, multi-resolution STFT, SI-SNR) and codebook
  usage per level;
- generation real-time factor at batch 1 and batched, and the process's peak memory;
- the scale (clips, hours, steps, seconds per stage) and the wall-clock of the whole run.

Torch runs on one thread (the machine is shared; see docs/sound.md).

    nohup nice -n 10 env OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.sound_regen_vs_direct &
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from benchmarks.common import update_results  # noqa: E402
from regen.compare.harness import run_compare  # noqa: E402
from regen.runs import load_run  # noqa: E402
from regen.tasks.sound.train import load_sound_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RECIPE = "sound/codec_tokens"
COMMAND = "nice -n 10 env OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.sound_regen_vs_direct"
BATCH = 16  # captions per call for the batched speed


def batched_speed(run: Path, captions: list[str]) -> dict[str, float]:
    """Audio seconds per compute second generating ``captions`` in one batch (inference)."""
    pipeline, config = load_run(run)
    x = pipeline.conditioner.encode(captions)
    with torch.inference_mode():
        start = time.perf_counter()
        wav = pipeline.render(pipeline.generate(x, generator=torch.Generator().manual_seed(0)))
        seconds = time.perf_counter() - start
    audio = wav.shape[0] * wav.shape[1] / config.data.sample_rate
    return {"batch": len(captions), "audio_seconds": audio, "compute_seconds": seconds,
            "realtime_speedup": audio / seconds}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-sound")
    parser.add_argument(
        "--name", default="sound", help="results file benchmarks/results/NAME.json (another seed)"
    )
    parser.add_argument("overrides", nargs="*", help="extra key=value for both recipes")
    args = parser.parse_args()
    torch.set_num_threads(1)
    wall = time.perf_counter()
    report = run_compare(RECIPE, args.overrides, out_dir=args.out, progress=True)
    results = json.loads((args.out / "results.json").read_text())
    labels = {p["label"]: p for p in results["pipelines"]}
    from regen.config import load_recipe

    config = load_recipe(RECIPE, args.overrides)
    captions = load_sound_data(config).test.captions[:BATCH]
    speed = {
        label: batched_speed(args.out / labels[label]["recipe_name"], captions) for label in labels
    }
    systems, codec, controls = results["systems"], results["codec"], results["fad_controls"]
    keep = ("adherence", "adherence_family", "adherence_mode", "adherence_meter",
            "adherence_tempo", "local_fad")  # fmt: skip
    stages = {
        label: [
            {k: s[k] for k in ("name", "steps", "samples_seen", "seconds")} for s in p["stages"]
        ]
        for label, p in labels.items()
    }
    summary = {
        "caption_adherence": {
            name: systems[name]["adherence"] for name in ("regen", "direct", "real")
        },
        "caption_adherence_per_attribute": {
            name: {k: systems[name][k] for k in keep[1:-1]} for name in ("regen", "direct", "real")
        },
        "local_fad": {
            "regen": systems["regen"]["local_fad"],
            "direct": systems["direct"]["local_fad"],
            "codec_resynthesis": systems["codec resynthesis"]["local_fad"],
            **{name: v["local_fad"] for name, v in controls.items()},
            "note": "Fréchet distance in regen's own classifier features vs the held-out real "
            "clips; not comparable to published FAD",
        },
        "codec": {
            "bitrate_bps": codec["bitrate_bps"],
            "levels": codec["levels"],
            "codebook_size": codec["codebook_size"],
            "reconstruction": codec["reconstruction"],
            "by_levels": codec["by_levels"],
            "usage": codec["usage"],
            "collapsed_levels": codec["collapsed_levels"],
        },
        "generation_realtime_speedup": {
            "batch_1": {label: systems[label]["realtime_speedup"] for label in labels},
            f"batch_{BATCH}": {label: speed[label]["realtime_speedup"] for label in labels},
        },
        "peak_rss_mb_process": max(systems[label]["peak_rss_mb"] for label in labels),
        "scale": {
            "data": results["data"],
            "clips_scored": results["data"]["test_clips_scored"],
            "stages": stages,
            "budget": results["budget"],
        },
        "wall_clock_seconds": round(time.perf_counter() - wall, 1),
        "threads": torch.get_num_threads(),
        "command": COMMAND
        + (f" --name {args.name}" if args.name != "sound" else "")
        + (" " + " ".join(args.overrides) if args.overrides else ""),
        "report": str(report.relative_to(ROOT)) if report.is_relative_to(ROOT) else str(report),
    }
    data = {"results": {k: results[k] for k in ("systems", "fad_controls", "codec", "views")},
            "batched_speed": speed}  # fmt: skip
    path = update_results(args.name, "compare", data, summary)
    print(json.dumps(summary, indent=1, default=float))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
