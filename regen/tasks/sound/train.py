"""Train a sound pipeline stage by stage with the one loop.

    0. representation  the codec, on unpaired crops of the training audio (no captions)
    1. generator       on (caption, codes = encode(clip)) pairs; the direct baseline on
                       (caption, waveform)
    2. renderer        the vocoder, on unpaired crops of the training audio

The codec and the vocoder never read a caption: only the generator needs pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from regen.pipeline import Pipeline
from regen.representations.codebook_usage import warn_if_collapsed
from regen.runs import save_run, write_config
from regen.tasks.sound.build import build_sound_pipeline
from regen.tasks.sound.config import SoundRecipeConfig
from regen.tasks.sound.corpus import SoundCorpus, load_sound_corpus, split_corpus
from regen.tasks.tts.data import waveform_segments  # random fixed-length crops of waveforms
from regen.training.loop import StageResult
from regen.training.run_stages import RunStages

CROPS_PER_CLIP = 4
USAGE_CLIPS = 64  # training clips whose codes are counted for the collapse check


@dataclass
class SoundData:
    """The training clips and the held-out clips (other tunes), loaded once per compare."""

    train: SoundCorpus
    test: SoundCorpus


def load_sound_data(config: SoundRecipeConfig) -> SoundData:
    parts = split_corpus(load_sound_corpus(config.data, config.seed), config.data.test_fraction)
    return SoundData(parts["train"], parts["test"])


def crops(config: SoundRecipeConfig, corpus: SoundCorpus) -> dict[str, torch.Tensor]:
    """Random crops of every training clip: the unpaired audio of the codec and vocoder."""
    samples = config.renderer.segment_frames * config.representation.hop
    wavs = [np.asarray(w) for w in corpus.audio.numpy()]
    return waveform_segments(wavs, samples, CROPS_PER_CLIP, config.seed)


def encode_clips(pipeline: Pipeline, audio: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """Clips [N, T] -> Y' (codes [N, Q, F]) through the trained representation."""
    return torch.cat([pipeline.encode(chunk) for chunk in audio.split(batch_size)])


def generator_tensors(
    config: SoundRecipeConfig, pipeline: Pipeline, corpus: SoundCorpus
) -> dict[str, torch.Tensor]:
    x = pipeline.conditioner.encode(corpus.captions)
    if config.is_direct:
        return {"x": x, "y_prime": corpus.audio}
    return {"x": x, "y_prime": encode_clips(pipeline, corpus.audio)}


def train_sound(
    config: SoundRecipeConfig,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: SoundData | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train every learned stage of ``config``; returns the pipeline (eval mode) and results."""
    run_dir = Path(run_dir or config.run_dir)
    data = data if data is not None else load_sound_data(config)
    pipeline = build_sound_pipeline(config)
    stages = RunStages(config.train, run_dir, write_config(run_dir, config), resume, progress)

    unpaired = crops(config, data.train) if not config.is_direct else {}
    if not config.is_direct:
        stages.fit("representation", pipeline.representation, unpaired)
        pipeline.representation.eval()
        # a collapsed level wastes its bits and teaches the LM a constant: say so at once
        usage = pipeline.representation.codebook_stats(data.train.audio[:USAGE_CLIPS])
        warn_if_collapsed(usage, f"the sound codec of {config.name} after training")
    stages.fit("generator", pipeline.generator, generator_tensors(config, pipeline, data.train))
    if pipeline.renderer.trainable:
        stages.fit("renderer", pipeline.renderer, unpaired)
    save_run(
        run_dir,
        config,
        pipeline,
        stages.names,
        stages.results,
        data_source=data.train.source,
    )
    return pipeline.eval(), stages.results
