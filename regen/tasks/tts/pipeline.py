"""Build, save, load and run TTS pipelines: text -> phonemes -> Y' -> waveform.

    text ─normalize_text─▶ sentences ─phonemize (espeak-ng)─▶ ids ─generator─▶ Y' ─renderer─▶ wav

The text front end is the pipeline's *conditioner* (:class:`PhonemeConditioner`): it holds
the phoneme vocabulary and the voices that have a speaker embedding, and it is saved beside
the weights in ``pipeline.json``. Long text is synthesized sentence by sentence, so memory
stays bounded and audio can be streamed chunk by chunk (:func:`synthesize_chunks`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from regen.contracts import XBatch
from regen.data.sentences import split_sentences
from regen.data.text_frontend import PhonemeVocabulary, normalize_text, phonemize
from regen.errors import DataError
from regen.generators.codes_ar import AutoregressiveCodeGenerator
from regen.generators.direct_waveform import DirectWaveformGenerator
from regen.generators.fastspeech import FastSpeechGenerator
from regen.generators.fastspeech_codes import FastSpeechCodeGenerator
from regen.generators.flow_matching import FlowMatchingGenerator
from regen.modules.dsp import SAMPLE_RATE, MelSpectrogram, waveform_spec
from regen.pipeline import Pipeline
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.renderers.latent_mel import LatentMelRenderer
from regen.renderers.vocoder import VocosVocoder
from regen.representations.mel_rvq import MelRVQ
from regen.representations.mel_vae import MelVAE
from regen.tasks.tts.config import TTSRecipeConfig

DEFAULT_RUN = Path("runs/tts_fastspeech_vocos")


class PhonemeConditioner:
    """Text + voice -> phoneme ids [1, L] and speaker id [1]; the pipeline's front end."""

    def __init__(self, vocab: PhonemeVocabulary, voices: list[str]) -> None:
        self.vocab, self.voices = vocab, list(voices)

    def speaker(self, voice: str) -> torch.Tensor:
        if voice not in self.voices:
            raise DataError(
                f"voice '{voice}' was not trained; this pipeline speaks: {', '.join(self.voices)}"
            )
        return torch.tensor([self.voices.index(voice)])

    def encode_sentence(self, sentence: str, voice: str) -> torch.Tensor:
        """Phoneme ids [1, L] of one normalised sentence in ``voice``'s dialect."""
        return torch.tensor([self.vocab.encode(phonemize([sentence], voice)[0])])

    def to_dict(self) -> dict:
        return {"vocab": self.vocab.to_dict(), "voices": self.voices}


def mel_of(config: TTSRecipeConfig) -> MelSpectrogram:
    rep = config.representation
    return MelSpectrogram(n_fft=rep.n_fft, hop=rep.hop, n_mels=rep.n_mels, fmax=rep.fmax)


def learned_representation(config: TTSRecipeConfig, mel: MelSpectrogram):
    """The untrained learned Y' over ``mel``: ``mel_vae`` (continuous) or ``mel_rvq`` (codes)."""
    if config.representation.kind == "mel_vae":
        return MelVAE(mel, config.representation)

    return MelRVQ(mel, config.representation)


def build_tts_pipeline(config: TTSRecipeConfig, conditioner: PhonemeConditioner) -> Pipeline:
    """The untrained pipeline a recipe describes (regeneration or the direct baseline)."""
    torch.manual_seed(config.seed)
    mel = mel_of(config)
    vocab, speakers = len(conditioner.vocab), len(conditioner.voices)
    if config.is_direct:
        gen = DirectWaveformGenerator(
            waveform_spec(mel.sample_rate), config.generator, config.renderer, mel, vocab, speakers
        )
        return Pipeline.direct(gen, conditioner=conditioner, name=config.name)
    else:
        rep = learned_representation(config, mel) if config.is_learned else mel
        if config.generator.kind == "ar":
            gen = AutoregressiveCodeGenerator(rep.spec, config.generator, vocab, speakers)
        elif rep.spec.kind == "discrete":
            gen = FastSpeechCodeGenerator(rep.spec, config.generator, vocab, speakers)
        elif config.generator.kind == "flow":
            gen = FlowMatchingGenerator(rep.spec, config.generator, vocab, speakers)
        else:
            gen = FastSpeechGenerator(rep.spec, config.generator, vocab, speakers)
        if config.renderer.kind == "vocoder":
            renderer = VocosVocoder(mel, config.renderer)
        else:
            renderer = GriffinLimRenderer(mel, config.renderer.griffin_lim_iterations)
        if config.is_learned:
            renderer = LatentMelRenderer(rep.spec, rep.decode_mel, renderer)
    return Pipeline(rep, gen, renderer, conditioner=conditioner, name=config.name)


def build(config: TTSRecipeConfig, meta: dict) -> Pipeline:
    """The untrained pipeline of a saved run (``pipeline.json`` holds vocabulary and voices)."""
    vocab = PhonemeVocabulary.from_dict(meta["vocab"])
    return build_tts_pipeline(config, PhonemeConditioner(vocab, meta["voices"]))


@dataclass
class SynthesisTimes:
    """Seconds spent per stage and seconds of audio produced."""

    frontend: float = 0.0
    generator: float = 0.0
    renderer: float = 0.0
    audio: float = 0.0
    sentences: list[str] = field(default_factory=list)

    @property
    def compute(self) -> float:
        return self.frontend + self.generator + self.renderer


def synthesize_chunks(
    pipeline: Pipeline, text: str, voice: str, times: SynthesisTimes | None = None
) -> Iterator[np.ndarray]:
    """Waveform chunks (float32 [T] at 22,050 Hz), one per sentence of ``text``."""
    times = times if times is not None else SynthesisTimes()
    conditioner: PhonemeConditioner = pipeline.conditioner
    speaker = conditioner.speaker(voice)
    sentences = split_sentences(normalize_text(text))
    for sentence in sentences:
        start = time.perf_counter()
        ids = conditioner.encode_sentence(sentence, voice)
        tick = time.perf_counter()
        with torch.inference_mode():
            y_prime = pipeline.generate(XBatch(ids, speakers=speaker))
            tock = time.perf_counter()
            wav = pipeline.render(y_prime)[0].numpy()
        end = time.perf_counter()
        times.frontend += tick - start
        times.generator += tock - tick
        times.renderer += end - tock
        times.audio += len(wav) / SAMPLE_RATE
        times.sentences.append(sentence)
        yield wav


def synthesize(
    pipeline: Pipeline, text: str, voice: str, times: SynthesisTimes | None = None
) -> np.ndarray:
    """The whole waveform of ``text`` (sentences joined), float32 [T] at 22,050 Hz."""
    return np.concatenate(list(synthesize_chunks(pipeline, text, voice, times)))
