"""A Vocos-style neural vocoder: log-mel -> ConvNeXt backbone -> STFT magnitude and phase -> iSTFT.

Vocos (Siuzdak 2023) keeps every layer at the frame rate and lets ``torch.istft`` do the
upsampling, which makes it fast on CPU. It is trained on waveforms alone: random crops of
unpaired speech are encoded to log-mel by the representation and decoded back, with the
multi-resolution STFT + mel loss of :mod:`regen.losses.spectral`, plus, when
``adversarial_weight > 0``, the GAN terms of :mod:`regen.losses.adversarial` (the
discriminators are trained beside it and are not part of its weights or of ``render``).
The frame-rate decoder itself is :class:`regen.modules.waveform_decoder.WaveformDecoder`, which
the direct baseline's text -> waveform generator shares.
"""

from __future__ import annotations

import torch
from torch import nn

from regen.contracts import LossOutput
from regen.losses.adversarial import build_adversary, with_adversary
from regen.losses.spectral import WaveformLoss
from regen.modules.dsp import MelSpectrogram, griffin_lim
from regen.modules.waveform_decoder import WaveformDecoder


class VocosVocoder(nn.Module):
    """Renderer log-mel [B, n_mels, F] -> waveform [B, (F - 1) * hop], trained on waveforms."""

    trainable = True

    def __init__(self, mel: MelSpectrogram, cfg) -> None:
        super().__init__()
        self.mel = mel
        self.spec = mel.spec
        self.decoder = WaveformDecoder(
            mel.n_mels, cfg.dim, cfg.layers, cfg.intermediate, mel.n_fft, mel.hop, cfg.phase
        )
        self.magnitude_prior = cfg.magnitude_prior
        self.refine_iterations = cfg.refine_iterations
        if self.magnitude_prior:
            # the prior already has the right loudness: start from it, not from quiet
            nn.init.zeros_(self.decoder.head.bias)
        self.loss = WaveformLoss(mel, cfg.stft_weight, cfg.mel_weight)
        self.adversary = build_adversary(cfg)  # a plain attribute: not in state_dict

    def _resynthesize(self, wav: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Crops [B, S] -> (decoded, target), both [B, (F - 1) * hop]."""
        with torch.no_grad():
            y_prime = self.mel.encode(wav)
        return self._decode(y_prime), wav[:, : (y_prime.shape[-1] - 1) * self.mel.hop]

    def _decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        # the pseudo-inverse of the mel filters is the magnitude Griffin-Lim works from: the
        # network corrects it instead of inventing the spectrum from nothing
        prior = self.mel.magnitude(y_prime).log() if self.magnitude_prior else None
        return self.decoder(y_prime, prior)

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """``batch["wav"]``: [B, S] crops, S a multiple of hop; Y' is made from them here."""
        fake, real = self._resynthesize(batch["wav"])
        return with_adversary(self.adversary, self.loss(fake, real), fake, real)

    def discriminator_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        with torch.no_grad():
            fake, real = self._resynthesize(batch["wav"])
        return self.adversary.discriminator_loss(fake, real)

    def render(
        self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        if not self.refine_iterations:
            return self._decode(y_prime)
        # Griffin-Lim iterations that start from the vocoder's own phase: the network's phase
        # is the weak part of its output (an oracle with the true phase is far closer), and
        # a few consistency iterations from a good start fix what random starts cannot
        prior = self.mel.magnitude(y_prime).log() if self.magnitude_prior else None
        spectrum = self.decoder.spectrum(y_prime, prior)
        return griffin_lim(
            spectrum.abs(),
            self.mel.n_fft,
            self.mel.hop,
            self.refine_iterations,
            phase=spectrum.angle(),
        )
