"""Griffin-Lim: magnitude spectrogram -> waveform with no training (the reference renderer).

A log-mel is first mapped back to a linear magnitude with the pseudo-inverse of the mel
filters (clamped at 0); the algorithm itself is :func:`regen.modules.dsp.griffin_lim`.
"""

from __future__ import annotations

import torch
from torch import nn

from regen.contracts import YSpec
from regen.modules.dsp import griffin_lim, mel_to_linear


class GriffinLimRenderer(nn.Module):
    """Renders the Y' of a mel or linear representation by Griffin-Lim; nothing to train."""

    trainable = False

    def __init__(self, representation: nn.Module, iterations: int = 32) -> None:
        super().__init__()
        self.representation = representation
        self.iterations = iterations
        self.spec: YSpec = representation.spec

    def render(self, y_prime: torch.Tensor) -> torch.Tensor:
        """[B, bins, F] log spectrogram -> [B, (F - 1) * hop] waveform."""
        rep = self.representation
        if hasattr(rep, "filters"):
            magnitude = mel_to_linear(y_prime, rep.filters)
        else:
            magnitude = torch.exp(y_prime)
        return griffin_lim(magnitude, rep.n_fft, rep.hop, self.iterations)
