"""Building blocks of the TTS models: FFT blocks (FastSpeech), ConvNeXt blocks (Vocos).

Sequences are channels-last ``[B, L, D]`` with a boolean ``valid`` mask ``[B, L]`` (True on
real positions) unless a docstring says otherwise.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_positions(length: int, dim: int, device: torch.device) -> torch.Tensor:
    """[length, dim] fixed sine/cosine position encodings (Vaswani et al.)."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return table


class SelfAttention(nn.Module):
    """Multi-head self-attention on ``scaled_dot_product_attention`` (no dropout on the
    attention map: on CPU, dropping entries of [B, H, F, F] maps cost as much as the matmuls)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.heads, dim // self.heads).unbind(2)
        mask = valid[:, None, None, :]  # attend to real keys only
        out = nn.functional.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=mask
        )
        return self.out(out.transpose(1, 2).reshape(batch, length, dim))


class FFTBlock(nn.Module):
    """FastSpeech's feed-forward Transformer block: self-attention, then a 1-D conv FFN."""

    def __init__(self, dim: int, heads: int, kernel: int, dropout: float, mult: int = 2) -> None:
        super().__init__()
        self.attention = SelfAttention(dim, heads)
        self.norm1 = nn.LayerNorm(dim)
        self.conv1 = nn.Conv1d(dim, mult * dim, kernel, padding=kernel // 2)
        self.conv2 = nn.Conv1d(mult * dim, dim, 1)
        self.norm2 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        keep = valid[..., None].to(x.dtype)
        attended = self.attention(x, valid)
        x = self.norm1(x + self.dropout(attended)) * keep
        hidden = self.conv2(torch.relu(self.conv1(x.transpose(1, 2)))).transpose(1, 2)
        return self.norm2(x + self.dropout(hidden)) * keep


class FFTStack(nn.Module):
    """Positions + ``layers`` FFT blocks over ``[B, L, dim]``."""

    def __init__(self, dim: int, layers: int, heads: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(FFTBlock(dim, heads, kernel, dropout) for _ in range(layers))

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        x = x + sinusoidal_positions(x.shape[1], x.shape[2], x.device)
        for block in self.blocks:
            x = block(x, valid)
        return x


class ConvNeXtBlock(nn.Module):
    """Vocos' ConvNeXt block over ``[B, dim, F]``: depthwise conv, LayerNorm, MLP, layer scale."""

    def __init__(self, dim: int, intermediate: int, layer_scale: float) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.up = nn.Linear(dim, intermediate)
        self.down = nn.Linear(intermediate, dim)
        self.scale = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.norm(self.depthwise(x).transpose(1, 2))
        hidden = self.down(nn.functional.gelu(self.up(hidden))) * self.scale
        return x + hidden.transpose(1, 2)
