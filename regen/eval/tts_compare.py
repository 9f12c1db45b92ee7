"""``regen compare`` for TTS: regeneration vs the direct baseline on one budget, one report.

1. Train the regeneration recipe (FastSpeech-style generator -> mel, vocoder on speech).
2. Train its direct baseline (text -> waveform) on the same budget: the same training
   wall-clock (``compare.budget: seconds``, the baseline's steps set from a timed probe of
   its step) or the same optimizer steps x batch summed over stages (``samples``).
3. Evaluate both on held-out sentences (:mod:`regen.eval.tts_eval`) and write report.html
   with audio players, mel images side by side, the metric table and loss curves.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from regen.config import dump_yaml, load_with_baseline
from regen.data.speech import load_speech_corpus
from regen.data.text_frontend import PhonemeVocabulary
from regen.eval.compare import stage_records
from regen.eval.tts_eval import evaluate_tts, intelligibility, mismatch_gap
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds
from regen.training.tts_stages import generator_tensors, train_tts
from regen.tts_config import TTSRecipeConfig
from regen.tts_pipeline import PhonemeConditioner, build_tts_pipeline

RESULTS_FILE = "results.json"

METRIC_NOTES = {
    "mcd_db": "lower is better; MCD-DTW in dB, c1..c24, alpha 0.455 (docs/speech.md)",
    "logf0_rmse": "lower is better; natural-log F0 RMSE on DTW-aligned voiced frames",
    "vuv_error": "lower is better; fraction of aligned frames with wrong voicing",
    "duration_mae_ms": "lower is better; per-phoneme duration error vs espeak-ng events",
    "length_error_pct": "lower is better; utterance length error",
    "realtime_speedup": "higher is better; audio seconds per compute second, end to end",
    "asr_wer": "lower is better; word error rate of regen's recognizer (NaN: not available)",
    "train_seconds": "training wall-clock, all stages",
}


def probe_step_seconds(config: TTSRecipeConfig, corpus) -> float:
    """Seconds per optimizer step of the direct generator (best of 3 after a warm-up)."""
    conditioner = PhonemeConditioner(PhonemeVocabulary(), config.data.voices)
    generator = build_tts_pipeline(config, conditioner).generator.train()
    tensors = generator_tensors(config, corpus, conditioner)
    g = torch.Generator().manual_seed(0)
    batch_size = config.train.generator.batch_size

    def next_batch() -> dict:
        idx = torch.randint(len(tensors["x"]), (batch_size,), generator=g)
        return {k: v[idx] for k, v in tensors.items()}

    return best_step_seconds(generator, next_batch)


def direct_steps(out_dir: Path, regen_cfg, direct_cfg, results: list[StageResult], corpus) -> int:
    """The baseline's generator steps under the recipe's budget rule (kept for --resume)."""
    path = out_dir / "budget.json"
    if path.is_file():
        return int(json.loads(path.read_text())["direct_generator_steps"])
    batch = direct_cfg.train.generator.batch_size
    if regen_cfg.compare.budget == "seconds":
        seconds = sum(r.seconds for r in results)
        steps = max(1, int(seconds / probe_step_seconds(direct_cfg, corpus)))
    else:
        steps = max(1, math.ceil(sum(r.samples_seen for r in results) / batch))
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"direct_generator_steps": steps, "rule": regen_cfg.compare.budget}))
    return steps


def run_tts_compare(
    recipe: str | Path,
    overrides: list[str] | None = None,
    *,
    out_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> Path:
    """Train regen and direct on the same budget, evaluate both, write report.html."""
    regen_cfg, direct_cfg = load_with_baseline(recipe, overrides or [])
    out_dir = Path(out_dir or Path("runs") / f"compare-{regen_cfg.name}")
    train = load_speech_corpus(regen_cfg.data, "train")
    test = load_speech_corpus(regen_cfg.data, "test")
    regen, regen_results = train_tts(
        regen_cfg, out_dir / regen_cfg.name, resume=resume, progress=progress, data=train
    )
    steps = direct_steps(out_dir, regen_cfg, direct_cfg, regen_results, train)
    direct_cfg.train.generator = replace(direct_cfg.train.generator, steps=steps)
    direct, direct_results = train_tts(
        direct_cfg, out_dir / direct_cfg.name, resume=resume, progress=progress, data=train
    )
    metrics, wavs = evaluate_tts(
        {"regen": regen, "direct": direct},
        test,
        regen_cfg.eval.num_utterances,
        order=regen_cfg.eval.mcd_order,
        alpha=regen_cfg.eval.mcd_alpha,
        asr_run=regen_cfg.eval.asr_run,
    )
    for name, results in (("regen", regen_results), ("direct", direct_results)):
        metrics[name]["train_seconds"] = sum(r.seconds for r in results)
    shown = min(regen_cfg.eval.report_utterances, len(wavs["ground truth"]))
    record = {
        "task": "tts",
        "recipe": regen_cfg.name,
        "baseline": direct_cfg.name,
        "metrics": metrics,
        "mismatch_gap_db": mismatch_gap(metrics),
        "intelligibility": intelligibility(regen_cfg.eval.asr_run)[1],
        "stages": {"regen": stage_records(regen_results), "direct": stage_records(direct_results)},
        "curves": {
            "regen": {r.name: r.curve for r in regen_results},
            "direct": {r.name: r.curve for r in direct_results},
        },
        "configs": {"regen": dump_yaml(regen_cfg), "direct": dump_yaml(direct_cfg)},
        "budget_rule": regen_cfg.compare.budget,
        "data": {
            "train_utterances": len(train),
            "train_seconds_of_audio": round(train.seconds(), 1),
            "test_utterances_scored": len(wavs["ground truth"]),
            "voices": regen_cfg.data.voices,
            "source": train.source,
        },
        "examples": {
            "texts": test.texts[:shown],
            "speakers": test.speakers[:shown],
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RESULTS_FILE).write_text(json.dumps(record, indent=1, default=float))
    np.savez_compressed(
        out_dir / "examples.npz",
        **{f"{name}/{i}": w[i] for name, w in wavs.items() for i in range(shown)},
    )
    from regen.report.tts_report import write_tts_report

    return write_tts_report(out_dir)
