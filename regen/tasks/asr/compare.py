"""The ASR task's ``regen compare`` hooks (see :mod:`regen.compare.harness`).

Speech -> phonemes (Conformer + CTC) -> text (renderer trained on unpaired text only)
against CTC over characters, both trained on the recipe's ``paired_fraction`` of the paired
speech and scored on held-out sentences (training voices) and on the held-out voice. The
paired-data curve is ``regen study paired asr/phonemes`` (the one RQ3 code path).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from regen.data.speech import load_speech_corpus
from regen.eval.asr_metrics import phoneme_confusions
from regen.modules.dsp import MelSpectrogram
from regen.pipeline import Pipeline
from regen.representations.phonemes import MARKS
from regen.tasks.asr.config import ASRRecipe
from regen.tasks.asr.data import SpeechTensors, encoded, paired_count, speech_tensors
from regen.tasks.asr.evaluate import evaluate_split
from regen.tasks.asr.recognize import Recognizer
from regen.tasks.asr.report import write_report  # noqa: F401  (the harness calls it)
from regen.tasks.asr.train import (
    ASRData,
    build_asr_pipeline,
    load_asr_data,
    text_encoder,
    train_asr,
)
from regen.training.logger import progress_bar
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds

SPLITS = {"test": "held-out sentences", "test_speaker": "held-out voice"}
METRIC_NOTES = {
    "cer": "character error rate, held-out sentences (training voices), lower is better",
    "wer": "word error rate, held-out sentences, lower is better",
    "per": "phoneme error rate of X -> Y' (regen only), held-out sentences, lower is better",
    "cer_true_phonemes": "CER of the renderer alone from the true phonemes of the held-out "
    "sentences (the floor the acoustic model cannot remove), lower is better",
    "cer_speaker": "character error rate on the held-out voice, lower is better",
    "wer_speaker": "word error rate on the held-out voice, lower is better",
    "per_speaker": "phoneme error rate on the held-out voice, lower is better",
    "realtime_speedup": "seconds of audio recognised per second of compute (greedy, batch 16),"
    " higher is better",
    "train_seconds": "wall-clock seconds of training summed over stages",
    "samples_seen": "optimizer steps x batch summed over stages",
}


@dataclass
class ASRCompareData:
    """Training speech and text, and the held-out splits, loaded once per compare."""

    train: ASRData
    held_out: dict[str, SpeechTensors]


def load_data(config: ASRRecipe) -> ASRCompareData:
    return ASRCompareData(load_asr_data(config), held_out_data(config))


def held_out_data(config: ASRRecipe) -> dict[str, SpeechTensors]:
    """The held-out splits (:data:`SPLITS`), at most ``eval.max_utterances`` each; a split
    without recordings (a ``data.source`` has no held-out voice) is left out."""
    mel = MelSpectrogram(n_mels=config.generator.n_mels)
    limit = config.eval.max_utterances
    corpora = {split: load_speech_corpus(config.data, split) for split in SPLITS}
    return {
        split: speech_tensors(corpus, mel, limit) for split, corpus in corpora.items() if corpus
    }


def learned_stages(config: ASRRecipe) -> list[str]:
    return ["generator"] if config.is_direct else ["generator", "renderer"]


def train(
    config: ASRRecipe, run_dir: Path, *, data: ASRCompareData, resume: bool, progress: bool
) -> tuple[Pipeline, list[StageResult]]:
    return train_asr(config, run_dir, resume=resume, progress=progress, data=data.train)


def probe_step_seconds(direct_cfg: ASRRecipe, data: ASRCompareData) -> float:
    """Seconds of one optimizer step of the direct baseline's acoustic model (timed probe)."""
    pipeline = build_asr_pipeline(direct_cfg)
    speech = data.train.train
    batch = min(direct_cfg.train.generator.batch_size, len(speech))
    part = speech.subset(batch)
    y_prime, y_len, _ = encoded(text_encoder(pipeline), part.texts)
    # one fixed batch as a tensor (a data.source's store gives rows read batch by batch)
    x = part.x if isinstance(part.x, torch.Tensor) else part.x[torch.arange(len(part))]
    tensors = {"x": x, "x_len": part.x_len, "y_prime": y_prime, "y_len": y_len}
    return best_step_seconds(pipeline.generator.train(), lambda: tensors)


