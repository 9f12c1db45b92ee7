"""Frame features -> waveform in the Vocos style: a ConvNeXt stack at the frame rate predicts
STFT log-magnitude and phase, and ``torch.istft`` does the upsampling (fast on CPU).

Both the vocoder (log-mel -> waveform) and the direct baseline (text -> waveform) end in it,
so it lives below both contracts.
"""

from __future__ import annotations

import torch
from torch import nn

from regen.modules.speech_blocks import ConvNeXtBlock


class WaveformDecoder(nn.Module):
    """Frame features [B, C, F] -> waveform [B, (F - 1) * hop] in [-1, 1]."""

    def __init__(
        self, channels: int, dim: int, layers: int, intermediate: int, n_fft: int, hop: int
    ) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
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

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.norm_in(self.embed(features).transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        log_magnitude, phase = (
            self.head(self.norm_out(x.transpose(1, 2))).transpose(1, 2).chunk(2, 1)
        )
        # exp of a clamped log keeps early training from producing inf magnitudes
        spectrum = torch.polar(torch.exp(log_magnitude.clamp(max=7.0)), phase)
        length = (features.shape[-1] - 1) * self.hop
        wav = torch.istft(
            spectrum, self.n_fft, self.hop, window=self.window, center=True, length=length
        )
        return wav.clamp(-1, 1)
