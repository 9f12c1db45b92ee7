"""The toy generator: class id -> Y' through an embedding and a linear layer, trained by MSE.

It satisfies :class:`regen.contracts.Generator` (``spec``, ``trainable``, ``training_loss``,
``sample``) and
knows nothing of the task: the same class predicts the 4x4 Y' or the 8x8 pattern, whatever
``spec`` says. It regresses the mean of a class (no sampling noise): the smallest model with
which the regeneration and direct pipelines can be compared honestly.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from regen.contracts import YSpec


class ClassRegressor(nn.Module):
    """X [B] class ids -> Y' [B, *spec.shape] in [-1, 1]."""

    trainable = True  # the loop trains it (regen.contracts.Trainable)

    def __init__(self, spec: YSpec, classes: int, hidden: int) -> None:
        super().__init__()
        self.spec = spec
        self.net = nn.Sequential(
            nn.Embedding(classes, hidden),
            nn.SiLU(),
            nn.Linear(hidden, math.prod(spec.shape)),
            nn.Tanh(),  # Y and its average pools lie in [-1, 1]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(len(x), *self.spec.shape)

    def training_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        return F.mse_loss(self(batch["x"]), batch["y_prime"]), {}

    @torch.no_grad()
    def sample(
        self, x: torch.Tensor, *, generator: torch.Generator | None = None, **sampling: Any
    ) -> torch.Tensor:
        return self(x)  # deterministic: the same class always gives its mean pattern
