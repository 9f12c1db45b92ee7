"""Griffin-Lim: magnitude spectrogram -> waveform with no training (the reference renderer).

The fast variant (Perraudin et al. 2013, momentum 0.99) as in librosa, written on
``torch.stft``/``torch.istft`` so that it runs on batches and on the GPU. A log-mel is first
mapped back to a linear magnitude with the pseudo-inverse of the mel filters (clamped at 0).
"""

from __future__ import annotations

import torch
from torch import nn

from regen.contracts import YSpec
from regen.representations.mel import LOG_FLOOR


def mel_to_linear(log_mel: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
    """[B, n_mels, F] natural-log mel -> [B, n_fft // 2 + 1, F] linear magnitude (>= 0)."""
    return (torch.linalg.pinv(filters) @ torch.exp(log_mel)).clamp_min(LOG_FLOOR)


def griffin_lim(
    magnitude: torch.Tensor, n_fft: int, hop: int, iterations: int = 32, momentum: float = 0.99
) -> torch.Tensor:
    """[B, n_fft // 2 + 1, F] magnitudes -> [B, (F - 1) * hop] waveforms (seeded phases)."""
    window = torch.hann_window(n_fft, device=magnitude.device)
    wanted = (magnitude.shape[-1] - 1) * hop
    # stft's reflect padding needs more than n_fft / 2 samples: very short utterances (an
    # undertrained duration predictor gives 2 frames) get silent frames appended, then cut
    short = max(0, n_fft // hop + 1 - magnitude.shape[-1])
    magnitude = torch.nn.functional.pad(magnitude, (0, short), value=LOG_FLOOR)
    length = (magnitude.shape[-1] - 1) * hop
    gen = torch.Generator(device="cpu").manual_seed(0)
    phase = torch.rand(magnitude.shape, generator=gen).to(magnitude.device) * 2 * torch.pi
    angles = torch.polar(torch.ones_like(magnitude), phase)
    previous = torch.zeros_like(angles)
    for _ in range(iterations):
        wav = torch.istft(magnitude * angles, n_fft, hop, window=window, length=length)
        rebuilt = torch.stft(wav, n_fft, hop, window=window, return_complex=True)
        angles = rebuilt - (momentum / (1 + momentum)) * previous
        angles = angles / angles.abs().clamp_min(1e-16)
        previous = rebuilt
    wav = torch.istft(magnitude * angles, n_fft, hop, window=window, length=length)
    return wav[..., :wanted].clamp(-1, 1)


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
