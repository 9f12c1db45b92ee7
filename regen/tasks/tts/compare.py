"""The TTS task's ``regen compare`` hooks (see :mod:`regen.compare.harness`).

Regeneration (FastSpeech-style generator -> mel, vocoder trained on speech) against the
direct text -> waveform baseline. Both are scored on held-out sentences
(:mod:`regen.tasks.tts.evaluate`); the report has audio players, mel images side by side,
the metric table, the true-vs-predicted-Y' gap and loss curves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from regen.data.speech import SpeechCorpus, corpus_voices, load_speech_corpus
from regen.data.text_frontend import PhonemeVocabulary
from regen.pipeline import Pipeline
from regen.tasks.tts.config import TTSRecipeConfig
from regen.tasks.tts.evaluate import evaluate_tts, intelligibility, mismatch_gap
from regen.tasks.tts.pipeline import PhonemeConditioner, build_tts_pipeline
from regen.tasks.tts.report import write_report  # noqa: F401  (the harness calls it)
from regen.tasks.tts.train import generator_tensors, train_tts
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds

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


def probe_step_seconds(config: TTSRecipeConfig, data: TTSData) -> float:
    """Seconds per optimizer step of the direct generator (best of 3 after a warm-up)."""
    conditioner = PhonemeConditioner(PhonemeVocabulary(), corpus_voices(config.data))
    generator = build_tts_pipeline(config, conditioner).generator.train()
    tensors = generator_tensors(config, data.train, conditioner)
    g = torch.Generator().manual_seed(0)
    batch_size = config.train.generator.batch_size

    def next_batch() -> dict:
        idx = torch.randint(len(tensors["x"]), (batch_size,), generator=g)
        return {k: v[idx] for k, v in tensors.items()}

    return best_step_seconds(generator, next_batch)


@dataclass
class TTSData:
    """The training corpus and the held-out sentences, loaded once per compare."""

    train: SpeechCorpus
    test: SpeechCorpus


def load_data(config: TTSRecipeConfig) -> TTSData:
    return TTSData(
        load_speech_corpus(config.data, "train"), load_speech_corpus(config.data, "test")
    )


def learned_stages(config: TTSRecipeConfig) -> list[str]:
    stages = ["representation"] if config.is_learned else []
    stages.append("generator")
    if not config.is_direct and config.renderer.kind == "vocoder":
        stages.append("renderer")
    return stages


def train(
    config: TTSRecipeConfig, run_dir: Path, *, data: TTSData, resume: bool, progress: bool
) -> tuple[Pipeline, list[StageResult]]:
    return train_tts(config, run_dir, resume=resume, progress=progress, data=data.train)


def describe(label: str, pipeline: Pipeline, cfg: TTSRecipeConfig) -> str:
    if pipeline.is_direct:
        return f"text -> waveform ({cfg.name})"
    return f"text -> {pipeline.spec.name} -> {cfg.renderer.kind} ({cfg.name})"


def evaluate(
    runs: dict[str, tuple[Pipeline, TTSRecipeConfig]],
    data: TTSData,
    config: TTSRecipeConfig,
    out_dir: Path,
    progress: bool,
    *,
    resume: bool = False,  # only a task whose evaluate trains (text) reads it
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Scores of both pipelines and of the resynthesis rows; example audio to examples.npz."""
    metrics, wavs = evaluate_tts(
        {label: pipeline for label, (pipeline, _) in runs.items()},
        data.test,
        config.eval.num_utterances,
        order=config.eval.mcd_order,
        alpha=config.eval.mcd_alpha,
        asr_run=config.eval.asr_run,
        progress=progress,
    )
    shown = min(config.eval.report_utterances, len(wavs["ground truth"]))
    np.savez_compressed(
        Path(out_dir) / "examples.npz",
        **{f"{name}/{i}": w[i] for name, w in wavs.items() for i in range(shown)},
    )
    extra = {
        "metrics": metrics,
        "mismatch_gap_db": mismatch_gap(metrics),
        "intelligibility": intelligibility(config.eval.asr_run)[1],
        "data": {
            "train_utterances": len(data.train),
            "train_seconds_of_audio": round(data.train.seconds(), 1),
            "test_utterances_scored": len(wavs["ground truth"]),
            "voices": corpus_voices(config.data),
            "source": data.train.source,
        },
        "examples": {
            "texts": data.test.texts[:shown],
            "speakers": data.test.speakers[:shown],
        },
    }
    return {label: metrics[label] for label in runs}, extra
