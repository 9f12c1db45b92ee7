"""Time optimizer steps: how ``regen compare`` gives a direct baseline the same wall-clock.

A probe trains the model for real (AdamW on its parameters), so pass a throwaway copy if the
model must start training untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn


def timed_step(model: nn.Module, optimizer: torch.optim.Optimizer, batch: dict) -> float:
    """Seconds of one optimizer step (forward, backward, update) of ``model`` on ``batch``."""
    start = time.perf_counter()
    loss, _ = model.training_loss(batch)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return time.perf_counter() - start


def best_step_seconds(model: nn.Module, next_batch: Callable[[], dict], tries: int = 4) -> float:
    """Fastest of ``tries - 1`` optimizer steps after one warm-up step (which pays one-off
    set-up costs); ``next_batch()`` gives each step's batch."""
    optimizer = torch.optim.AdamW(model.parameters())
    times = [timed_step(model, optimizer, next_batch()) for _ in range(tries)]
    return min(times[1:])
