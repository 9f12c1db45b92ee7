"""Tiny-config overrides that make the video recipes train, sample and score in seconds."""

from __future__ import annotations

TINY_VIDEO = [
    "data.train_clips=48",
    "data.test_clips=12",
    "representation.hidden=16",
    "representation.codebook_size=32",
    "generator.hidden=32",
    "generator.depth=1",  # also the baseline's UNet: one level
    "generator.sampling_steps=2",  # the baseline's denoising steps, MaskGIT's passes
    "train.representation.steps=4",
    "train.representation.batch_size=4",
    "train.generator.steps=4",
    "train.generator.batch_size=4",
    "eval.classifier_steps=4",
    "eval.clips_in_report=2",
]
