"""Speech recognition: regeneration (speech -> phonemes -> text) vs direct (CTC on characters).

1. Runs ``regen study paired asr/phonemes --seeds 1`` at benchmark scale (below): both
   pipelines at every paired fraction, the renderer trained once on unpaired text and shared
   by every regen point (its cost counted in each), the direct baseline's budget planned from
   the regen recipe's rule per fraction.
2. Measures greedy recognition speed of the regen pipeline trained on all paired data on a
   long file (held-out utterances joined into one waveform, chunked as ``regen asr`` does).

    .venv/bin/python -m benchmarks.asr_regen_vs_direct      # writes benchmarks/results/asr.json

One seed, as the compare that drew this curve before the study existed. The budget is not
the one that compare used: the recipe says ``compare.budget: seconds``, which a study plans
as equal *samples* (regen's acoustic + renderer steps x batch; there is no measured regen
time when the two train in separate points), so the direct baseline gets far more acoustic
steps than under the old equal-seconds budget and figures of a run before this change
(benchmarks/results/asr.json of that time) are not comparable with a new run's.
Re-running resumes: the study skips every finished point (delete --out to start afresh).

The scale is far below a real ASR training run: it was sized to finish in about 15 minutes
on the shared 2-core machine (see docs/asr.md for the numbers at this scale).
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


def run_dir(out: Path, fraction: float, pipeline: str) -> Path:
    """A study point's run folder (regen/studies/runner.py, seed 0)."""
    return out / "runs" / f"fraction{fraction:g}-{pipeline}-seed0"


def renderer_ablation(out: Path, overrides: list[str], steps: int) -> dict:
    """Regen at 10 % and 100 % paired with a renderer trained ``steps`` steps instead.

    Not an equal-budget comparison: it shows how much of regen's CER is the renderer's.
    The acoustic models are the ones the study trained.
    """
    from regen.config import load_recipe
    from regen.data.speech import load_speech_corpus
    from regen.modules.dsp import MelSpectrogram
    from regen.runs import load_run
    from regen.tasks.asr.data import speech_tensors
    from regen.tasks.asr.evaluate import evaluate_split, renderer_cer
    from regen.tasks.asr.recognize import Recognizer
    from regen.tasks.asr.train import build_asr_pipeline, load_asr_data, train_renderer

    config = load_recipe("asr/phonemes", [*overrides, f"train.renderer.steps={steps}"])
    start = time.perf_counter()
    shared = train_renderer(
        config, build_asr_pipeline(config), load_asr_data(config), None, progress=False
    )
    seconds = time.perf_counter() - start
    n_mels = config.generator.n_mels
    test = speech_tensors(
        load_speech_corpus(config.data, "test"), MelSpectrogram(n_mels), config.eval.max_utterances
    )
    rows = {"renderer_steps": steps, "renderer_seconds": round(seconds, 1)}
    for label, fraction in (("10pct", 0.1), ("100pct", 1.0)):
        pipeline, _ = load_run(run_dir(out, fraction, "regen"), task="asr")
        pipeline.renderer.load_state_dict(shared.module.state_dict())
        scored = evaluate_split(Recognizer(pipeline, n_mels), test)["metrics"]
        rows[label] = {k: round(v, 4) for k, v in scored.items()}
    rows["renderer_cer_true_phonemes"] = round(
        renderer_cer(Recognizer(pipeline, n_mels), test.texts), 4
    )
    return rows


def corpus_and_confusions(config, regen_run: Path) -> tuple[dict, list]:
    """What the data were, and the regen acoustic model's most frequent phoneme errors on
    both held-out splits (the model trained on all paired speech)."""
    from regen.tasks.asr.compare import SPLITS, confusions, held_out_data
    from regen.tasks.asr.evaluate import evaluate_split
    from regen.tasks.asr.recognize import Recognizer
    from regen.tasks.asr.train import load_asr_data

    train = load_asr_data(config)
    held_out = held_out_data(config)
    recognizer = Recognizer.load(regen_run)
    outputs = {split: evaluate_split(recognizer, held_out[split]) for split in SPLITS}
    texts, skipped = train.renderer_text
    corpus = {
        "train_utterances": len(train.train),
        "train_seconds": round(train.train.seconds, 1),
        "test_utterances": {split: len(held_out[split]) for split in SPLITS},
        "unpaired_texts": len(texts),
        "skipped_texts": skipped,
        "source": train.source,
    }
    return corpus, confusions(outputs, config.eval.confusions)


