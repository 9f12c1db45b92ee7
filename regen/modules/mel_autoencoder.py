"""Frame-rate 1-D conv encoder/decoder over log-mel, shared by the learned speech Y'.

    log-mel [B, n_mels, F] ──MelEncoder──▶ [B, C, F] ──(VAE sample | residual VQ)──▶
        [B, C, F] ──MelDecoder──▶ log-mel [B, n_mels, F]

No time downsampling: one latent frame per mel frame (hop 256), so the FastSpeech length
regulator lays out latents exactly as it lays out mel frames. Log-mel (natural log, silence
at about -11.5) is shifted and scaled to roughly [-2, 2] at the input and back at the output.
"""

from __future__ import annotations

import torch
from torch import nn

from regen.modules.speech_blocks import ConvNeXtBlock

MEL_SHIFT = 5.0  # log-mel centre (nats)
MEL_SCALE = 3.0  # log-mel half-range (nats)


class FrameConvNet(nn.Module):
    """[B, in_channels, F] -> [B, out_channels, F]: conv embed, ConvNeXt blocks, 1x1 out."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, layers: int) -> None:
        super().__init__()
        self.embed = nn.Conv1d(in_channels, hidden, 5, padding=2)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(hidden, 2 * hidden, 1.0 / layers) for _ in range(layers)
        )
        self.out = nn.Conv1d(hidden, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        for block in self.blocks:
            x = block(x)
        return self.out(x)


class MelEncoder(nn.Module):
    """Log-mel [B, n_mels, F] -> features [B, out_channels, F]."""

    def __init__(self, n_mels: int, hidden: int, out_channels: int, layers: int) -> None:
        super().__init__()
        self.net = FrameConvNet(n_mels, hidden, out_channels, layers)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.net((mel + MEL_SHIFT) / MEL_SCALE)


class MelDecoder(nn.Module):
    """Latent [B, channels, F] -> log-mel [B, n_mels, F] (natural log magnitudes)."""

    def __init__(self, channels: int, hidden: int, n_mels: int, layers: int) -> None:
        super().__init__()
        self.net = FrameConvNet(channels, hidden, n_mels, layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z) * MEL_SCALE - MEL_SHIFT
