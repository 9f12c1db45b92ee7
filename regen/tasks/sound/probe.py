"""Timed optimizer steps of every learned sound stage (the equal-budget calibration).

``regen compare`` probes the direct baseline's generator; ``benchmarks/calibrate_budget.py``
probes each learned stage of the regeneration recipe too, alternating with the baseline, so
a busy machine slows every probe alike and the ratio of step costs (the calibrated budget)
stays put. Weights are untrained: a step's cost does not depend on them.
"""

from __future__ import annotations

import torch

from regen.errors import ConfigError
from regen.tasks.sound.build import build_sound_pipeline, clip_frames
from regen.tasks.sound.config import SoundRecipeConfig
from regen.tasks.sound.train import SoundData, crops, generator_tensors
from regen.training.probe import best_step_seconds

PROBE_CLIPS = 64  # clips whose tensors the probe draws batches from (enough for any batch)


def probe_step_seconds(
    config: SoundRecipeConfig, data: SoundData, stage: str = "generator"
) -> float:
    """Seconds of one optimizer step of ``stage`` (best of 3 after a warm-up)."""
    pipeline = build_sound_pipeline(config)
    clips = data.train.subset(list(range(min(PROBE_CLIPS, len(data.train)))))
    if stage == "generator" and config.is_direct:
        model, tensors = pipeline.generator, generator_tensors(config, pipeline, clips)
    elif stage == "generator":
        # random codes of the clip's shape: an untrained codec (no k-means init yet) has no
        # codes to give, and the LM's step costs the same on any codes
        model, g = pipeline.generator, torch.Generator().manual_seed(0)
        shape = (len(clips), pipeline.spec.shape[0], clip_frames(config))
        codes = torch.randint(pipeline.spec.vocab_size, shape, generator=g)
        tensors = {"x": pipeline.conditioner.encode(clips.captions), "y_prime": codes}
    elif stage == "representation" and not config.is_direct:
        model, tensors = pipeline.representation, crops(config, clips)
    elif stage == "renderer" and pipeline.renderer.trainable:
        model, tensors = pipeline.renderer, crops(config, clips)
    else:
        raise ConfigError(f"{config.name} has no learned stage {stage!r} to probe")
    size = getattr(config.train, stage).batch_size
    g = torch.Generator().manual_seed(0)

    def next_batch() -> dict:
        index = torch.randint(len(next(iter(tensors.values()))), (size,), generator=g)
        return {k: v[index] for k, v in tensors.items()}

    return best_step_seconds(model.train(), next_batch)
