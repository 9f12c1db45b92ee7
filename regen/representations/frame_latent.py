"""Continuous per-frame video latent: the image task's VAE applied to every frame of a clip.

Y = grayscale clips ``[B, T, H, W]`` in ``[-1, 1]``; Y' = latents ``[B, T * C, H/f, W/f]``,
frame ``t``'s ``C`` latent channels at channels ``t*C .. t*C + C - 1`` (e.g. 16x32x32 ->
64x8x8 with ``C`` = 4, ``f`` = 4). Frames are encoded independently (no temporal mixing in
the representation): motion is left to the generator, which sees all frames' latents as the
channels of one 2-D UNet input, exactly as the pixel-diffusion baseline sees the frames.
This is latent diffusion (Rombach et al. 2022) for video with an image autoencoder, as in
Blattmann et al. 2023 ("Align your latents"), minus their temporal decoder fine-tuning.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from regen.contracts import LossOutput, YSpec
from regen.representations.autoencoder import Autoencoder

if TYPE_CHECKING:  # the recipe section that configures this model (a type only)
    from regen.tasks.video.config import VideoRepresentationConfig


def image_vae_config(cfg: VideoRepresentationConfig) -> SimpleNamespace:
    """The fields :class:`Autoencoder` reads, from the video recipe's representation section
    (no perceptual or adversarial term: those need an image domain network per frame)."""
    return SimpleNamespace(
        factor=cfg.space_factor,
        latent_channels=cfg.latent_channels,
        hidden=cfg.hidden,
        kl_weight=cfg.kl_weight,
        perceptual_weight=0.0,
        adversarial_weight=0.0,
        adversarial_start=0,
    )


class FrameVAE(nn.Module):
    """A 2-D VAE over frames, with the clip's frame latents stacked on the channel axis.

    Args:
        clip_shape: ``(T, H, W)`` of one grayscale clip.
        cfg: ``space_factor`` (power of two dividing H and W), ``latent_channels`` (per
            frame), ``hidden``, ``kl_weight``.

    ``encode`` gives the calibrated posterior mean (unit variance per latent channel after
    :meth:`calibrate`, shared by all frames); ``decode`` returns clips clamped to [-1, 1].
    """

    trainable = True

    def __init__(self, clip_shape: tuple[int, int, int], cfg: VideoRepresentationConfig) -> None:
        super().__init__()
        frames, height, width = clip_shape
        self.frames = frames
        self.vae = Autoencoder((1, height, width), image_vae_config(cfg), variational=True)
        channels, h, w = self.vae.spec.shape
        self.latent_channels = channels
        self.spec = YSpec(
            kind="continuous",
            shape=(frames * channels, h, w),
            dtype="float32",
            value_range=None,
            downsampling=cfg.space_factor,
            name=f"per-frame vae latent {frames}x{channels}x{h}x{w}",
        )

    @staticmethod
    def _frames(y: Tensor) -> Tensor:
        """Clips ``[B, T, H, W]`` -> frames ``[B*T, 1, H, W]``."""
        return y.reshape(-1, 1, *y.shape[-2:])

    def encode(self, y: Tensor) -> Tensor:
        """Clips ``[B, T, H, W]`` in [-1, 1] -> latents ``[B, *spec.shape]``."""
        latents = self.vae.encode(self._frames(y))  # [B*T, C, h, w]
        return latents.reshape(y.shape[0], -1, *latents.shape[-2:])

    def decode(self, y_prime: Tensor) -> Tensor:
        """Latents ``[B, *spec.shape]`` -> clips ``[B, T, H, W]`` in [-1, 1]."""
        b, _, h, w = y_prime.shape
        frames = self.vae.decode(y_prime.reshape(b * self.frames, self.latent_channels, h, w))
        return frames.reshape(b, self.frames, *frames.shape[-2:])

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        """Batch key ``y``: clips ``[B, T, H, W]``; every frame is one VAE training image, so
        a batch of B clips is B*T images (the budget still counts B clips)."""
        return self.vae.training_loss({"y": self._frames(batch["y"])})

    @torch.no_grad()
    def calibrate(self, y: Tensor, batch_size: int = 64) -> None:
        """Per-channel latent shift/scale from clips ``y`` ``[N, T, H, W]`` (all frames)."""
        self.vae.calibrate(self._frames(y), batch_size=batch_size * self.frames)
