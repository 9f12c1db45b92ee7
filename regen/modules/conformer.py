"""A compact Conformer encoder (Gulati et al. 2020) for acoustic features.

    log-mel [B, n_mels, T] -> strided 1-D convolutions (T / 2**subsample) -> N x block -> [B, T', D]

    block:  x + ½ FF(x) -> x + MHSA(x) -> x + Conv(x) -> x + ½ FF(x) -> LayerNorm

There is no absolute position embedding: the convolution module and the convolutional
subsampling give every frame its local order, so the encoder behaves the same on utterances
longer than those it was trained on (long files are decoded in chunks of any length).
Padding frames are masked out of attention and zeroed before every convolution, so a
padded batch gives the same result as each utterance alone.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from regen.modules.transformer import SelfAttention, attention_mask


def frame_mask(lengths: torch.Tensor, frames: int) -> torch.Tensor:
    """bool [B, frames], True on the first ``lengths[b]`` frames."""
    return torch.arange(frames, device=lengths.device)[None, :] < lengths[:, None]


class FeedForward(nn.Module):
    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, 4 * dim),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(4 * dim, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ConvModule(nn.Module):
    """Pointwise GLU, depthwise convolution over time, pointwise projection."""

    def __init__(self, dim: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.pointwise_in = nn.Conv1d(dim, 2 * dim, 1)
        self.depthwise = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        # LayerNorm over channels instead of BatchNorm: no batch statistics to go stale
        # between training and the single-utterance chunks decoded at inference.
        self.mid_norm = nn.LayerNorm(dim)
        self.pointwise_out = nn.Conv1d(dim, dim, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        h = self.norm(x).transpose(1, 2)  # [B, D, T]
        h = F.glu(self.pointwise_in(h), dim=1) * valid[:, None]
        h = self.depthwise(h)
        h = F.silu(self.mid_norm(h.transpose(1, 2))).transpose(1, 2)
        return self.dropout(self.pointwise_out(h).transpose(1, 2))


class ConformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.ff1 = FeedForward(dim, dropout)
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads, dropout)
        self.attn_drop = nn.Dropout(dropout)
        self.conv = ConvModule(dim, kernel, dropout)
        self.ff2 = FeedForward(dim, dropout)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, valid: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + 0.5 * self.ff1(x)
        x = x + self.attn_drop(self.attn(self.attn_norm(x), mask))
        x = x + self.conv(x, valid)
        x = x + 0.5 * self.ff2(x)
        return self.norm(x)


class ConformerEncoder(nn.Module):
    """Features [B, C, T] with lengths [B] -> hidden states [B, T', dim] and lengths [B].

    Args:
        in_channels: feature channels (mel bands).
        dim: model width; heads must divide it.
        depth: number of Conformer blocks.
        subsample: number of stride-2 convolutions in front (time reduction 2**subsample).
        kernel: depthwise convolution width in frames after subsampling (odd).
    """

    def __init__(
        self,
        in_channels: int,
        dim: int,
        depth: int,
        heads: int,
        subsample: int = 1,
        kernel: int = 15,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for _ in range(subsample):
            layers += [nn.Conv1d(channels, dim, 3, stride=2, padding=1), nn.GELU()]
            channels = dim
        if not layers:
            layers = [nn.Conv1d(channels, dim, 3, padding=1), nn.GELU()]
        self.subsample = subsample
        self.front = nn.Sequential(*layers)
        self.input_drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            ConformerBlock(dim, heads, kernel, dropout) for _ in range(depth)
        )

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        for _ in range(self.subsample):
            lengths = (lengths - 1) // 2 + 1  # kernel 3, stride 2, padding 1
        return lengths

    def forward(
        self, features: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        features = features * frame_mask(lengths, features.shape[-1])[:, None]
        x = self.input_drop(self.front(features).transpose(1, 2))
        out_lengths = self.output_lengths(lengths)
        valid = frame_mask(out_lengths, x.shape[1])
        x = x * valid[..., None]
        mask = attention_mask(valid, x.shape[1], causal=False)
        for block in self.blocks:
            x = block(x, valid, mask) * valid[..., None]
        return x, out_lengths
