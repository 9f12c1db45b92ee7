"""Discrete latent representation: a convolutional autoencoder with a VQ, RVQ or FSQ bottleneck.

Y = images ``[B, C, H, W]`` in ``[-1, 1]``; Y' = int64 token ids on the ``H/f x W/f`` grid
(``[B, Q, H/f, W/f]`` for residual VQ with Q levels). This is the tokenizer stage of
VQ-VAE / VQGAN / SoundStream-style pipelines; the quantizers come from
``vector-quantize-pytorch``:

* ``vq``: one codebook of ``codebook_size`` codes updated by EMA (no codebook gradient),
  with dead codes (EMA usage below ``dead_code_threshold``) re-seeded from the batch.
* ``rvq``: ``num_quantizers`` such codebooks, each quantizing the residual of the previous;
  every level has its own codebook and the same dead-code replacement rule.
* ``fsq``: finite scalar quantization, ``prod(fsq_levels)`` implicit codes, no codebook,
  no commitment loss and no collapse to fight.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn
from vector_quantize_pytorch import FSQ, ResidualVQ, VectorQuantize

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError
from regen.losses.image_reconstruction import ReconstructionObjective
from regen.modules.conv import Decoder, Encoder, module_device, num_levels

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.image.config import RepresentationConfig

QUANTIZERS = ("vq", "rvq", "fsq")


def code_usage(ids: Tensor, vocab_size: int) -> tuple[float, float]:
    """(fraction of the ``vocab_size`` codes that occur in ``ids``, perplexity of their
    empirical distribution). Perplexity is ``exp(entropy)``: 1 when one code is used,
    ``vocab_size`` when all are used equally."""
    counts = torch.bincount(ids.flatten(), minlength=vocab_size).float()
    probs = counts / counts.sum()
    entropy = -(probs * probs.clamp_min(1e-12).log()).sum()
    return float((counts > 0).float().mean()), float(entropy.exp())


def _build_quantizer(quantizer: str, cfg: RepresentationConfig, kmeans_init: bool) -> nn.Module:
    if quantizer == "fsq":
        return FSQ(levels=list(cfg.fsq_levels), dim=cfg.latent_channels)
    common = dict(
        dim=cfg.latent_channels,
        codebook_size=cfg.codebook_size,
        commitment_weight=cfg.commitment_weight,
        threshold_ema_dead_code=cfg.dead_code_threshold,
        kmeans_init=kmeans_init,
    )
    if quantizer == "rvq":
        return ResidualVQ(num_quantizers=cfg.num_quantizers, **common)
    return VectorQuantize(**common)


class QuantizedAutoencoder(nn.Module):
    """Conv encoder -> quantizer -> conv decoder, with token ids as Y'.

    Args:
        image_shape: ``(C, H, W)``; H and W must be divisible by ``cfg.factor``.
        cfg: uses ``factor``, ``latent_channels`` (code dimension), ``hidden``,
            ``codebook_size``, ``num_quantizers``, ``fsq_levels``, ``commitment_weight``,
            ``dead_code_threshold`` and the loss weights of :class:`ReconstructionObjective`.
        quantizer: ``"vq"``, ``"rvq"`` or ``"fsq"``.
        feature_extractor: frozen images -> features network for the perceptual loss.
        kmeans_init: initialise VQ/RVQ codebooks by k-means on the first batch seen.
    """

    trainable = True

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        cfg: RepresentationConfig,
        quantizer: str,
        feature_extractor: nn.Module | None = None,
        kmeans_init: bool = False,
    ) -> None:
        super().__init__()
        if quantizer not in QUANTIZERS:
            raise ConfigError(f"quantizer {quantizer!r} is unknown; choose one of {QUANTIZERS}")
        channels, height, width = image_shape
        levels = num_levels(image_shape, cfg.factor, "representation")
        self.kind = quantizer
        self.encoder = Encoder(channels, cfg.latent_channels, cfg.hidden, levels)
        self.quantizer = _build_quantizer(quantizer, cfg, kmeans_init)
        self.decoder = Decoder(cfg.latent_channels, channels, cfg.hidden, levels)
        self.objective = ReconstructionObjective(channels, cfg, feature_extractor)
        h, w = height // cfg.factor, width // cfg.factor
        vocab = math.prod(cfg.fsq_levels) if quantizer == "fsq" else cfg.codebook_size
        grid = (cfg.num_quantizers, h, w) if quantizer == "rvq" else (h, w)
        self.spec = YSpec(
            kind="discrete",
            shape=grid,
            dtype="int64",
            vocab_size=vocab,
            downsampling=cfg.factor,
            name=f"{quantizer} tokens {'x'.join(map(str, grid))} of {vocab}",
        )

    def _quantize(self, z: Tensor, update_codebook: bool) -> tuple[Tensor, Tensor, Tensor]:
        """Latent ``[B, D, h, w]`` -> (quantized latent ``[B, D, h, w]``, ids
        ``[B, *spec.shape]``, commitment loss). Codebooks change only when
        ``update_codebook`` and the module is in training mode."""
        b, d, h, w = z.shape
        flat = z.flatten(2).transpose(1, 2)  # [B, h*w, D]: the quantizers' layout
        if self.kind == "fsq":
            quantized, ids = self.quantizer(flat)
            commitment = flat.new_zeros(())
        else:
            quantized, ids, commitment = self.quantizer(flat, freeze_codebook=not update_codebook)
            commitment = commitment.sum()  # rvq returns one loss per level
        quantized = quantized.transpose(1, 2).reshape(b, d, h, w)
        ids = ids.long()
        ids = ids.transpose(1, 2).reshape(b, -1, h, w) if self.kind == "rvq" else ids.view(b, h, w)
        return quantized, ids, commitment

    def _codes(self, ids: Tensor) -> Tensor:
        """Ids ``[B, *spec.shape]`` -> quantized latent ``[B, D, h, w]``."""
        b, h, w = ids.shape[0], *ids.shape[-2:]
        if self.kind == "rvq":
            flat = self.quantizer.get_output_from_indices(ids.flatten(2).transpose(1, 2))
        elif self.kind == "vq":
            flat = self.quantizer.get_output_from_indices(ids.flatten(1))
        else:
            flat = self.quantizer.indices_to_codes(ids.flatten(1))
        return flat.transpose(1, 2).reshape(b, -1, h, w)

    def encode(self, y: Tensor) -> Tensor:
        """Images ``[B, C, H, W]`` in ``[-1, 1]`` -> int64 ids ``[B, *spec.shape]``."""
        return self._quantize(self.encoder(y), update_codebook=False)[1]

    def decode(self, y_prime: Tensor) -> Tensor:
        """Ids ``[B, *spec.shape]`` -> images ``[B, C, H, W]`` in ``[-1, 1]``."""
        return self.decoder(self._codes(y_prime)).clamp(-1.0, 1.0)

    def usage(self, ids: Tensor) -> dict[str, float]:
        """Codebook usage and perplexity of ``ids`` (see :func:`code_usage`); for rvq also
        per level (``usage_level0`` ...), with ``usage``/``perplexity`` their means."""
        levels = ids.unbind(1) if self.kind == "rvq" else (ids,)
        pairs = [code_usage(level, self.spec.vocab_size) for level in levels]
        stats = {}
        if self.kind == "rvq":
            for i, (used, perplexity) in enumerate(pairs):
                stats[f"usage_level{i}"], stats[f"perplexity_level{i}"] = used, perplexity
        stats["usage"] = sum(p[0] for p in pairs) / len(pairs)
        stats["perplexity"] = sum(p[1] for p in pairs) / len(pairs)
        return stats

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        """Batch key ``y``: images. Loss = reconstruction objective + commitment loss."""
        y = batch["y"]
        quantized, ids, commitment = self._quantize(self.encoder(y), update_codebook=True)
        loss, logs = self.objective(self.decoder(quantized), y)
        logs["commitment"] = float(commitment.detach())
        logs.update(self.usage(ids))
        return loss + commitment, logs

    @torch.no_grad()
    def codebook_stats(self, y: Tensor, batch_size: int = 256) -> dict[str, float]:
        """Usage and perplexity of the codes of images ``y`` ``[N, C, H, W]`` (use a large N)."""
        device = module_device(self)
        ids = torch.cat([self.encode(chunk.to(device)) for chunk in y.split(batch_size)])
        return self.usage(ids)
