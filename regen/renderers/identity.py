"""The identity renderer, Y = Y': for the direct baseline and for Y' that already is Y."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from regen.contracts import YSpec


class IdentityRenderer(nn.Module):
    """``render`` returns its input; accepts Y' described by ``spec``; nothing to train."""

    trainable = False

    def __init__(self, spec: YSpec) -> None:
        super().__init__()
        self.spec = spec

    def render(self, y_prime: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        return y_prime
