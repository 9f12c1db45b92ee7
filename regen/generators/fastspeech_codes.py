"""FastSpeech-style non-autoregressive classifier over discrete speech codes.

    phoneme ids [B, L] ─TextToFrames (encoder, variance adaptor, length regulator, decoder)─▶
        frame states [B, F, D] ─linear─▶ logits [B, F, Q, K] ─argmax─▶ codes [B, Q, F]

The same trunk as :class:`regen.generators.fastspeech.FastSpeechGenerator`; instead of a
regression head it predicts each of the Q residual-VQ levels of every frame independently
(cross-entropy per level, averaged), so sampling is one forward pass.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from regen.contracts import LossOutput, X, YSpec
from regen.generators.fastspeech import TextToFrames, phonemes_and_speakers


class FastSpeechCodeGenerator(nn.Module):
    """X (phoneme ids) -> Y' = code ids [B, Q, F] in [0, K)."""

    trainable = True

    def __init__(self, spec: YSpec, cfg, vocab_size: int, num_speakers: int) -> None:
        super().__init__()
        self.spec = spec
        self.levels, self.codebook_size = spec.shape[0], spec.vocab_size
        self.trunk = TextToFrames(cfg, vocab_size, num_speakers)
        self.to_logits = nn.Linear(cfg.dim, self.levels * self.codebook_size)

    def logits(self, frames: torch.Tensor) -> torch.Tensor:
        """Frame states [B, F, D] -> logits [B, F, Q, K]."""
        return self.to_logits(frames).unflatten(-1, (self.levels, self.codebook_size))

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        frames, valid, predicted = self.trunk(batch["x"], batch["speakers"], batch)
        logits = self.logits(frames)  # [B, F, Q, K]
        target = batch["y_prime"][..., : logits.shape[1]].long().transpose(1, 2)  # [B, F, Q]
        ce = nn.functional.cross_entropy(
            logits.flatten(0, 2), target.flatten(), reduction="none"
        ).view_as(target)
        weight = valid[..., None].to(ce.dtype).expand_as(ce)
        code_ce = (ce * weight).sum() / weight.sum().clamp_min(1)
        accuracy = ((logits.argmax(-1) == target).to(ce.dtype) * weight).sum() / weight.sum()
        variance, logs = self.trunk.variance_loss(predicted, batch)
        logs = {"code_ce": float(code_ce.detach()), "code_accuracy": float(accuracy), **logs}
        return code_ce + variance, logs

    @torch.no_grad()
    def predict(
        self, x: torch.Tensor, speakers: torch.Tensor, pace: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Most likely codes [B, Q, F] (0 past each item's end) and durations [B, L]."""
        frames, valid, predicted = self.trunk(x, speakers, pace=pace)
        codes = self.logits(frames).argmax(-1).transpose(1, 2)  # [B, Q, F]
        return codes * valid[:, None], predicted["durations"]

    def sample(
        self, x: X, *, generator: torch.Generator | None = None, pace: float = 1.0, **_: Any
    ) -> torch.Tensor:
        """Deterministic (no RNG); ``pace`` > 1 speaks slower."""
        return self.predict(*phonemes_and_speakers(x), pace)[0]
