"""Train a TTS pipeline stage by stage with the one loop.

    1. generator  on paired (phonemes, Y' = encode(speech))  FastSpeech -> log-mel, or the
                  direct baseline's phonemes -> waveform
    2. renderer   on unpaired speech crops (the vocoder; Griffin-Lim has nothing to learn)

The mel representation has no parameters, so there is no representation stage. Each stage
writes its folder under the run directory; ``resume`` continues where a stage stopped.
"""

from __future__ import annotations

from pathlib import Path

from regen.config import dump_yaml
from regen.data.speech import SpeechCorpus, load_speech_corpus
from regen.data.text_frontend import PhonemeVocabulary
from regen.data.tts_tensors import acoustic_tensors, waveform_segments
from regen.pipeline import Pipeline
from regen.training.loop import StageResult, train_stage
from regen.tts_config import TTSRecipeConfig
from regen.tts_pipeline import PhonemeConditioner, build_tts_pipeline, mel_of, save_meta

CROPS_PER_UTTERANCE = 8


def generator_tensors(config: TTSRecipeConfig, corpus: SpeechCorpus, conditioner) -> dict:
    """What the generator stage trains on; the direct baseline's target is the waveform."""
    tensors = acoustic_tensors(
        corpus,
        conditioner.vocab,
        conditioner.voices,
        mel_of(config),
        with_waveforms=config.is_direct,
    )
    if config.is_direct:
        tensors["y_prime"] = tensors.pop("wav")
    return tensors


def train_tts(
    config: TTSRecipeConfig,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: SpeechCorpus | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train every learned stage of ``config``; returns the pipeline (eval mode) and results."""
    run_dir = Path(run_dir or config.run_dir)
    corpus = data if data is not None else load_speech_corpus(config.data, "train")
    conditioner = PhonemeConditioner(PhonemeVocabulary(), config.data.voices)
    pipeline = build_tts_pipeline(config, conditioner)
    config_yaml = dump_yaml(config)
    save_meta(run_dir, config_yaml, conditioner)
    results = []
    results.append(
        train_stage(
            "generator",
            pipeline.generator,
            generator_tensors(config, corpus, conditioner),
            config.train.generator,
            run_dir / "generator",
            resume=resume,
            config_yaml=config_yaml,
            progress=progress,
        )
    )
    if getattr(pipeline.renderer, "trainable", False):
        samples = config.renderer.segment_frames * config.representation.hop
        crops = waveform_segments(corpus.wavs, samples, CROPS_PER_UTTERANCE, config.seed)
        results.append(
            train_stage(
                "renderer",
                pipeline.renderer,
                crops,
                config.train.renderer,
                run_dir / "renderer",
                resume=resume,
                config_yaml=config_yaml,
                progress=progress,
            )
        )
    return pipeline.eval(), results
