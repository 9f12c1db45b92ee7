"""Discrete video latent: a 3-D convolutional VQ-VAE over space and time (VideoGPT-style).

Y = grayscale clips ``[B, T, H, W]`` in ``[-1, 1]`` (frames on the channel axis, as the
video task stores them); Y' = int64 token ids ``[B, T/ft, H/fs, W/fs]``, e.g. 16x32x32 ->
8x8x8 with ``time_factor`` 2 and ``space_factor`` 4. One EMA codebook from
``vector-quantize-pytorch`` (dead codes re-seeded from the batch), as in
:mod:`regen.representations.quantized`, whose ``code_usage`` gives the usage figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from vector_quantize_pytorch import VectorQuantize

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError
from regen.modules.conv import module_device
from regen.modules.conv3d import Decoder3d, Encoder3d
from regen.representations.quantized import code_usage

if TYPE_CHECKING:  # the recipe section that configures this model (a type only)
    from regen.tasks.video.config import VideoRepresentationConfig


def factor_levels(factor: int, side: int, name: str) -> int:
    """log2 of ``factor``; a ConfigError unless it is a power of two dividing ``side``."""
    if factor < 1 or factor & (factor - 1) or side % factor:
        raise ConfigError(f"representation.{name} {factor} must be a power of two dividing {side}")
    return factor.bit_length() - 1


class VideoVQ(nn.Module):
    """3-D conv encoder -> VQ -> 3-D conv decoder, with token ids as Y'.

    Args:
        clip_shape: ``(T, H, W)`` of one grayscale clip.
        cfg: ``time_factor``, ``space_factor`` (time downsampling may not exceed space
            downsampling: one level halves both), ``hidden``, ``latent_channels`` (code
            dimension), ``codebook_size``, ``commitment_weight``, ``dead_code_threshold``.
    """

    trainable = True

    def __init__(self, clip_shape: tuple[int, int, int], cfg: VideoRepresentationConfig) -> None:
        super().__init__()
        frames, height, width = clip_shape
        levels = factor_levels(cfg.space_factor, min(height, width), "space_factor")
        time_levels = factor_levels(cfg.time_factor, frames, "time_factor")
        if time_levels > levels:
            raise ConfigError(
                f"representation.time_factor {cfg.time_factor} exceeds space_factor "
                f"{cfg.space_factor}; each level halves time and space together"
            )
        self.encoder = Encoder3d(1, cfg.latent_channels, cfg.hidden, levels, time_levels)
        self.quantizer = VectorQuantize(
            dim=cfg.latent_channels,
            codebook_size=cfg.codebook_size,
            commitment_weight=cfg.commitment_weight,
            threshold_ema_dead_code=cfg.dead_code_threshold,
        )
        self.decoder = Decoder3d(cfg.latent_channels, 1, cfg.hidden, levels, time_levels)
        grid = (frames // cfg.time_factor, height // cfg.space_factor, width // cfg.space_factor)
        self.spec = YSpec(
            kind="discrete",
            shape=grid,
            dtype="int64",
            vocab_size=cfg.codebook_size,
            downsampling=cfg.space_factor,
            name=f"video vq tokens {'x'.join(map(str, grid))} of {cfg.codebook_size}",
        )

    def _quantize(self, y: Tensor, update_codebook: bool) -> tuple[Tensor, Tensor, Tensor]:
        """Clips ``[B, T, H, W]`` -> (quantized latent ``[B, D, t, h, w]``, ids
        ``[B, t, h, w]``, commitment loss)."""
        z = self.encoder(y.unsqueeze(1))
        b, d, t, h, w = z.shape
        flat = z.flatten(2).transpose(1, 2)  # [B, t*h*w, D]
        quantized, ids, commitment = self.quantizer(flat, freeze_codebook=not update_codebook)
        quantized = quantized.transpose(1, 2).reshape(b, d, t, h, w)
        return quantized, ids.long().view(b, t, h, w), commitment.sum()

    def encode(self, y: Tensor) -> Tensor:
        """Clips ``[B, T, H, W]`` in ``[-1, 1]`` -> int64 ids ``[B, *spec.shape]``."""
        return self._quantize(y, update_codebook=False)[1]

    def decode(self, y_prime: Tensor) -> Tensor:
        """Ids ``[B, *spec.shape]`` -> clips ``[B, T, H, W]`` in ``[-1, 1]``."""
        b, t, h, w = y_prime.shape
        codes = self.quantizer.get_output_from_indices(y_prime.flatten(1))  # [B, t*h*w, D]
        latent = codes.transpose(1, 2).reshape(b, -1, t, h, w)
        return self.decoder(latent).squeeze(1).clamp(-1.0, 1.0)

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        """Batch key ``y``: clips. Loss = L1 + MSE reconstruction + commitment.

        L1 keeps thin glyph strokes sharp; MSE alone blurs them into the black background.
        """
        y = batch["y"]
        quantized, ids, commitment = self._quantize(y, update_codebook=True)
        rebuilt = self.decoder(quantized).squeeze(1)
        l1, mse = F.l1_loss(rebuilt, y), F.mse_loss(rebuilt, y)
        usage, perplexity = code_usage(ids, self.spec.vocab_size)
        logs = {"l1": l1.item(), "mse": mse.item(), "commitment": commitment.item()}
        logs.update(usage=usage, perplexity=perplexity)
        return l1 + mse + commitment, logs

    @torch.no_grad()
    def codebook_stats(self, y: Tensor, batch_size: int = 64) -> dict[str, float]:
        """Usage and perplexity of the codes of clips ``y`` ``[N, T, H, W]``."""
        device = module_device(self)
        ids = torch.cat([self.encode(chunk.to(device)) for chunk in y.split(batch_size)])
        usage, perplexity = code_usage(ids, self.spec.vocab_size)
        return {"usage": usage, "perplexity": perplexity}
