"""Griffin-Lim: magnitude spectrogram -> waveform with no training (the reference renderer).

The spectrogram representation maps its Y' back to a linear magnitude (``magnitude``: the
pseudo-inverse of the mel filters for a log-mel, ``exp`` for a log-linear spectrogram); the
algorithm itself is :func:`regen.modules.dsp.griffin_lim`.
"""

from __future__ import annotations

import torch
from torch import nn

from regen.contracts import YSpec
from regen.modules.dsp import LinearSpectrogram, MelSpectrogram, griffin_lim


class GriffinLimRenderer(nn.Module):
    """Renders the Y' of a mel or linear representation by Griffin-Lim; nothing to train."""

    trainable = False

    def __init__(
        self, representation: MelSpectrogram | LinearSpectrogram, iterations: int = 32
    ) -> None:
        super().__init__()
        self.representation = representation
        self.iterations = iterations
        self.spec: YSpec = representation.spec

    def render(
        self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """[B, bins, F] log spectrogram -> [B, (F - 1) * hop] waveform. The initial phases
        are always the same (seed 0), so the renderer is deterministic: ``generator`` is unused."""
        rep = self.representation
        return griffin_lim(rep.magnitude(y_prime), rep.n_fft, rep.hop, self.iterations)
