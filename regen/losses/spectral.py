"""Waveform losses of the vocoder and of the direct baseline: multi-resolution STFT + mel L1.

The multi-resolution STFT loss (Yamamoto et al., Parallel WaveGAN) sums, at three STFT
sizes, the spectral convergence ``||S - S_hat||_F / ||S||_F`` and the L1 distance of log
magnitudes; the mel term is the L1 distance of 80-band log-mels (HiFi-GAN, Vocos).
"""

from __future__ import annotations

import torch
from torch import nn

from regen.modules.dsp import LOG_FLOOR, MelSpectrogram, stft_magnitude

RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))


def multi_resolution_stft_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean over :data:`RESOLUTIONS` of spectral convergence + log-magnitude L1; [B, T] inputs."""
    total = fake.new_zeros(())
    for n_fft, hop in RESOLUTIONS:
        fake_mag = stft_magnitude(fake, n_fft, hop).clamp_min(LOG_FLOOR)
        real_mag = stft_magnitude(real, n_fft, hop).clamp_min(LOG_FLOOR)
        convergence = torch.linalg.norm(real_mag - fake_mag) / torch.linalg.norm(real_mag)
        log_l1 = (fake_mag.log() - real_mag.log()).abs().mean()
        total = total + convergence + log_l1
    return total / len(RESOLUTIONS)


class WaveformLoss(nn.Module):
    """``stft_weight * multi-resolution STFT + mel_weight * mel L1`` between [B, T] waveforms."""

    def __init__(self, mel: MelSpectrogram, stft_weight: float, mel_weight: float) -> None:
        super().__init__()
        self.mel = mel
        self.stft_weight, self.mel_weight = stft_weight, mel_weight

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, dict]:
        stft = multi_resolution_stft_loss(fake, real)
        mel = (self.mel.encode(fake) - self.mel.encode(real)).abs().mean()
        loss = self.stft_weight * stft + self.mel_weight * mel
        return loss, {"stft_loss": float(stft.detach()), "mel_l1": float(mel.detach())}
