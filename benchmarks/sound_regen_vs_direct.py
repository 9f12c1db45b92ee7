"""Text-to-sound: regen (caption -> RVQ codec tokens -> Griffin-Lim) vs direct (caption -> waveform).

Runs ``regen compare sound/codec_tokens`` (its baseline sound/direct at the same training
wall-clock, all of regen's stages counted, the baseline's steps calibrated by interleaved
step probes: ``compare.calibrated_steps``) on the fluidsynth corpus (1,200 clips x 3 s =
1.0 h at 16 kHz, held out by tune), then measures batched generation speed of both trained
pipelines, and writes benchmarks/results/sound.json with a ``summary``:

- caption adherence (local attribute classifier's accuracy against the caption), per
  attribute, of regen, direct, the real held-out clips, the codec alone (resynthesis) and
  Griffin-Lim from the true mel, so each stage's ceiling shows; regen's guidance scale and
  temperature as picked on the dev split;
- local FAD (that classifier's penultimate features; NOT comparable to published FAD) of
  regen and direct, with the real-vs-real floor and the degraded-real controls;
- the codec's bitrate, reconstruction (mel L1, multi-resolution STFT, SI-SNR) and codebook
  usage per level;
- generation real-time factor at batch 1 (every scored clip of one side, then the other's;
  and, the target's measure, one caption per side in turn over 16 rounds with the load
  average before and after) and batched, and the process's peak memory;
- the budget rule and what each side trained (steps, samples, seconds), the machine's load
  average during the run, the scale and the wall-clock of the whole run.

Torch runs on one thread (the machine is shared; see docs/sound.md).

    nohup nice -n 10 env OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.sound_regen_vs_direct &
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from benchmarks.common import interleaved, update_results  # noqa: E402
from regen.compare.harness import run_compare  # noqa: E402
from regen.pipeline import Pipeline  # noqa: E402
from regen.runs import load_run  # noqa: E402
from regen.tasks.sound.train import load_sound_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RECIPE = "sound/codec_tokens"
COMMAND = "nice -n 10 env OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.sound_regen_vs_direct"
BATCH = 16  # captions per call for the batched speed
ROUNDS = 16  # interleaved batch-1 rounds: one caption per side per round


class LoadSampler:
    """The machine's 1-minute load average, sampled every ``every`` seconds in a thread (the
    2 cores are shared, so speed and the budget's seconds depend on it)."""

    def __init__(self, every: float = 30.0) -> None:
        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict[str, float]:
        self._stop.set()
        values = self.samples
        return {"min": min(values), "mean": round(sum(values) / len(values), 2),
                "max": max(values), "samples": len(values)}  # fmt: skip


def budget_sides(results: dict[str, Any], labels: dict[str, Any]) -> dict[str, Any]:
    """The budget rule and what each side actually trained: steps, samples and seconds."""
    sides = {
        label: {
            "steps": sum(s["steps"] for s in p["stages"]),
            "samples": sum(s["samples_seen"] for s in p["stages"]),
            "train_seconds": round(sum(s["seconds"] for s in p["stages"]), 1),
        }
        for label, p in labels.items()
    }
    regen_s, direct_s = sides["regen"]["train_seconds"], sides["direct"]["train_seconds"]
    return {
        "rule": results["budget_rule"],
        "statement": results["budget"],
        "detail": results["budget_detail"],
        "sides": sides,
        "direct_over_regen_seconds": round(direct_s / max(regen_s, 1e-9), 3),
    }


def batched_speed(run: Path, captions: list[str], sampling: dict[str, float]) -> dict[str, float]:
    """Audio seconds per compute second generating ``captions`` in one batch (inference)."""
    pipeline, config = load_run(run)
    x = pipeline.conditioner.encode(captions)
    sampling = {} if pipeline.is_direct else sampling
    with torch.inference_mode():
        start = time.perf_counter()
        rng = torch.Generator().manual_seed(0)
        wav = pipeline.render(pipeline.generate(x, generator=rng, **sampling))
        seconds = time.perf_counter() - start
    audio = wav.shape[0] * wav.shape[1] / config.data.sample_rate
    return {"batch": len(captions), "audio_seconds": audio, "compute_seconds": seconds,
            "realtime_speedup": audio / seconds}  # fmt: skip


