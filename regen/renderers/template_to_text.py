"""Y' -> Y for text (Template2Text): a content template's token ids -> the synopsis's.

Trained only on (template(Y), Y) pairs made from synopsis-only text, so it learns word
order, function words and inflection from text no record was paired with; its quality from
the TRUE templates of held-out synopses is the floor the X -> Y' generator cannot remove.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError
from regen.modules.prefix_seq2seq import PrefixSeq2Seq, decode


class TemplateToText(nn.Module):
    """Template ids [B, L'] -> synopsis ids [B, L] (0-padded; the same model family as the
    generator)."""

    trainable = True

    def __init__(
        self, spec: YSpec, text_vocab: int, max_len: int, cfg: Any, pieces: list[str] | None = None
    ) -> None:
        super().__init__()
        self.pieces = pieces  # the vocabulary's pieces, for the whole-word repeat guard
        if spec.kind != "discrete" or spec.shape != (None,):
            raise ConfigError(f"TemplateToText reads token sequences, got {spec.describe()}")
        self.spec = spec
        self.model = PrefixSeq2Seq(spec.vocab_size, text_vocab, max_len, max_len, cfg)

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """Batch: ``y_prime`` [N, L'] template ids and ``y`` [N, L] synopsis ids."""
        loss, accuracy = self.model.loss(batch["y_prime"], batch["y"])
        return loss, {"token_accuracy": accuracy}

    @torch.no_grad()
    def render(
        self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Beam search with the model config's decoding settings (deterministic:
        ``generator`` is unused)."""
        return decode(self.model, y_prime, self.pieces)
