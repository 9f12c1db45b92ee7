"""Continuous latent representation: a convolutional autoencoder (AE) or VAE.

Y = images ``[B, C, H, W]`` in ``[-1, 1]``; Y' = latents ``[B, latent_channels, H/f, W/f]``.
This is the first stage of latent diffusion (Rombach et al. 2022): a small KL-regularised
autoencoder whose latents, normalised to zero mean and unit variance per channel (their
"scale factor"), are the diffusion model's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from regen.contracts import LossOutput, YSpec
from regen.losses.image_reconstruction import ReconstructionObjective
from regen.modules.conv import Decoder, Encoder, module_device, num_levels

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.image.config import RepresentationConfig


class Autoencoder(nn.Module):
    """Conv encoder/decoder with a normalised continuous latent.

    Args:
        image_shape: ``(C, H, W)``; H and W must be divisible by ``cfg.factor``.
        cfg: uses ``factor`` (power of two), ``latent_channels``, ``hidden``, ``kl_weight``
            and the loss weights read by :class:`ReconstructionObjective`.
        variational: VAE (the encoder predicts a diagonal Gaussian; the KL to N(0, I),
            averaged per latent element, is weighted by ``cfg.kl_weight``) or plain AE.
        feature_extractor: frozen images -> features network for the perceptual loss.

    ``encode`` returns the (posterior mean) latent after the per-channel normalisation set
    by :meth:`calibrate`; ``decode`` undoes it and returns images clamped to ``[-1, 1]``.
    Before calibration the normalisation is the identity.
    """

    trainable = True

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        cfg: RepresentationConfig,
        variational: bool,
        feature_extractor: nn.Module | None = None,
    ) -> None:
        super().__init__()
        channels, height, width = image_shape
        levels = num_levels(image_shape, cfg.factor, "representation")
        self.variational = variational
        self.kl_weight = cfg.kl_weight
        latent = cfg.latent_channels
        self.encoder = Encoder(channels, latent * (2 if variational else 1), cfg.hidden, levels)
        self.decoder = Decoder(latent, channels, cfg.hidden, levels)
        self.objective = ReconstructionObjective(channels, cfg, feature_extractor)
        self.register_buffer("shift", torch.zeros(latent))
        self.register_buffer("scale", torch.ones(latent))
        h, w = height // cfg.factor, width // cfg.factor
        self.spec = YSpec(
            kind="continuous",
            shape=(latent, h, w),
            dtype="float32",
            value_range=None,
            downsampling=cfg.factor,
            name=f"{'vae' if variational else 'ae'} latent {latent}x{h}x{w}",
        )

    def _posterior(self, y: Tensor) -> tuple[Tensor, Tensor | None]:
        """Raw (unnormalised) latent mean and, for a VAE, its log-variance."""
        moments = self.encoder(y)
        if not self.variational:
            return moments, None
        mean, logvar = moments.chunk(2, dim=1)
        # The clamp keeps exp(logvar) finite early in training (as in latent diffusion).
        return mean, logvar.clamp(-30.0, 20.0)

    def _normalise(self, z: Tensor) -> Tensor:
        return (z - self.shift[:, None, None]) / self.scale[:, None, None]

    def _denormalise(self, z: Tensor) -> Tensor:
        return z * self.scale[:, None, None] + self.shift[:, None, None]

    def encode(self, y: Tensor) -> Tensor:
        """Images ``[B, C, H, W]`` in ``[-1, 1]`` -> normalised latents ``[B, *spec.shape]``."""
        return self._normalise(self._posterior(y)[0])

    def decode(self, y_prime: Tensor) -> Tensor:
        """Normalised latents ``[B, *spec.shape]`` -> images ``[B, C, H, W]`` in ``[-1, 1]``."""
        return self.decoder(self._denormalise(y_prime)).clamp(-1.0, 1.0)

    def render_loss(self, y_prime: Tensor, y: Tensor) -> LossOutput:
        """The reconstruction objective of decoding normalised latents ``y_prime``
        ``[B, *spec.shape]`` (true, predicted or noised) as images ``y`` ``[B, C, H, W]``.

        Used to train the decoder on Y' it will meet at inference: the joint objective's
        last term and the renderer fine-tuning of the mismatch study.
        """
        return self.objective(self.decoder(self._denormalise(y_prime)), y)

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        """Batch key ``y``: images. Loss = reconstruction objective (+ KL for a VAE)."""
        y = batch["y"]
        mean, logvar = self._posterior(y)
        z = mean if logvar is None else mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        loss, logs = self.objective(self.decoder(z), y)
        if logvar is not None:
            kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean()
            loss = loss + self.kl_weight * kl
            logs["kl"] = float(kl.detach())
        return loss, logs

    @torch.no_grad()
    def calibrate(self, y: Tensor, batch_size: int = 256) -> None:
        """Set the per-channel shift/scale so ``encode(y)`` has ~zero mean and unit std.

        Call once after training with (a large sample of) the training images
        ``[N, C, H, W]``; the statistics are stored as buffers and saved in the state_dict.
        """
        device = module_device(self)
        latents = torch.cat([self._posterior(chunk.to(device))[0] for chunk in y.split(batch_size)])
        self.shift.copy_(latents.mean(dim=(0, 2, 3)))
        self.scale.copy_(latents.std(dim=(0, 2, 3)).clamp_min(1e-6))
