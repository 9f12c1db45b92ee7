"""Renderer tuning: train the representation's decoder on the Y' it will meet at inference.

The cascaded pipeline's decoder only ever saw Y' = encode(Y) in training, but at inference it
renders Y' predicted from X (the paper's training-inference mismatch, RQ10). This module is
one trainable stage for the one loop that fixes its inputs:

* fine-tuning on predicted Y': batches pair a generator's prediction of Y' (made from the
  true Y', see :func:`regen.tasks.image.study.predicted_y_prime`) with the true Y;
* noise augmentation: batches pair encode(Y) with Y, and Gaussian noise of ``noise_std``
  (in the normalised latent's units) is added to Y' on every step.

Only the decoder receives gradients (the encoder and hence the generator's targets are left
unchanged), so the tuned decoder drops into the trained pipeline as is.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from regen.contracts import LossOutput, RenderLoss
from regen.errors import ConfigError


class RendererTuning(nn.Module):
    """``training_loss`` on batches ``{"y_prime": [B, *spec.shape], "y": [B, C, H, W]}``.

    Args:
        representation: a learned continuous representation with ``render_loss(y_prime, y)``
            (:class:`regen.contracts.RenderLoss`: the autoencoders); tuned in place.
        noise_std: standard deviation of the Gaussian noise added to ``y_prime`` (0: none).
    """

    trainable = True

    def __init__(self, representation: nn.Module, noise_std: float = 0.0) -> None:
        super().__init__()
        if not isinstance(representation, RenderLoss):
            raise ConfigError(
                f"{type(representation).__name__} cannot be tuned on predicted Y'; the mismatch "
                "methods need representation.kind ae or vae"
            )
        self.representation = representation
        self.noise_std = noise_std
        for name, parameter in representation.named_parameters():
            parameter.requires_grad_(name.startswith("decoder."))

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        y_prime = batch["y_prime"]
        if self.noise_std > 0:
            y_prime = y_prime + self.noise_std * torch.randn_like(y_prime)
        return self.representation.render_loss(y_prime, batch["y"])
