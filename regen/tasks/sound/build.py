"""Build sound pipelines: caption -> codec tokens -> log-mel -> waveform, or caption -> waveform.

caption ─CaptionConditioner (utf-8 bytes [B, 96] or hashed words [B, 32, 2])─▶ X
    ─CaptionCodeLM─▶ codes [B, Q, F]
    ─MelRVQ.decode_mel─▶ log-mel ─vocoder─▶ 16 kHz waveform          (regen)
caption ─▶ X ─CaptionToWaveform─▶ waveform                            (direct)
"""

from __future__ import annotations

import torch

from regen.contracts import Renderer
from regen.data.caption_words import encode_caption_words
from regen.data.text import encode_captions
from regen.errors import ConfigError, DataError
from regen.generators.caption_waveform import CaptionToWaveform
from regen.generators.codes_lm import CaptionCodeLM
from regen.modules.dsp import MelSpectrogram, waveform_spec
from regen.pipeline import Pipeline
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.renderers.latent_mel import LatentMelRenderer
from regen.renderers.vocoder import VocosVocoder
from regen.representations.mel_rvq import MelRVQ
from regen.tasks.sound.config import TEXT_ENCODERS, SoundRecipeConfig

CAPTION_BYTES = 96  # longer captions are cut (the corpus's longest is about 80 bytes)
CAPTION_WORDS = 32  # words and punctuation marks (the corpus's longest is about 20)


class CaptionConditioner:
    """Captions -> X for ``generator.text_encoder``:

    - ``learned``: int64 [B, 96] utf-8 bytes + 1 (0 = padding), read by a byte transformer;
    - ``words``: int64 [B, 32, 2] hashed word ids (:mod:`regen.data.caption_words`), so each
      word is one token from the first step.

    Either way any caption encodes: an unknown word (an instrument never heard) gets hash ids
    whose embeddings training never moved, which the encoder reads as an unfamiliar word.
    """

    def __init__(self, text_encoder: str = "learned") -> None:
        if text_encoder not in TEXT_ENCODERS:
            raise ConfigError(
                f"unknown generator.text_encoder {text_encoder!r} for sound; "
                f"use one of {', '.join(TEXT_ENCODERS)}"
            )
        self.text_encoder = text_encoder

    def encode(self, captions: list[str]) -> torch.Tensor:
        if not captions:
            raise DataError("no captions given; pass at least one")
        captions = [str(c) for c in captions]
        if self.text_encoder == "words":
            return encode_caption_words(captions, max_words=CAPTION_WORDS)
        return encode_captions(captions, max_len=CAPTION_BYTES)


def mel_of(config: SoundRecipeConfig) -> MelSpectrogram:
    rep = config.representation
    return MelSpectrogram(
        sample_rate=config.data.sample_rate,
        n_fft=rep.n_fft,
        hop=rep.hop,
        n_mels=rep.n_mels,
        fmax=config.data.sample_rate / 2,
    )


def clip_frames(config: SoundRecipeConfig, seconds: float | None = None) -> int:
    """Frames of ``seconds`` of audio (default: the training clip length)."""
    seconds = config.data.clip_seconds if seconds is None else seconds
    return round(seconds * config.data.sample_rate) // config.representation.hop + 1


def codec(config: SoundRecipeConfig, mel: MelSpectrogram) -> MelRVQ:
    """The untrained codec: RVQ over log-mel with the recipe's quantizer options."""
    rep = config.representation
    return MelRVQ(
        mel,
        rep,
        codebook_dim=rep.codebook_dim,
        use_cosine_sim=rep.cosine,
        kmeans_init=rep.kmeans_init,
        threshold_ema_dead_code=rep.dead_code_threshold,
        quantize_dropout=rep.quantize_dropout and rep.num_quantizers > 1,
    )


def build_sound_pipeline(config: SoundRecipeConfig) -> Pipeline:
    """The untrained pipeline of a recipe (regeneration or the direct baseline)."""
    torch.manual_seed(config.seed)
    mel = mel_of(config)
    frames = clip_frames(config)
    conditioner = CaptionConditioner(config.generator.text_encoder)
    if config.is_direct:
        spec = waveform_spec(config.data.sample_rate)
        generator = CaptionToWaveform(spec, config.generator, config.renderer, mel, frames)
        return Pipeline.direct(generator, conditioner=conditioner, name=config.name)
    rep = codec(config, mel)
    generator = CaptionCodeLM(rep.spec, config.generator, frames)
    renderer = LatentMelRenderer(rep.spec, rep.decode_mel, mel_renderer(config, mel))
    return Pipeline(rep, generator, renderer, conditioner=conditioner, name=config.name)


def mel_renderer(config: SoundRecipeConfig, mel: MelSpectrogram) -> Renderer:
    """log-mel -> waveform as ``renderer.kind`` says: the vocoder or Griffin-Lim (shared by
    every Y' of the task, so a study's formats render alike)."""
    if config.renderer.kind == "vocoder":
        return VocosVocoder(mel, config.renderer)
    return GriffinLimRenderer(mel, config.renderer.griffin_lim_iterations)


def build(config: SoundRecipeConfig, meta: dict | None = None) -> Pipeline:
    """Every shape comes from the recipe, so ``meta`` (the run's pipeline.json) is unused."""
    return build_sound_pipeline(config)
