"""Continuous learned speech Y': a 1-D conv VAE latent over the log-mel.

    waveform [B, T] ──log-mel──▶ [B, n_mels, F] ──encoder──▶ latent [B, C, F] (unit variance)
    latent ──decoder──▶ log-mel ──Griffin-Lim (decode) or the vocoder (renderer)──▶ waveform

Trained on unpaired speech crops: L1 on log-mel (nats) + ``kl_weight`` x KL to N(0, I).
After training :meth:`calibrate` sets a per-channel shift/scale so Y' = the posterior mean
has zero mean and unit std over the training speech (as the image VAE and latent diffusion).
"""

from __future__ import annotations

import torch
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.modules.dsp import MelSpectrogram
from regen.modules.mel_autoencoder import MelDecoder, MelEncoder


class MelVAE(nn.Module):
    """Waveforms [B, T] <-> VAE latents [B, latent_channels, 1 + T // hop]."""

    trainable = True

    def __init__(self, mel: MelSpectrogram, cfg) -> None:
        super().__init__()
        channels = cfg.latent_channels
        self.mel = mel
        self.kl_weight = cfg.kl_weight
        self.encoder = MelEncoder(mel.n_mels, cfg.hidden, 2 * channels, cfg.layers)
        self.decoder = MelDecoder(channels, cfg.hidden, mel.n_mels, cfg.layers)
        self.register_buffer("shift", torch.zeros(channels))
        self.register_buffer("scale", torch.ones(channels))
        self.spec = YSpec(
            "continuous", (channels, None), downsampling=mel.hop, name=f"mel-vae latent {channels}"
        )

    def frames(self, num_samples: int) -> int:
        return self.mel.frames(num_samples)

    def encode_mel(self, log_mel: torch.Tensor) -> torch.Tensor:
        """[B, n_mels, F] -> calibrated posterior mean [B, C, F]."""
        mean = self.encoder(log_mel).chunk(2, 1)[0]
        return (mean - self.shift[:, None]) / self.scale[:, None]

    def decode_mel(self, y_prime: torch.Tensor) -> torch.Tensor:
        """Calibrated latent [B, C, F] -> log-mel [B, n_mels, F]."""
        return self.decoder(y_prime * self.scale[:, None] + self.shift[:, None])

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        return self.encode_mel(self.mel.encode(y))

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        return self.mel.decode(self.decode_mel(y_prime))

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """``batch["wav"]``: [B, S] speech crops. Loss = mel L1 + kl_weight * KL."""
        with torch.no_grad():
            log_mel = self.mel.encode(batch["wav"])
        mean, logvar = self.encoder(log_mel).chunk(2, 1)
        logvar = logvar.clamp(-10.0, 10.0)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        mel_l1 = (self.decoder(z) - log_mel).abs().mean()
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean()
        loss = mel_l1 + self.kl_weight * kl
        return loss, {"mel_l1": float(mel_l1.detach()), "kl": float(kl.detach())}

    @torch.no_grad()
    def calibrate(self, wavs: torch.Tensor, batch_size: int = 64) -> None:
        """Per-channel shift/scale so ``encode`` of ``wavs`` [N, S] has mean 0 and std 1."""
        means = torch.cat(
            [self.encoder(self.mel.encode(w)).chunk(2, 1)[0] for w in wavs.split(batch_size)]
        )
        self.shift.copy_(means.mean(dim=(0, 2)))
        self.scale.copy_(means.std(dim=(0, 2)).clamp_min(1e-6))
