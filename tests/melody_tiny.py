"""Tiny-config overrides that make a melody recipe train in seconds (few chorales, one
small folk collection, one-layer models)."""

from __future__ import annotations

TINY_MELODY = [
    "data.max_chorales=40",
    "data.folk_collections=[ryansMammoth]",
    "data.max_folk_files=8",
    "data.transpose=[0,2]",
    "generator.hidden=32",
    "generator.depth=1",
    "renderer.hidden=32",
    "renderer.depth=1",
    "train.generator.steps=16",
    "train.renderer.steps=16",
    "train.generator.batch_size=8",
    "train.renderer.batch_size=8",
    "train.generator.warmup_steps=4",
    "train.renderer.warmup_steps=4",
    "train.generator.checkpoint_every=8",
    "train.renderer.checkpoint_every=8",
    "eval.examples=2",
]
