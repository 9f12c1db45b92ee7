"""Frame features -> waveform in the Vocos style: a ConvNeXt stack at the frame rate predicts
STFT log-magnitude and phase, and ``torch.istft`` does the upsampling (fast on CPU).

Both the vocoder (log-mel -> waveform) and the direct baseline (text -> waveform) end in it,
so it lives below both contracts.

Phase (``phase``):

- ``absolute``: the head's second half is each frame's phase itself (Vocos). Trained on
  spectral losses alone this barely learns harmonic phase: voiced speech comes out noisy
  (the pitch tracker finds almost no voiced frames).
- ``accumulated``: the head predicts how far each bin's phase advances from the previous frame
  beyond the advance of a sinusoid at the bin's centre frequency, and the phase is the running
  sum (a phase vocoder's instantaneous frequency). At initialisation every bin already
  continues its own sinusoid from frame to frame, so voiced speech starts out periodic, and a
  harmonic between two bins is a small constant offset the frame-rate network can predict.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from regen.modules.speech_blocks import ConvNeXtBlock

PHASE_MODES = ("absolute", "accumulated")


def bin_rotation(bins: int, frames: int, n_fft: int, hop: int) -> torch.Tensor:
    """[bins, frames] phase of a unit sinusoid at each bin's centre frequency at each frame
    (radians in [0, 2 pi)); exact integer arithmetic, so long utterances lose no precision."""
    k = torch.arange(bins, dtype=torch.int64)[:, None]
    t = torch.arange(frames, dtype=torch.int64)[None, :]
    return ((k * hop * t) % n_fft).to(torch.float32) * (2 * math.pi / n_fft)


def accumulated_phase(
    advance: torch.Tensor, n_fft: int, hop: int, rotation: torch.Tensor | None = None
) -> torch.Tensor:
    """Per-frame phase deviations [B, bins, F] -> phase [B, bins, F]: bin-centre rotation plus
    the running sum of the deviations over frames. ``rotation``: a precomputed
    :func:`bin_rotation` of at least F frames."""
    bins, frames = advance.shape[-2:]
    if rotation is None:
        rotation = bin_rotation(bins, frames, n_fft, hop)
    nominal = rotation[:, :frames].to(advance.device, advance.dtype)
    # wrapped: sin/cos (in torch.polar) of the running sum's large angles cost several times more
    return torch.remainder(nominal + torch.cumsum(advance, dim=-1), 2 * math.pi)


class WaveformDecoder(nn.Module):
    """Frame features [B, C, F] -> waveform [B, (F - 1) * hop] in [-1, 1]."""

    def __init__(
        self,
        channels: int,
        dim: int,
        layers: int,
        intermediate: int,
        n_fft: int,
        hop: int,
        phase: str = "absolute",
    ) -> None:
        super().__init__()
        if phase not in PHASE_MODES:
            raise ValueError(f"phase must be one of {PHASE_MODES}, not {phase!r}")
        self.n_fft, self.hop, self.phase = n_fft, hop, phase
        self.embed = nn.Conv1d(channels, dim, 7, padding=3)
        self.norm_in = nn.LayerNorm(dim, eps=1e-6)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(dim, intermediate, 1.0 / layers) for _ in range(layers)
        )
        self.norm_out = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, n_fft + 2)  # log-magnitude and phase per frequency bin
        # Start quiet (magnitudes near e^-4) instead of at random loudness: the first steps
        # then learn the spectrum's shape rather than undoing a burst of noise.
        nn.init.normal_(self.head.weight, std=0.01)
        nn.init.zeros_(self.head.bias)
        with torch.no_grad():
            self.head.bias[: n_fft // 2 + 1] = -4.0
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self._rotation_table = torch.zeros(n_fft // 2 + 1, 0)

    def _rotation(self, frames: int) -> torch.Tensor:
        # every utterance's rotation is a prefix of a longer one: keep the longest (doubled)
        if self._rotation_table.shape[1] < frames:
            longer = max(frames, 2 * self._rotation_table.shape[1])
            self._rotation_table = bin_rotation(self.n_fft // 2 + 1, longer, self.n_fft, self.hop)
        return self._rotation_table

    def spectrum(
        self, features: torch.Tensor, log_magnitude_prior: torch.Tensor | None = None
    ) -> torch.Tensor:
        """[B, C, F] -> complex STFT [B, n_fft // 2 + 1, F] that ``forward`` inverts.

        ``log_magnitude_prior`` [B, n_fft // 2 + 1, F] (natural log), when given, is added to
        the predicted log-magnitude: the network then learns a correction to it."""
        x = self.norm_in(self.embed(features).transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        log_magnitude, phase = (
            self.head(self.norm_out(x.transpose(1, 2))).transpose(1, 2).chunk(2, 1)
        )
        if log_magnitude_prior is not None:
            log_magnitude = log_magnitude + log_magnitude_prior
        if self.phase == "accumulated":
            phase = accumulated_phase(phase, self.n_fft, self.hop, self._rotation(phase.shape[-1]))
        # exp of a clamped log keeps early training from producing inf magnitudes
        return torch.polar(torch.exp(log_magnitude.clamp(max=7.0)), phase)

    def forward(
        self, features: torch.Tensor, log_magnitude_prior: torch.Tensor | None = None
    ) -> torch.Tensor:
        length = (features.shape[-1] - 1) * self.hop
        wav = torch.istft(
            self.spectrum(features, log_magnitude_prior),
            self.n_fft,
            self.hop,
            window=self.window,
            center=True,
            length=length,
        )
        return wav.clamp(-1, 1)
