"""X -> Y' for text: token ids of a package record -> token ids of a template or synopsis.

The generator of the text task's regeneration pipeline (X -> content template) and of its
direct baseline (X -> synopsis): one :class:`regen.modules.prefix_seq2seq.PrefixSeq2Seq`, so
both are the same family with the same parameters. The direct baseline's decoder can first
be trained as a language model of synopses (``x`` rows of padding only: no source).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from regen.contracts import LossOutput, X, XBatch, YSpec
from regen.errors import ConfigError
from regen.modules.prefix_seq2seq import PrefixSeq2Seq, decode


class TextSeq2Seq(nn.Module):
    """Token ids X [B, S] -> token ids Y' [B, T] (0-padded, ids < ``spec.vocab_size``)."""

    trainable = True

    def __init__(
        self,
        spec: YSpec,
        x_vocab: int,
        max_x: int,
        max_y: int,
        cfg: Any,
        pieces: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.pieces = pieces  # the vocabulary's pieces, for the whole-word repeat guard
        if spec.kind != "discrete" or spec.shape != (None,):
            raise ConfigError(f"TextSeq2Seq writes token sequences, got {spec.describe()}")
        self.spec = spec
        self.model = PrefixSeq2Seq(x_vocab, spec.vocab_size, max_x, max_y, cfg)

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """Batch: ``x`` [N, S] and ``y_prime`` [N, T] token ids, 0-padded."""
        loss, accuracy = self.model.loss(batch["x"], batch["y_prime"])
        return loss, {"token_accuracy": accuracy}

    @torch.no_grad()
    def sample(
        self, x: X, *, generator: torch.Generator | None = None, **sampling: Any
    ) -> torch.Tensor:
        """Beam search with the model config's decoding settings (deterministic:
        ``generator`` is unused)."""
        return decode(self.model, XBatch.of(x).x, self.pieces)
