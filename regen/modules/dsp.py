"""Speech DSP shared by every speech stage: STFT magnitudes, log-mel and log-linear
spectrograms, and Griffin-Lim phase reconstruction.

    waveform [B, T] in [-1, 1] at 22,050 Hz ──MelSpectrogram.encode──▶ log-mel [B, 80, 1 + T // 256]

Frames come from ``torch.stft`` (Hann window of 1024, hop 256, centred, reflect padding) and
the mel filters from ``librosa.filters.mel`` (Slaney scale and norm, 0-8000 Hz). Values are
natural logs of magnitudes clamped at 1e-5, so silence sits at about -11.5. Griffin-Lim is the
fast variant (Perraudin et al. 2013, momentum 0.99) as in librosa, written on
``torch.stft``/``torch.istft`` so that it runs on batches and on the GPU.

The mel representation, the Griffin-Lim renderer, the vocoder, the direct waveform baseline
and the spectral losses all use these, so they live here, below every contract.
"""

from __future__ import annotations

import librosa
import numpy as np
import torch
from torch import nn

from regen.contracts import YSpec

SAMPLE_RATE = 22050  # every waveform inside regen's speech tasks
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
        # once, not per call: an SVD of the filters costs as much as a short vocoder render
        self.register_buffer("inverse", torch.linalg.pinv(self.filters), False)
        self.spec = YSpec("continuous", (n_mels, None), downsampling=hop, name=f"log-mel {n_mels}")

    def frames(self, num_samples: int) -> int:
        return num_frames(num_samples, self.hop)

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        """[B, T] waveforms -> [B, n_mels, 1 + T // hop] natural-log mel magnitudes."""
        mel = self.filters @ stft_magnitude(y.float(), self.n_fft, self.hop)
        return torch.log(mel.clamp_min(LOG_FLOOR))

    def magnitude(self, y_prime: torch.Tensor) -> torch.Tensor:
        """[B, n_mels, frames] log-mel -> [B, n_fft // 2 + 1, frames] linear magnitude."""
        return mel_to_linear(y_prime, self.inverse)

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        """[B, n_mels, frames] -> [B, (frames - 1) * hop] waveforms by Griffin-Lim."""
        return griffin_lim(self.magnitude(y_prime), self.n_fft, self.hop)


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

    def magnitude(self, y_prime: torch.Tensor) -> torch.Tensor:
        """[B, bins, frames] log magnitude -> linear magnitude."""
        return torch.exp(y_prime)

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        return griffin_lim(self.magnitude(y_prime), self.n_fft, self.hop)


def mel_to_linear(log_mel: torch.Tensor, inverse: torch.Tensor) -> torch.Tensor:
    """[B, n_mels, F] natural-log mel -> [B, n_fft // 2 + 1, F] linear magnitude (>= LOG_FLOOR);
    ``inverse`` [n_fft // 2 + 1, n_mels] is the pseudo-inverse of the mel filters."""
    return (inverse @ torch.exp(log_mel)).clamp_min(LOG_FLOOR)


def griffin_lim(
    magnitude: torch.Tensor,
    n_fft: int,
    hop: int,
    iterations: int = 32,
    momentum: float = 0.99,
    phase: torch.Tensor | None = None,
) -> torch.Tensor:
    """[B, n_fft // 2 + 1, F] magnitudes -> [B, (F - 1) * hop] waveforms, from seeded random
    phases or, when given, ``phase`` [B, n_fft // 2 + 1, F] (a vocoder's, to refine)."""
    window = torch.hann_window(n_fft, device=magnitude.device)
    wanted = (magnitude.shape[-1] - 1) * hop
    # stft's reflect padding needs more than n_fft / 2 samples: very short utterances (an
    # undertrained duration predictor gives 2 frames) get silent frames appended, then cut
    short = max(0, n_fft // hop + 1 - magnitude.shape[-1])
    magnitude = torch.nn.functional.pad(magnitude, (0, short), value=LOG_FLOOR)
    length = (magnitude.shape[-1] - 1) * hop
    if phase is None:
        gen = torch.Generator(device="cpu").manual_seed(0)
        phase = torch.rand(magnitude.shape, generator=gen).to(magnitude.device) * 2 * torch.pi
    else:
        phase = torch.nn.functional.pad(phase, (0, short))
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


def waveform_spec(sample_rate: int = SAMPLE_RATE) -> YSpec:
    """Y itself for speech: mono waveforms [B, T] in [-1, 1] (the direct baseline's Y')."""
    return YSpec("continuous", (None,), value_range=(-1.0, 1.0), name=f"waveform {sample_rate} Hz")
