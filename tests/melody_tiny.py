"""Tiny-config overrides that make a melody recipe train in seconds (few chorales, one
small folk collection, one-layer models)."""

from __future__ import annotations

import pytest
import torch

TINY_MELODY = [
    "data.max_chorales=30",
    "data.folk_collections=[ryansMammoth]",
    "data.max_folk_files=4",
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


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny models on a shared 2-core machine: one thread avoids OpenMP spin-waiting
    against the other processes (measured: a tiny training 0.7 s vs 31 s with 2 threads
    under load). Imported by each melody test module; restores the setting after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
