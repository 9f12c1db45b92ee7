"""Tiny-config overrides that make any image recipe train in seconds on sklearn digits."""

from __future__ import annotations

TINY = [
    "data.name=digits",
    "data.image_size=8",
    "representation.factor=2",
    "representation.hidden=16",
    "representation.latent_channels=4",
    "representation.codebook_size=32",
    "renderer.hidden=16",
    "generator.hidden=32",
    "generator.depth=1",
    "generator.sampling_steps=4",
    "train.representation.steps=12",
    "train.generator.steps=12",
    "train.renderer.steps=12",
    "train.representation.batch_size=16",
    "train.generator.batch_size=16",
    "train.renderer.batch_size=16",
    "train.representation.checkpoint_every=6",
    "train.generator.checkpoint_every=6",
    "eval.num_samples=40",
    "eval.classifier_steps=30",
    "eval.samples_per_class_in_grid=2",
    "eval.batch_size=20",
]
