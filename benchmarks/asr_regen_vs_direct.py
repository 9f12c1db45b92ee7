"""Speech recognition: regeneration (speech -> phonemes -> text) vs direct (CTC on characters).

1. Runs ``regen compare asr/phonemes`` at benchmark scale (below): both pipelines at every
   paired fraction, the renderer trained once on unpaired text, equal budgets per fraction.
2. Measures greedy recognition speed of the regen pipeline trained on all paired data on a
   long file (held-out utterances joined into one waveform, chunked as ``regen asr`` does).

    .venv/bin/python -m benchmarks.asr_regen_vs_direct      # writes benchmarks/results/asr.json

The scale is far below a real ASR training run: it is sized to finish in about 15 minutes on
the shared 2-core machine (see docs/asr.md for the numbers at this scale).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import run_measured, update_results

ROOT = Path(__file__).resolve().parents[1]
REGEN = [sys.executable, "-m", "regen.cli"]
COMMAND = ".venv/bin/python -m benchmarks.asr_regen_vs_direct"
SCALE = [
    "data.num_sentences=700",
    "data.max_seconds=6.0",
    "text.max_sentences=6000",
    "text.cmudict_words=3000",
    "generator.dim=80",
    "generator.depth=2",
    "renderer.unit=word",
    "renderer.dim=128",
    "renderer.depth=2",
    "renderer.max_len=64",
    "train.generator.steps=300",
    "train.generator.batch_size=8",
    "train.generator.lr=0.002",
    "train.generator.warmup_steps=30",
    "train.generator.checkpoint_every=1000",
    "train.renderer.steps=400",
    "train.renderer.batch_size=128",
    "train.renderer.lr=0.003",
    "train.renderer.warmup_steps=30",
    "train.renderer.checkpoint_every=1000",
    "eval.max_utterances=40",
]
FRACTIONS = "[0.05, 0.1, 0.25, 0.5, 1.0]"


def long_file_speed(run: Path, wavs: list[np.ndarray], seconds_wanted: float = 120.0) -> dict:
    """Greedy transcription speed of one long file made of held-out utterances."""
    from regen.data.audio import SAMPLE_RATE
    from regen.tasks.asr.recognize import Recognizer

    recognizer = Recognizer.load(run)
    joined = np.concatenate(wavs)
    repeats = int(np.ceil(seconds_wanted * SAMPLE_RATE / len(joined)))
    audio = np.tile(joined, repeats)[: int(seconds_wanted * SAMPLE_RATE)]
    recognizer.transcribe(audio[: SAMPLE_RATE * 2])  # warm-up
    start = time.perf_counter()
    recognizer.transcribe(audio)
    compute = time.perf_counter() - start
    return {
        "audio_seconds": len(audio) / SAMPLE_RATE,
        "compute_seconds": compute,
        "realtime_speedup": len(audio) / SAMPLE_RATE / compute,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def renderer_ablation(out: Path, overrides: list[str], steps: int) -> dict:
    """Regen at 10 % and 100 % paired with a renderer trained ``steps`` steps instead.

    Not an equal-budget comparison: it shows how much of regen's CER is the renderer's.
    The acoustic models are the ones the comparison trained.
    """
    from regen.config import load_recipe
    from regen.data.speech import load_speech_corpus
    from regen.representations.mel import MelSpectrogram
    from regen.tasks.asr.data import speech_tensors
    from regen.tasks.asr.evaluate import evaluate_split, renderer_cer
    from regen.tasks.asr.recognize import Recognizer
    from regen.tasks.asr.train import (
        build_asr_pipeline,
        load_asr_data,
        load_asr_run,
        train_renderer,
    )

    config = load_recipe("asr/phonemes", [*overrides, f"train.renderer.steps={steps}"])
    start = time.perf_counter()
    shared = train_renderer(
        config, build_asr_pipeline(config), load_asr_data(config), None, progress=False
    )
    seconds = time.perf_counter() - start
    test = speech_tensors(
        load_speech_corpus(config.data, "test"), MelSpectrogram(), config.eval.max_utterances
    )
    rows = {"renderer_steps": steps, "renderer_seconds": round(seconds, 1)}
    for label in ("10pct", "100pct"):
        pipeline, _ = load_asr_run(out / f"regen-{label}")
        pipeline.renderer.load_state_dict(shared.module.state_dict())
        scored = evaluate_split(Recognizer(pipeline), test)["metrics"]
        rows[label] = {k: round(v, 4) for k, v in scored.items()}
    rows["renderer_cer_true_phonemes"] = round(renderer_cer(Recognizer(pipeline), test.texts), 4)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-asr")
    parser.add_argument("--fractions", default=FRACTIONS, help="paired fractions (YAML list)")
    parser.add_argument("--resume", action="store_true", help="keep finished runs in --out")
    parser.add_argument(
        "--threads",
        default="1",
        help="torch threads (1: on the shared 2-core machine two threads contend with other "
        "jobs and ran about 6x slower)",
    )
    parser.add_argument("--summarize", action="store_true", help="only summarize --out")
    parser.add_argument(
        "--renderer-ablation",
        type=int,
        metavar="STEPS",
        help="also score regen at 10%% and 100%% with a renderer trained STEPS steps",
    )
    parser.add_argument("overrides", nargs="*", help="extra key=value overrides")
    args = parser.parse_args()
    overrides = [*SCALE, f"eval.fractions={args.fractions}", *args.overrides]
    usage = {"seconds": float("nan"), "peak_rss_mib": float("nan")}
    previous = ROOT / "benchmarks" / "results" / "asr.json"
    if args.summarize and previous.is_file():  # keep the figures of the run being summarized
        before = json.loads(previous.read_text()).get("regen_vs_direct", {})
        usage = {
            "seconds": before.get("compare_wall_seconds", usage["seconds"]),
            "peak_rss_mib": before.get("compare_peak_rss_mib", usage["peak_rss_mib"]),
        }
    if not args.summarize:
        resume = ["--resume"] if args.resume else []
        compare = [*REGEN, "compare", "asr/phonemes", *overrides, "--out", str(args.out)]
        usage = run_measured([*compare, *resume], env={"OMP_NUM_THREADS": args.threads})
    results = json.loads((args.out / "results.json").read_text())

    from regen.config import load_recipe
    from regen.data.speech import load_speech_corpus
    from regen.tasks.asr.evaluate import renderer_cer
    from regen.tasks.asr.recognize import Recognizer

    torch.set_num_threads(int(args.threads))
    config = load_recipe("asr/phonemes", overrides)
    test = load_speech_corpus(config.data, "test")
    speed = long_file_speed(args.out / "regen-100pct", test.wavs)
    renderer_floor = renderer_cer(
        Recognizer.load(args.out / "regen-100pct"), results["references"]["test"]
    )
    per_fraction = {
        f"{p['fraction'] * 100:g}pct": {
            "paired_utterances": p["paired_utterances"],
            "budget": p["budget"],
            "regen": p["regen"],
            "direct": p["direct"],
        }
        for p in results["curve"]
    }
    curve = {p["fraction"]: p for p in results["curve"]}
    summary = {
        "realtime_speedup": round(speed["realtime_speedup"], 1),
        "cer_regen_10pct": round(curve[0.1]["regen"]["cer"], 4),
        "cer_direct_10pct": round(curve[0.1]["direct"]["cer"], 4),
        "cer_regen_100pct": round(curve[1.0]["regen"]["cer"], 4),
        "cer_direct_100pct": round(curve[1.0]["direct"]["cer"], 4),
        "cer_ratio_10pct": round(curve[0.1]["regen"]["cer"] / curve[0.1]["direct"]["cer"], 3),
        "target_cer_ratio_10pct_met": curve[0.1]["regen"]["cer"]
        <= 0.8 * curve[0.1]["direct"]["cer"],
        "target_realtime_50x_met": speed["realtime_speedup"] >= 50,
        "command": COMMAND,
    }
    data = {
        "scale": " ".join(overrides),
        "threads": int(args.threads),
        "corpus": results["data"],
        "budget_rule": results["budget_rule"],
        "per_fraction": per_fraction,
        "confusions": results["confusions"],
        "long_file_greedy": speed,
        "renderer_cer_true_phonemes": round(renderer_floor, 4),
        "compare_wall_seconds": round(usage["seconds"], 1),
        "compare_peak_rss_mib": round(usage["peak_rss_mib"], 1),
        "report": str((args.out / "report.html").relative_to(ROOT))
        if args.out.is_relative_to(ROOT)
        else str(args.out / "report.html"),
    }
    if args.renderer_ablation:
        data["renderer_ablation"] = renderer_ablation(args.out, overrides, args.renderer_ablation)
    elif previous.is_file():
        before = json.loads(previous.read_text()).get("regen_vs_direct", {})
        if "renderer_ablation" in before:
            data["renderer_ablation"] = before["renderer_ablation"]
    path = update_results("asr", "regen_vs_direct", data, summary)
    print(json.dumps(summary, indent=1))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
