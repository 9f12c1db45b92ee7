"""Explicit speech representations: log-mel and log-linear STFT magnitude spectrograms.

    waveform [B, T] in [-1, 1] at 22,050 Hz ──encode──▶ log-mel [B, 80, 1 + T // 256]

Frames come from ``torch.stft`` (Hann window of 1024, hop 256, centred, reflect padding) and
the mel filters from ``librosa.filters.mel`` (Slaney scale and norm, 0-8000 Hz). Values are
natural logs of magnitudes clamped at 1e-5, so silence sits at about -11.5. Nothing is
learned; ``decode`` inverts with Griffin-Lim (:mod:`regen.renderers.griffin_lim`).
"""

from __future__ import annotations

import librosa
import numpy as np
import torch
from torch import nn

from regen.contracts import YSpec
from regen.data.audio import SAMPLE_RATE

LOG_FLOOR = 1e-5


def stft_magnitude(wav: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """|STFT| of ``wav`` [B, T] -> [B, n_fft // 2 + 1, 1 + T // hop] (Hann, centred)."""
    window = torch.hann_window(n_fft, device=wav.device, dtype=wav.dtype)
    # reflect padding needs more than n_fft / 2 samples; a clip shorter than that (an
    # undertrained model's 2-frame utterance) is zero-padded instead of failing
    pad_mode = "reflect" if wav.shape[-1] > n_fft // 2 else "constant"
    spec = torch.stft(
        wav, n_fft, hop, window=window, center=True, pad_mode=pad_mode, return_complex=True
    )
    return spec.abs()


def num_frames(num_samples: int, hop: int = 256) -> int:
    """Frames of a centred STFT over ``num_samples`` samples."""
    return 1 + num_samples // hop


class MelSpectrogram(nn.Module):
    """Waveforms [B, T] <-> log-mel spectrograms [B, n_mels, frames]."""

    trainable = False

    def __init__(
        self,
        sample_rate: int = SAMPLE_RATE,
        n_fft: int = 1024,
        hop: int = 256,
        n_mels: int = 80,
        fmax: float = 8000.0,
    ) -> None:
        super().__init__()
        self.sample_rate, self.n_fft, self.hop, self.n_mels = sample_rate, n_fft, hop, n_mels
        filters = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmax=fmax)
        self.register_buffer("filters", torch.from_numpy(filters.astype(np.float32)), False)
        self.spec = YSpec("continuous", (n_mels, None), downsampling=hop, name=f"log-mel {n_mels}")

    def frames(self, num_samples: int) -> int:
        return num_frames(num_samples, self.hop)

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        """[B, T] waveforms -> [B, n_mels, 1 + T // hop] natural-log mel magnitudes."""
        mel = self.filters @ stft_magnitude(y.float(), self.n_fft, self.hop)
        return torch.log(mel.clamp_min(LOG_FLOOR))

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        """[B, n_mels, frames] -> [B, (frames - 1) * hop] waveforms by Griffin-Lim."""
        from regen.renderers.griffin_lim import griffin_lim, mel_to_linear

        return griffin_lim(mel_to_linear(y_prime, self.filters), self.n_fft, self.hop)


class LinearSpectrogram(nn.Module):
    """Waveforms [B, T] <-> log STFT magnitudes [B, n_fft // 2 + 1, frames]."""

    trainable = False

    def __init__(self, sample_rate: int = SAMPLE_RATE, n_fft: int = 1024, hop: int = 256) -> None:
        super().__init__()
        self.sample_rate, self.n_fft, self.hop = sample_rate, n_fft, hop
        bins = n_fft // 2 + 1
        self.spec = YSpec("continuous", (bins, None), downsampling=hop, name=f"log-linear {bins}")

    def frames(self, num_samples: int) -> int:
        return num_frames(num_samples, self.hop)

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        return torch.log(stft_magnitude(y.float(), self.n_fft, self.hop).clamp_min(LOG_FLOOR))

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        from regen.renderers.griffin_lim import griffin_lim

        return griffin_lim(torch.exp(y_prime), self.n_fft, self.hop)