def describe(label: str, pipeline: Pipeline, cfg: ASRRecipe) -> str:
    if pipeline.is_direct:
        return "CTC on characters"
    rep = cfg.representation
    boundaries = "boundaries" if rep.word_boundaries else "no boundaries"
    return f"phonemes ({boundaries}{', stress' if rep.stress else ''}) + CTC + P2G"


def evaluate(
    runs: dict[str, tuple[Pipeline, ASRRecipe]],
    data: ASRCompareData,
    config: ASRRecipe,
    out_dir: Path,
    progress: bool,
    *,
    resume: bool = False,  # only a task whose evaluate trains (text) reads it
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """CER/WER/PER of both pipelines on both held-out splits; example audio to examples.npz."""
    metrics, outputs = {}, {}
    splits = list(data.held_out)
    bar = progress_bar("evaluating asr", len(runs) * len(splits), 0, progress, unit="split")
    for label, (pipeline, cfg) in runs.items():
        recognizer = Recognizer(pipeline, cfg.generator.n_mels)
        scored = {}
        for split in splits:
            scored[split] = evaluate_split(recognizer, data.held_out[split])
            bar.update(1)
        metrics[label] = flat_metrics(scored)
        outputs[label] = {s: {k: v for k, v in scored[s].items() if k != "metrics"} for s in splits}
    bar.close()
    _save_example_audio(Path(out_dir), data.held_out, config.eval.examples)
    speech, text = data.train.train, data.train.renderer_text
    extra = {
        "paired_fraction": config.paired_fraction,
        "outputs": outputs,
        "references": {s: data.held_out[s].texts for s in splits},
        "speakers": {s: data.held_out[s].speakers for s in splits},
        "confusions": confusions(outputs["regen"], config.eval.confusions),
        "data": {
            "train_utterances": len(speech),
            "paired_utterances": paired_count(len(speech), config.paired_fraction),
            "train_seconds": round(speech.seconds, 1),
            "test_utterances": {s: len(data.held_out.get(s, ())) for s in SPLITS},
            "unpaired_texts": len(text[0]) if text else 0,
            "skipped_texts": text[1] if text else 0,
            "text_files": data.train.text_files,
            "source": data.train.source,
        },
    }
    return metrics, extra


def flat_metrics(scored: dict[str, dict[str, Any]]) -> dict[str, float]:
    """``{"cer": .., "wer": .., "per": .., "cer_speaker": .., ...}`` from both splits."""
    metrics: dict[str, float] = {}
    for split, suffix in (("test", ""), ("test_speaker", "_speaker")):
        if split not in scored:  # a data.source has no held-out voice
            continue
        for key, value in scored[split]["metrics"].items():
            if key in ("realtime_speedup", "cer_true_phonemes"):  # same for both splits
                if split == "test":
                    metrics[key] = value
                continue
            metrics[key + suffix] = value
    return metrics


def confusions(regen_outputs: dict[str, Any], top: int) -> list[tuple[str, str, int]]:
    refs, hyps = [], []
    for split in regen_outputs:
        refs += [
            [s for s in r if s not in MARKS] for r in regen_outputs[split]["reference_phonemes"]
        ]
        hyps += [[s for s in h if s not in MARKS] for h in regen_outputs[split]["phonemes"]]
    return phoneme_confusions(refs, hyps, top)


def _save_example_audio(out_dir: Path, held_out, count: int) -> None:
    """The example utterances' audio, so ``regen report`` can rebuild the page."""
    import numpy as np

    arrays = {
        f"{split}/{i}": np.round(held_out[split].wavs[i] * 32767).astype(np.int16)
        for split in held_out
        for i in range(min(count, len(held_out[split])))
    }
    np.savez_compressed(out_dir / "examples.npz", **arrays)