def point_metrics(results: dict) -> dict[tuple[float, str], dict[str, float]]:
    """``{(fraction, pipeline): metrics}`` of the study's results.json (one seed)."""
    return {
        (p["params"]["paired_fraction"], p["params"]["pipeline"]): p["metrics"]
        for p in results["points"]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-asr")
    parser.add_argument("--fractions", default=FRACTIONS, help="paired fractions (YAML list)")
    parser.add_argument(
        "--threads",
        default="1",
        help="torch threads (1: on the shared 2-core machine two threads contend with other "
        "jobs and ran about 6x slower)",
    )
    parser.add_argument("--summarize", action="store_true", help="only summarize --out")
    parser.add_argument("--smoke", action="store_true", help="print, do not write the JSON")
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
            "seconds": before.get("study_wall_seconds", usage["seconds"]),
            "peak_rss_mib": before.get("study_peak_rss_mib", usage["peak_rss_mib"]),
        }
    if not args.summarize:
        study = [*REGEN, "study", "paired", "asr/phonemes", *overrides, "--out", str(args.out)]
        study += ["--seeds", "1", "--workers", "1", "--threads", args.threads]
        usage = run_measured(study, env={"OMP_NUM_THREADS": args.threads})
    results = json.loads((args.out / "results.json").read_text())

    from regen.config import load_recipe
    from regen.data.speech import load_speech_corpus
    from regen.runs import read_meta

    torch.set_num_threads(int(args.threads))
    config = load_recipe("asr/phonemes", overrides)
    metrics = point_metrics(results)
    fractions = sorted({fraction for fraction, _ in metrics})
    if not {0.1, 1.0} <= set(fractions):
        raise SystemExit(f"--fractions must include 0.1 and 1.0 (the summary's), got {fractions}")
    regen_full = run_dir(args.out, 1.0, "regen")
    test = load_speech_corpus(config.data, "test")
    speed = long_file_speed(regen_full, test.wavs)
    corpus, confused = corpus_and_confusions(config, regen_full)
    per_fraction = {}
    for fraction in fractions:
        direct_meta = read_meta(run_dir(args.out, fraction, "direct"))
        direct_steps = next(s["steps"] for s in direct_meta["stages"] if s["name"] == "generator")
        per_fraction[f"{fraction * 100:g}pct"] = {
            "paired_utterances": direct_meta["paired_utterances"],
            "budget": f"{metrics[(fraction, 'regen')]['samples_seen']:,.0f} training samples; "
            f"direct {direct_steps} acoustic steps",
            "regen": metrics[(fraction, "regen")],
            "direct": metrics[(fraction, "direct")],
        }
    cer = {key: m["cer"] for key, m in metrics.items()}
    summary = {
        "realtime_speedup": round(speed["realtime_speedup"], 1),
        "cer_regen_10pct": round(cer[(0.1, "regen")], 4),
        "cer_direct_10pct": round(cer[(0.1, "direct")], 4),
        "cer_regen_100pct": round(cer[(1.0, "regen")], 4),
        "cer_direct_100pct": round(cer[(1.0, "direct")], 4),
        "cer_ratio_10pct": round(cer[(0.1, "regen")] / cer[(0.1, "direct")], 3),
        "target_cer_ratio_10pct_met": cer[(0.1, "regen")] <= 0.8 * cer[(0.1, "direct")],
        "target_realtime_50x_met": speed["realtime_speedup"] >= 50,
        "command": COMMAND,
    }
    data = {
        "scale": " ".join(overrides),
        "threads": int(args.threads),
        "seeds": 1,
        "corpus": corpus,
        "budget_rule": "samples (the recipe's seconds rule, planned as samples by the study)"
        if config.compare.budget == "seconds"
        else config.compare.budget,
        "per_fraction": per_fraction,
        "confusions": confused,
        "long_file_greedy": speed,
        "renderer_cer_true_phonemes": round(metrics[(1.0, "regen")]["cer_true_phonemes"], 4),
        "study_wall_seconds": round(usage["seconds"], 1),
        "study_peak_rss_mib": round(usage["peak_rss_mib"], 1),
        "report": str((args.out / "report.html").relative_to(ROOT))
        if args.out.is_relative_to(ROOT)
        else str(args.out / "report.html"),
    }
    if args.renderer_ablation:
        data["renderer_ablation"] = renderer_ablation(args.out, overrides, args.renderer_ablation)
    if args.smoke:
        print(json.dumps(data | {"summary": summary}, indent=1, default=float))
        return
    path = update_results("asr", "regen_vs_direct", data, summary)
    print(json.dumps(summary, indent=1))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
