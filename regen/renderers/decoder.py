"""Render through the representation's own decoder (AE, VAE, VQ, FSQ, downsampling)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from regen.contracts import Representation


class DecoderRenderer(nn.Module):
    """``render(y_prime) = representation.decode(y_prime)``.

    The decoder was trained with the representation, so this renderer has nothing of its
    own to train and owns no weights: the representation is held by reference, outside the
    module tree, so it appears once in a pipeline's checkpoints (under the representation)
    and ``state_dict()`` here is empty. Moving devices is the representation's business.
    """

    trainable = False

    def __init__(self, representation: Representation) -> None:
        super().__init__()
        self._representation = [representation]  # a list keeps nn.Module from registering it
        self.spec = representation.spec

    @property
    def representation(self) -> Representation:
        return self._representation[0]

    def render(self, y_prime: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        return self.representation.decode(y_prime)
