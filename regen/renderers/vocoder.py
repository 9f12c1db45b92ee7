"""A Vocos-style neural vocoder: log-mel -> ConvNeXt backbone -> STFT magnitude and phase -> iSTFT.

Vocos (Siuzdak 2023) keeps every layer at the frame rate and lets ``torch.istft`` do the
upsampling, which makes it fast on CPU. It is trained on waveforms alone: random crops of
unpaired speech are encoded to log-mel by the representation and decoded back, with the
multi-resolution STFT + mel loss of :mod:`regen.renderers.spectral_loss`, plus, when
``adversarial_weight > 0``, the GAN terms of :mod:`regen.renderers.adversarial` (the
discriminators are trained beside it and are not part of its weights or of ``render``).
:class:`WaveformDecoder` is also the direct baseline's upsampling waveform decoder.
"""

from __future__ import annotations

import torch
from torch import nn

from regen.contracts import LossOutput
from regen.modules.speech_blocks import ConvNeXtBlock
from regen.renderers.adversarial import build_adversary, with_adversary
from regen.renderers.spectral_loss import WaveformLoss
from regen.representations.mel import MelSpectrogram


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


class VocosVocoder(nn.Module):
    """Renderer log-mel [B, n_mels, F] -> waveform [B, (F - 1) * hop], trained on waveforms."""

    trainable = True

    def __init__(self, mel: MelSpectrogram, cfg) -> None:
        super().__init__()
        self.mel = mel
        self.spec = mel.spec
        self.decoder = WaveformDecoder(
            mel.n_mels, cfg.dim, cfg.layers, cfg.intermediate, mel.n_fft, mel.hop
        )
        self.loss = WaveformLoss(mel, cfg.stft_weight, cfg.mel_weight)
        self.adversary = build_adversary(cfg)  # a plain attribute: not in state_dict

    def _resynthesize(self, wav: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Crops [B, S] -> (decoded, target), both [B, (F - 1) * hop]."""
        with torch.no_grad():
            y_prime = self.mel.encode(wav)
        return self.decoder(y_prime), wav[:, : (y_prime.shape[-1] - 1) * self.mel.hop]

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """``batch["wav"]``: [B, S] crops, S a multiple of hop; Y' is made from them here."""
        fake, real = self._resynthesize(batch["wav"])
        return with_adversary(self.adversary, self.loss(fake, real), fake, real)

    def discriminator_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        with torch.no_grad():
            fake, real = self._resynthesize(batch["wav"])
        return self.adversary.discriminator_loss(fake, real)

    def render(self, y_prime: torch.Tensor) -> torch.Tensor:
        return self.decoder(y_prime)
