"""Tiny-config overrides that make a text recipe train in seconds on the installed packages'
records (/var/lib/dpkg/status: real records with long descriptions, nothing fetched)."""

from __future__ import annotations

TINY_TEXT = [
    "data.records_file=/var/lib/dpkg/status",
    "data.max_x_tokens=32",
    "data.max_y_tokens=16",
    "data.vocab_size=300",
    "data.max_paired=60",
    "data.max_unpaired=120",
    "generator.dim=32",
    "generator.depth=1",
    "generator.heads=2",
    "renderer.dim=32",
    "renderer.depth=1",
    "renderer.heads=2",
    "train.generator.steps=12",
    "train.renderer.steps=12",
    "train.generator.batch_size=8",
    "train.renderer.batch_size=8",
    "train.lm.batch_size=8",
    "train.generator.warmup_steps=2",
    "train.renderer.warmup_steps=2",
    "train.lm.warmup_steps=2",
    "train.generator.checkpoint_every=6",
    "train.renderer.checkpoint_every=6",
    "train.lm.checkpoint_every=6",
    "eval.max_items=24",
    "eval.examples=3",
    "eval.length_penalties=[0.0,2.0]",
    "eval.dev_items=8",
]
