"""Causal attention over a bounded window of past frames, with a ring-buffer key/value cache.

A frame-rate autoregressive model over long utterances (30 s of speech is ~2,600 frames at
hop 256) needs each step to cost the same however far it is into the utterance. Each
position ``t`` therefore attends to positions ``t - window + 1 .. t`` only, in training (a
banded causal mask, :func:`window_mask`) and in generation (:class:`RingKVCache`, which keeps
the last ``window`` keys/values per layer and overwrites the oldest). The attention has no
position encoding inside it (positions come in with the inputs), so the ring buffer's slot
order does not matter: attention is a sum over keys.

Training runs the blocks of :class:`regen.modules.transformer.Transformer` unchanged under
the banded mask (:func:`run_windowed`); generation runs the same weights through
:func:`step_blocks`, the same block arithmetic written with functional calls on [B, D]
rows, because at batch 1 the per-call overhead of the modules was a quarter of a step.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def window_mask(length: int, window: int, device: torch.device | None = None) -> torch.Tensor:
    """bool [1, 1, length, length]: query t may attend key s iff ``t - window < s <= t``."""
    t = torch.arange(length, device=device)
    offset = t[:, None] - t[None, :]
    return ((offset >= 0) & (offset < window))[None, None]


class RingKVCache:
    """The last ``window`` keys/values of every layer, one new position per step.

    Shapes: keys/values [depth, B, heads, window, head_dim]. ``length`` counts the positions
    appended so far (it may exceed ``window``; the oldest are overwritten).
    """

    def __init__(
        self,
        depth: int,
        batch: int,
        heads: int,
        window: int,
        head_dim: int,
        *,
        like: torch.Tensor,
    ) -> None:
        shape = (depth, batch, heads, window, head_dim)
        self.keys = torch.zeros(shape, device=like.device, dtype=like.dtype)
        self.values = torch.zeros_like(self.keys)
        self.window = window
        self.length = 0

    def store(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Write one position's [B, H, 1, Dh] keys/values of ``layer``; return the window's."""
        slot = self.length % self.window
        self.keys[layer, :, :, slot : slot + 1] = k
        self.values[layer, :, :, slot : slot + 1] = v
        filled = min(self.length + 1, self.window)
        return self.keys[layer, :, :, :filled], self.values[layer, :, :, :filled]


def run_windowed(decoder: nn.Module, x: torch.Tensor, window: int) -> torch.Tensor:
    """A :class:`~regen.modules.transformer.Transformer` over [B, T, D], each position seeing
    the last ``window`` positions up to itself; returns the normalised states [B, T, D]."""
    mask = window_mask(x.shape[1], window, x.device)
    for block in decoder.blocks:
        x = block(x, mask)
    return decoder.norm(x)


def step_blocks(decoder: nn.Module, x: torch.Tensor, cache: RingKVCache) -> torch.Tensor:
    """One new position [B, D] through ``decoder``'s blocks, attending to the cached window.

    Equal to the last row of :func:`run_windowed` over the whole sequence (tested); every
    key in the cache is in the window, so no mask is needed.
    """
    batch, dim = x.shape
    for i, block in enumerate(decoder.blocks):
        attn = block.attn
        h = F.layer_norm(x, (dim,), block.norm1.weight, block.norm1.bias)
        qkv = F.linear(h, attn.qkv.weight, attn.qkv.bias).view(batch, 3, attn.heads, 1, -1)
        q, k, v = qkv.unbind(1)
        keys, values = cache.store(i, k, v)
        y = F.scaled_dot_product_attention(q, keys, values).view(batch, dim)
        x = x + F.linear(y, attn.out.weight, attn.out.bias)
        h = F.layer_norm(x, (dim,), block.norm2.weight, block.norm2.bias)
        up, down = block.mlp[0], block.mlp[2]
        x = x + F.linear(F.gelu(F.linear(h, up.weight, up.bias)), down.weight, down.bias)
    cache.length += 1
    return F.layer_norm(x, (dim,), decoder.norm.weight, decoder.norm.bias)
