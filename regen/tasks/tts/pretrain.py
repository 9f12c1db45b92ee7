"""The TTS vocoder as a reusable asset (``regen pretrain tts/...``; see
:mod:`regen.training.renderer_assets`).

The vocoder learns log-mel -> waveform from the corpus's training audio alone (every
training utterance, not only a paired share: the text is never read). Its quality is
measured from the TRUE mel of held-out sentences, against Griffin-Lim from the same mel (the
non-learned floor a learned vocoder has to beat): MCD-DTW, log-F0 RMSE and voicing error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from regen.config import dump_yaml, to_dict
from regen.data.prepare import settings_read
from regen.data.speech import SpeechCorpus, corpus_voices, load_speech_corpus
from regen.data.text_frontend import PhonemeVocabulary
from regen.eval.speech_metrics import speech_distances
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.tasks.tts.config import TTSRecipeConfig, check_pretrainable
from regen.tasks.tts.data import stored_segments, waveform_segments
from regen.tasks.tts.pipeline import PhonemeConditioner, build_tts_pipeline, mel_of
from regen.training.loop import StageResult, train_stage
from regen.training.renderer_assets import RendererJob, renderer_reads

CROPS_PER_UTTERANCE = 8
METRICS = ("mcd_db", "logf0_rmse", "vuv_error")
NOTES = {
    "mcd_db": "lower is better; MCD-DTW (dB, c1..c24) from the TRUE mel of held-out sentences",
    "logf0_rmse": "lower is better; log-F0 RMSE on DTW-aligned voiced frames",
    "vuv_error": "lower is better; share of aligned frames with wrong voicing",
}


def crops(config: TTSRecipeConfig, corpus: SpeechCorpus) -> dict[str, torch.Tensor]:
    """Random waveform crops of every training utterance (the vocoder's and a learned
    representation's unpaired data); of a prepared ``data.source``, read from its store batch
    by batch."""
    samples = config.renderer.segment_frames * config.representation.hop
    if corpus.store is not None:
        return stored_segments(corpus, samples, CROPS_PER_UTTERANCE, config.seed)
    return waveform_segments(corpus.wavs, samples, CROPS_PER_UTTERANCE, config.seed)


def renderer_job(
    config: TTSRecipeConfig,
    train_corpus: SpeechCorpus | None = None,
    test_corpus: SpeechCorpus | None = None,
) -> RendererJob:
    """How to train, load and measure the vocoder of ``config``."""
    check_pretrainable(config)
    train_corpus = train_corpus or load_speech_corpus(config.data, "train")
    held_out: list[SpeechCorpus] = [test_corpus] if test_corpus is not None else []
    mel = mel_of(config)

    def test() -> SpeechCorpus:
        if not held_out:
            held_out.append(load_speech_corpus(config.data, "test"))
        return held_out[0]

    def build() -> nn.Module:
        conditioner = PhonemeConditioner(PhonemeVocabulary(), corpus_voices(config.data))
        torch.manual_seed(config.seed)  # initial weights follow the recipe seed
        return build_tts_pipeline(config, conditioner).renderer

    def quality(module: nn.Module) -> dict[str, float]:
        return from_true_mel(module, mel, test(), config)

    def floor() -> dict[str, float]:
        return from_true_mel(GriffinLimRenderer(mel), mel, test(), config)

    def train(module: nn.Module, folder: Path, progress: bool) -> StageResult:
        cfg = config.train.renderer
        return train_stage(
            "renderer",
            module,
            crops(config, train_corpus),
            cfg,
            folder,
            resume=True,
            config_yaml=dump_yaml(config),
            eval_fn=quality if cfg.eval_every else None,
            progress=progress,
        )

    return RendererJob(
        task="tts",
        reads=renderer_reads(
            config,
            data=settings_read(config.data),
            source=train_corpus.source,
            representation=to_dict(config.representation),
            eval=[config.eval.num_utterances, config.eval.mcd_order, config.eval.mcd_alpha],
        ),
        build=build,
        train=train,
        quality=quality,
        floor=floor,
        data=f"{len(train_corpus):,} training utterances, {train_corpus.seconds() / 3600:.2f} h "
        f"of audio ({', '.join(corpus_voices(config.data))})",
        notes=NOTES,
    )


def from_true_mel(
    renderer: nn.Module, mel: nn.Module, test: SpeechCorpus, config: TTSRecipeConfig
) -> dict[str, float]:
    """Mean MCD-DTW / log-F0 RMSE / V-UV error of ``renderer`` from the true mel of the
    first ``eval.num_utterances`` held-out utterances (the renderer alone, no generator)."""
    rows = []
    with torch.inference_mode():
        for wav in test.wavs[: config.eval.num_utterances]:
            true_mel = mel.encode(torch.from_numpy(wav)[None])
            out = renderer.render(true_mel)[0].numpy()
            rows.append(speech_distances(wav, out, config.eval.mcd_order, config.eval.mcd_alpha))
    return {k: float(np.nanmean([r[k] for r in rows])) for k in METRICS}