def one_clip(
    pipeline: Pipeline, config: Any, caption: str, seed: int, options: dict[str, float]
) -> tuple[float, float]:
    """Generate one caption at batch 1: (compute seconds, audio seconds); the caption's
    encoding is outside the timing, generation and rendering inside."""
    x = pipeline.conditioner.encode([caption])
    rng = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        start = time.perf_counter()
        wav = pipeline.render(pipeline.generate(x, generator=rng, **options))
        seconds = time.perf_counter() - start
    return seconds, wav.shape[-1] / config.data.sample_rate


def interleaved_batch1(
    runs: dict[str, Path], captions: list[str], sampling: dict[str, float]
) -> dict[str, Any]:
    """Batch-1 real-time factor of each side, one caption per side in turn per round
    (:func:`benchmarks.common.interleaved`), so load that comes and goes on the shared
    machine falls on both alike; the 1-minute load average before and after."""
    loaded = {label: load_run(folder) for label, folder in runs.items()}
    audio: dict[str, float] = {label: 0.0 for label in runs}

    def measure(label: str) -> Callable[[], float]:
        pipeline, config = loaded[label]
        options = {} if pipeline.is_direct else sampling
        turn = iter(range(10**9))

        def once() -> float:
            i = next(turn)
            seconds, audio_seconds = one_clip(
                pipeline, config, captions[i % len(captions)], i, options
            )
            audio[label] += audio_seconds
            return seconds

        return once

    for label in runs:  # warm-up outside the timing (first-call allocations)
        measure(label)()
    audio = {label: 0.0 for label in runs}
    load_before = os.getloadavg()[0]
    seconds = interleaved({label: measure(label) for label in runs}, ROUNDS, "batch-1 speed")
    return {
        "rounds": ROUNDS,
        "realtime_speedup": {label: audio[label] / sum(seconds[label]) for label in runs},
        "seconds_per_clip_median": {label: sorted(v)[len(v) // 2] for label, v in seconds.items()},
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-sound")
    parser.add_argument(
        "--name", default="sound", help="results file benchmarks/results/NAME.json (another seed)"
    )
    parser.add_argument("overrides", nargs="*", help="extra key=value for both recipes")
    args = parser.parse_args()
    torch.set_num_threads(1)
    wall, load = time.perf_counter(), LoadSampler()
    report = run_compare(RECIPE, args.overrides, out_dir=args.out, progress=True)
    results = json.loads((args.out / "results.json").read_text())
    labels = {p["label"]: p for p in results["pipelines"]}
    from regen.config import load_recipe

    config = load_recipe(RECIPE, args.overrides)
    captions = load_sound_data(config).test.captions[:BATCH]
    dev = results.get("dev_sampling")
    sampling = dev["chosen"] if dev else {}
    speed = {
        label: batched_speed(args.out / labels[label]["recipe_name"], captions, sampling)
        for label in labels
    }
    batch1 = interleaved_batch1(
        {label: args.out / labels[label]["recipe_name"] for label in labels}, captions, sampling
    )
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
        # every system's, so each stage's ceiling shows: real clips, the codec alone
        # (resynthesis), the renderer alone (from the true mel), regen and direct
        "caption_adherence_per_attribute": {
            name: {k: systems[name][k] for k in keep[:-1]} for name in systems
        },
        "dev_sampling": dev,
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
            # the target's measure: one caption at a time, the two sides interleaved
            "batch_1_interleaved": batch1,
            # every scored clip of one side, then the other's (the evaluation's own timing)
            "batch_1": {label: systems[label]["realtime_speedup"] for label in labels},
            f"batch_{BATCH}": {label: speed[label]["realtime_speedup"] for label in labels},
        },
        "peak_rss_mb_process": max(systems[label]["peak_rss_mb"] for label in labels),
        "scale": {
            "data": results["data"],
            "clips_scored": results["data"]["test_clips_scored"],
            "stages": stages,
        },
        "budget": budget_sides(results, labels),
        "load_average_1min": load.summary(),
        "wall_clock_seconds": round(time.perf_counter() - wall, 1),
        "threads": torch.get_num_threads(),
        "command": COMMAND
        + (f" --name {args.name}" if args.name != "sound" else "")
        + (" " + " ".join(args.overrides) if args.overrides else ""),
        "report": str(report.relative_to(ROOT)) if report.is_relative_to(ROOT) else str(report),
    }
    kept = ("systems", "fad_controls", "codec", "views", "dev_sampling")
    data = {"results": {k: results.get(k) for k in kept},
            "batched_speed": speed}  # fmt: skip
    path = update_results(args.name, "compare", data, summary)
    print(json.dumps(summary, indent=1, default=float))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
