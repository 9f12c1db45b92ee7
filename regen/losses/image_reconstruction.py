"""PatchGAN discriminator and the VQGAN-style reconstruction objective built around it.

The objective is L1 reconstruction, plus an optional perceptual term (L2 between the
features of a frozen domain network) and an optional hinge-GAN term. Both autoencoders
(continuous and quantized) hold one :class:`ReconstructionObjective`, so the recipe for
"how close is the reconstruction" lives in one place.

Single-optimizer GAN: regen trains every stage with one AdamW over all parameters and one
backward. The generator term scores ``x_hat`` with *detached* discriminator weights, so its
gradient reaches only the autoencoder; the discriminator term scores ``x_hat.detach()`` and
real images, so its gradient reaches only the discriminator. Summing both gives the usual
alternating updates in a single step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn import functional as F

from regen.errors import ConfigError
from regen.modules.conv import group_norm

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.image.config import RepresentationConfig


class PatchDiscriminator(nn.Module):
    """Images ``[B, C, H, W]`` in ``[-1, 1]`` -> real/fake logits ``[B, 1, H/4, W/4]``.

    Each logit judges one patch (receptive field 15x15 pixels), which pushes the decoder
    toward sharp local texture rather than global layout (the L1 term handles that).
    GroupNorm, not BatchNorm: the real and fake batches must not share statistics.
    """

    def __init__(self, in_channels: int, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(hidden, hidden, 3, stride=2, padding=1),
            group_norm(hidden),
            nn.LeakyReLU(0.2),
            nn.Conv2d(hidden, 1, 3, padding=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def hinge_losses(disc: nn.Module, x_hat: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Hinge GAN losses (as in VQGAN / SAGAN): ``(generator_loss, discriminator_loss)``.

    generator: ``-mean D(x_hat)`` through frozen D; discriminator:
    ``mean relu(1 - D(y)) + mean relu(1 + D(x_hat.detach()))``. The hinge keeps the
    discriminator's logits bounded, which matters with a small dataset it could memorise.
    """
    frozen = {name: p.detach() for name, p in disc.named_parameters()}
    generator_loss = -functional_call(disc, frozen, (x_hat,)).mean()
    real, fake = disc(torch.cat([y, x_hat.detach()])).chunk(2)
    discriminator_loss = F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
    return generator_loss, discriminator_loss


class ReconstructionObjective(nn.Module):
    """``loss(x_hat, y)``: L1 + perceptual + hinge GAN, weighted by the representation config.

    Args:
        image_channels: C of the images.
        cfg: uses ``perceptual_weight``, ``adversarial_weight``, ``adversarial_start`` and
            ``hidden`` (the discriminator width).
        feature_extractor: frozen network mapping images ``[B, C, H, W]`` to features
            ``[B, F]``; required when ``perceptual_weight > 0``. It is kept outside this
            module's parameters and state_dict (it is the domain classifier, saved
            elsewhere), switched to eval mode and moved to the images' device on use.

    The ``step`` buffer counts training calls so that the GAN terms start at
    ``adversarial_start`` (both generator and discriminator are off before it, as in
    VQGAN: the discriminator only sees reconstructions once they are roughly right).
    """

    def __init__(
        self,
        image_channels: int,
        cfg: RepresentationConfig,
        feature_extractor: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if cfg.perceptual_weight > 0 and feature_extractor is None:
            raise ConfigError(
                "representation.perceptual_weight > 0 needs a feature extractor (the domain "
                "classifier); pass feature_extractor= or set representation.perceptual_weight=0"
            )
        self.perceptual_weight = cfg.perceptual_weight
        self.adversarial_weight = cfg.adversarial_weight
        self.adversarial_start = cfg.adversarial_start
        # A plain list hides the extractor from parameters(), state_dict() and train().
        self._extractor = (
            [feature_extractor.eval().requires_grad_(False)]
            if (feature_extractor is not None and cfg.perceptual_weight > 0)
            else []
        )
        self.discriminator = (
            PatchDiscriminator(image_channels, cfg.hidden) if cfg.adversarial_weight > 0 else None
        )
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def forward(self, x_hat: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        """Reconstruction ``x_hat`` and target ``y``, both ``[B, C, H, W]`` -> (loss, logs)."""
        recon = F.l1_loss(x_hat, y)
        loss, logs = recon, {"recon_l1": float(recon.detach())}
        if self._extractor:
            extractor = self._extractor[0].to(y.device)
            with torch.no_grad():
                target = extractor(y)
            perceptual = F.mse_loss(extractor(x_hat), target)
            loss = loss + self.perceptual_weight * perceptual
            logs["perceptual"] = float(perceptual.detach())
        if self.discriminator is not None and int(self.step) >= self.adversarial_start:
            generator_loss, discriminator_loss = hinge_losses(self.discriminator, x_hat, y)
            loss = loss + self.adversarial_weight * generator_loss + discriminator_loss
            logs["gan_generator"] = float(generator_loss.detach())
            logs["gan_discriminator"] = float(discriminator_loss.detach())
        if self.training:
            self.step += 1
        return loss, logs
