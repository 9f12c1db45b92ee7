"""Renderer for learned speech Y': the representation's decoder to log-mel, then a mel renderer.

    Y' (VAE latent or RVQ codes) ──representation.decode_mel (frozen)──▶ log-mel
        ──vocoder / Griffin-Lim──▶ waveform

The mel renderer is trained (if it learns at all) on unpaired speech exactly as in the mel
pipeline, so this class only forwards ``training_loss`` to it. The decoder is held as a bound
method, not a submodule: its weights belong to the representation stage and are saved there.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from regen.contracts import Adversarial, LossOutput, Renderer, YSpec


class LatentMelRenderer(nn.Module):
    """Renderer Y' -> log-mel (by ``decode_mel``) -> waveform (by ``mel_renderer``)."""

    def __init__(
        self,
        spec: YSpec,
        decode_mel: Callable[[torch.Tensor], torch.Tensor],
        mel_renderer: Renderer,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.decode_mel = decode_mel
        self.mel_renderer = mel_renderer
        self.trainable = mel_renderer.trainable
        # a GAN vocoder's adversary (the same object, so the loop's switch reaches it)
        self.adversary = mel_renderer.adversary if isinstance(mel_renderer, Adversarial) else None

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        return self.mel_renderer.training_loss(batch)

    def discriminator_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        return self.mel_renderer.discriminator_loss(batch)

    def render(
        self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Y' [B, ..., F] -> waveform [B, (F - 1) * hop]."""
        with torch.no_grad():
            log_mel = self.decode_mel(y_prime)
        return self.mel_renderer.render(log_mel, generator=generator)
