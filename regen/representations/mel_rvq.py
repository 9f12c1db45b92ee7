"""Discrete learned speech Y': residual-VQ codes over the log-mel (SoundStream-style tokens).

    waveform [B, T] ──log-mel──▶ [B, n_mels, F] ──encoder──▶ [B, C, F] ──ResidualVQ──▶
        codes int64 [B, Q, F] in [0, codebook_size)
    codes ──sum of Q codebook vectors──▶ decoder ──▶ log-mel ──Griffin-Lim / vocoder──▶ waveform

The quantizer is ``vector_quantize_pytorch.ResidualVQ`` (EMA codebooks, dead codes re-seeded
from the batch), as the image tokenizer uses; ``quantizer_options`` pass further ResidualVQ
settings through (the sound codec's low-dimensional cosine codebooks, k-means init and
quantizer dropout, which trains the decoder to work from the first levels alone). Trained on
unpaired audio crops: L1 on log-mel (nats) + the quantizer's commitment loss.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from vector_quantize_pytorch import ResidualVQ

from regen.contracts import LossOutput, YSpec
from regen.modules.dsp import MelSpectrogram
from regen.modules.mel_autoencoder import MelDecoder, MelEncoder
from regen.representations.codebook_usage import level_usage


class MelRVQ(nn.Module):
    """Waveforms [B, T] <-> RVQ code ids [B, num_quantizers, 1 + T // hop]."""

    trainable = True

    def __init__(self, mel: MelSpectrogram, cfg, **quantizer_options: Any) -> None:
        super().__init__()
        channels, levels, size = cfg.latent_channels, cfg.num_quantizers, cfg.codebook_size
        self.mel = mel
        self.encoder = MelEncoder(mel.n_mels, cfg.hidden, channels, cfg.layers)
        self.quantizer = ResidualVQ(
            dim=channels,
            num_quantizers=levels,
            codebook_size=size,
            commitment_weight=cfg.commitment_weight,
            **({"threshold_ema_dead_code": 2} | quantizer_options),
        )
        self.decoder = MelDecoder(channels, cfg.hidden, mel.n_mels, cfg.layers)
        self.spec = YSpec(
            "discrete",
            (levels, None),
            dtype="int64",
            vocab_size=size,
            downsampling=mel.hop,
            name=f"mel-rvq {levels}x{size}",
        )

    def frames(self, num_samples: int) -> int:
        return self.mel.frames(num_samples)

    def encode_mel(self, log_mel: torch.Tensor) -> torch.Tensor:
        """[B, n_mels, F] -> code ids [B, Q, F]."""
        _, ids, _ = self.quantizer(self.encoder(log_mel).transpose(1, 2))
        return ids.transpose(1, 2).long()

    def decode_mel(self, y_prime: torch.Tensor) -> torch.Tensor:
        """Code ids [B, Q, F] -> log-mel [B, n_mels, F]; with quantizer dropout on, the first
        Q' < Q levels [B, Q', F] decode too (the missing levels count as dropped)."""
        z = self.quantizer.get_output_from_indices(y_prime.transpose(1, 2))
        return self.decoder(z.transpose(1, 2))

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        return self.encode_mel(self.mel.encode(y))

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        return self.mel.decode(self.decode_mel(y_prime))

    @torch.no_grad()
    def codebook_stats(self, y: torch.Tensor, batch_size: int = 32) -> dict[str, float]:
        """Per-level usage and perplexity of the codes of waveforms ``y`` [N, T]."""
        ids = torch.cat([self.encode(chunk) for chunk in y.split(batch_size)])
        return level_usage(ids, self.spec.vocab_size)

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """``batch["wav"]``: [B, S] speech crops. Loss = mel L1 + commitment."""
        with torch.no_grad():
            log_mel = self.mel.encode(batch["wav"])
        quantized, _, commit = self.quantizer(self.encoder(log_mel).transpose(1, 2))
        mel_l1 = (self.decoder(quantized.transpose(1, 2)) - log_mel).abs().mean()
        commit = commit.sum()
        loss = mel_l1 + commit
        return loss, {"mel_l1": float(mel_l1.detach()), "commit": float(commit.detach())}
