"""X -> Y' for speech: a Conformer encoder over log-mel frames with a CTC head.

The same model serves regeneration (Y' = phoneme ids) and the direct baseline (Y' = character
ids): only ``spec.vocab_size`` differs. Id 0 is both the padding id of Y' and the CTC blank,
since padding never occurs inside a target.

Batches (see :meth:`CTCGenerator.training_loss`) hold padded log-mels and their lengths:
``x`` [N, n_mels, T] (float16 or float32), ``x_len`` [N] frames, ``y_prime`` [N, L] ids,
``y_len`` [N]. At sampling, X is the log-mels with their lengths beside them
(``XBatch(features, lengths=...)``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from regen.contracts import LossOutput, X, XBatch, YSpec
from regen.errors import ConfigError
from regen.generators.ctc_decoding import BLANK, beam_decode, greedy_decode
from regen.modules.conformer import ConformerEncoder, frame_mask
from regen.modules.sequences import pad_rows
from regen.modules.specaugment import spec_augment


def normalize_features(features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Per-utterance, per-band mean/variance normalisation over the valid frames.

    Makes the encoder indifferent to the recording level (a quiet or clipped file gives the
    same features as a normal one up to the clipping distortion).
    """
    valid = frame_mask(lengths, features.shape[-1])[:, None].to(features.dtype)
    count = valid.sum(-1, keepdim=True).clamp(min=1)
    mean = (features * valid).sum(-1, keepdim=True) / count
    var = (((features - mean) * valid) ** 2).sum(-1, keepdim=True) / count
    return (features - mean) / (var + 1e-5).sqrt() * valid


class CTCGenerator(nn.Module):
    """Log-mel [B, n_mels, T] -> token ids [B, L] (0-padded) via CTC.

    Args:
        spec: the discrete, variable-length Y' to produce.
        cfg: an ``AcousticConfig`` (width, depth, heads, subsample, kernel, dropout,
            SpecAugment settings, beam size); see regen/tasks/asr/config.py.
        n_mels: feature channels.
    """

    trainable = True

    def __init__(self, spec: YSpec, cfg: Any, n_mels: int) -> None:
        super().__init__()
        if spec.kind != "discrete" or spec.shape != (None,):
            raise ConfigError(
                f"the CTC generator needs a discrete variable-length Y', got {spec.describe()}"
            )
        if cfg.dim % cfg.heads:
            raise ConfigError(f"generator.dim {cfg.dim} must be divisible by heads {cfg.heads}")
        self.spec = spec
        self.cfg = cfg
        self.encoder = ConformerEncoder(
            n_mels, cfg.dim, cfg.depth, cfg.heads, cfg.subsample, cfg.kernel, cfg.dropout
        )
        self.head = nn.Linear(cfg.dim, spec.vocab_size)

    def log_probs(
        self, features: torch.Tensor, lengths: torch.Tensor, augment: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, T', V] log-probabilities and [B] output frame counts."""
        features = normalize_features(features.float(), lengths)
        if augment:
            cfg = self.cfg
            features = spec_augment(
                features,
                lengths,
                freq_masks=cfg.freq_masks,
                freq_width=cfg.freq_width,
                time_masks=cfg.time_masks,
                time_width=cfg.time_width,
            )
        hidden, out_lengths = self.encoder(features, lengths)
        return self.head(hidden).log_softmax(dim=-1), out_lengths

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        x_len, y_len = batch["x_len"], batch["y_len"]
        # The batch is padded to the longest item of the whole set: trim to this batch's.
        x = batch["x"][..., : int(x_len.max())]
        y = batch["y_prime"][:, : max(1, int(y_len.max()))]
        log_probs, out_len = self.log_probs(x, x_len, augment=self.training)
        loss = F.ctc_loss(
            log_probs.transpose(0, 1).float(),
            y,
            out_len,
            y_len,
            blank=BLANK,
            reduction="mean",
            zero_infinity=True,  # a target longer than its frames gives no gradient, not inf
        )
        too_long = (y_len > out_len).float().mean()
        return loss, {"ctc": float(loss.detach()), "too_long": float(too_long)}

    @torch.no_grad()
    def sample(
        self,
        x: X,
        *,
        generator: torch.Generator | None = None,
        beam_size: int | None = None,
        **_: Any,
    ) -> torch.Tensor:
        """Decode log-mels [B, n_mels, T] to 0-padded ids [B, L].

        ``x`` is the log-mels, or an ``XBatch`` of them with ``lengths`` [B], the valid
        frames (default: all). ``beam_size`` > 1 runs the CTC prefix beam search (default
        ``cfg.beam_size``); 1 is greedy. Decoding is deterministic, so ``generator`` is unused.
        """
        batch = XBatch.of(x)
        features, lengths = batch.x, batch.lengths
        if lengths is None:
            lengths = torch.full((len(features),), features.shape[-1], dtype=torch.long)
        log_probs, out_len = self.log_probs(features, lengths.to(features.device))
        beam = self.cfg.beam_size if beam_size is None else beam_size
        rows = (
            beam_decode(log_probs, out_len, beam) if beam > 1 else greedy_decode(log_probs, out_len)
        )
        return pad_rows(rows)[0]
