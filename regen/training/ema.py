"""Exponential moving average of weights (the copy used for sampling)."""

from __future__ import annotations

import torch
from torch import nn


class EMA:
    """Keeps ``shadow = decay * shadow + (1 - decay) * param`` for every floating tensor.

    Warm-up follows the usual ``min(decay, (1 + n) / (10 + n))`` so early averages are not
    dominated by the random initialisation when runs are short (they are, on CPU).
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for key, value in model.state_dict().items():
            if value.dtype.is_floating_point:
                self.shadow[key].lerp_(value.detach(), 1.0 - decay)
            else:  # step counters, codebook usage: take the live value
                self.shadow[key].copy_(value)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow

    def load_state_dict(self, state: dict[str, torch.Tensor], updates: int) -> None:
        for key, value in state.items():
            self.shadow[key].copy_(value)
        self.updates = updates

    def copy_to(self, model: nn.Module) -> None:
        model.load_state_dict(self.shadow)
