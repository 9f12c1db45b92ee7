"""A small pre-norm transformer (GPT block) with an optional key/value cache.

Used twice: bidirectionally as the byte-level caption encoder and causally as the
autoregressive generator's decoder. Padding is handled with a per-key validity mask, and
every query may always attend to itself, so no row is ever fully masked (an empty caption,
the padded tail of a prefix): attention backends disagree on such rows (zeros on the CPU
here, NaN in older releases and some fused kernels), and a NaN would leak into later
layers through ``0 * NaN``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def attention_mask(key_valid: torch.Tensor, query_len: int, causal: bool) -> torch.Tensor:
    """Which keys each query may attend to.

    Args:
        key_valid: bool [B, K], False for padding keys. The queries are the last
            ``query_len`` of the K positions (K - query_len positions are already cached).
        query_len: number of new positions Q (Q <= K).
        causal: forbid attending to later positions.

    Returns:
        bool [B, 1, Q, K], True where attention is allowed.
    """
    keys = key_valid.shape[1]
    device = key_valid.device
    k = torch.arange(keys, device=device)
    q = torch.arange(keys - query_len, keys, device=device)[:, None]
    allowed = key_valid[:, None, :]
    if causal:
        allowed = allowed & (k[None, :] <= q)[None]
    allowed = allowed | (k[None, :] == q)[None]
    return allowed[:, None]


class KVCache:
    """Preallocated keys and values of every layer, filled left to right.

    ``length`` counts the positions stored so far; one ``Transformer.forward`` call appends
    its positions to every layer and then advances ``length``.
    """

    def __init__(
        self,
        depth: int,
        batch: int,
        heads: int,
        max_len: int,
        head_dim: int,
        *,
        device: torch.device,
        dtype: torch.dtype,
    ) -> None:
        shape = (depth, batch, heads, max_len, head_dim)
        self.keys = torch.zeros(shape, device=device, dtype=dtype)
        self.values = torch.zeros(shape, device=device, dtype=dtype)
        self.length = 0

    def append(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store [B, H, Q, Dh] new keys/values of ``layer``; return all keys/values so far."""
        end = self.length + k.shape[2]
        if end > self.keys.shape[3]:
            raise ValueError(f"KV cache holds {self.keys.shape[3]} positions, asked for {end}")
        self.keys[layer, :, :, self.length : end] = k
        self.values[layer, :, :, self.length : end] = v
        return self.keys[layer, :, :, :end], self.values[layer, :, :, :end]


class SelfAttention(nn.Module):
    """Multi-head self-attention through ``F.scaled_dot_product_attention``."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        cache: KVCache | None = None,
        layer: int = 0,
    ) -> torch.Tensor:
        batch, length, dim = x.shape
        q, k, v = (
            self.qkv(x).view(batch, length, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        )
        if cache is not None:
            k, v = cache.append(layer, k, v)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.out(y.transpose(1, 2).reshape(batch, length, dim))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(dropout)
        )
        self.drop = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, cache: KVCache | None = None, layer: int = 0
    ) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x), mask, cache, layer))
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """A stack of ``depth`` blocks and a final LayerNorm, over embedded tokens [B, T, dim]."""

    def __init__(
        self, dim: int, depth: int, heads: int, dropout: float = 0.0, causal: bool = True
    ) -> None:
        super().__init__()
        self.dim, self.depth, self.heads, self.causal = dim, depth, heads, causal
        self.blocks = nn.ModuleList(Block(dim, heads, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    def new_cache(self, batch: int, max_len: int, like: torch.Tensor) -> KVCache:
        """An empty cache for ``batch`` sequences of up to ``max_len`` positions."""
        return KVCache(
            self.depth,
            batch,
            self.heads,
            max_len,
            self.dim // self.heads,
            device=like.device,
            dtype=like.dtype,
        )

    def forward(
        self, x: torch.Tensor, key_valid: torch.Tensor, cache: KVCache | None = None
    ) -> torch.Tensor:
        """Run the stack.

        Args:
            x: [B, Q, dim] embeddings of the new positions.
            key_valid: bool [B, K] validity of every position seen so far, cached ones
                included (K = cache.length + Q; K = Q without a cache).
            cache: keys/values of earlier positions; extended in place.

        Returns:
            [B, Q, dim] normalised hidden states of the new positions.
        """
        mask = attention_mask(key_valid, x.shape[1], self.causal)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, cache, i)
        if cache is not None:
            cache.length += x.shape[1]
        return self.norm(x)

    def step_weights(self) -> list[tuple[torch.Tensor, ...]]:
        """Per block, the tensors :meth:`decode_step` reads, looked up once for a whole
        sampling loop (a module attribute lookup costs about as much as a small op here)."""
        return [
            (
                b.norm1.weight, b.norm1.bias, b.attn.qkv.weight, b.attn.qkv.bias,
                b.attn.out.weight, b.attn.out.bias, b.norm2.weight, b.norm2.bias,
                b.mlp[0].weight, b.mlp[0].bias, b.mlp[2].weight, b.mlp[2].bias,
            )
            for b in self.blocks
        ]  # fmt: skip

    def decode_step(
        self,
        x: torch.Tensor,
        key_valid: torch.Tensor,
        cache: KVCache,
        weights: list[tuple[torch.Tensor, ...]] | None = None,
    ) -> torch.Tensor:
        """One new position per row, through the cache: ``forward(x[:, None], key_valid,
        cache)[:, 0]`` for ``x`` [B, dim], computed without the module calls.

        Why: autoregressive sampling at batch 1 runs one position at a time through a small
        model, where much of the per-step cost is call overhead (module dispatch, dropout
        no-ops, the mask built from aranges, indexing), not arithmetic; this path runs the
        same operations on the same weights directly. ``weights``: :meth:`step_weights`,
        passed in by a loop that calls this many times. Inference only: in training mode
        (dropout on) it defers to :meth:`forward`.
        """
        if self.training:
            return self(x[:, None], key_valid, cache)[:, 0]
        batch, dim = x.shape
        heads, eps = self.heads, self.norm.eps
        position = cache.length
        # one query, the last position: causal = every valid key, and always itself
        mask = key_valid.clone()
        mask[:, -1] = True
        mask = mask[:, None, None]
        for i, (n1w, n1b, qkv_w, qkv_b, out_w, out_b, n2w, n2b, w1, b1, w2, b2) in enumerate(
            weights or self.step_weights()
        ):
            h = F.layer_norm(x, (dim,), n1w, n1b, eps)
            q, k, v = F.linear(h, qkv_w, qkv_b).view(batch, 3, heads, dim // heads).unbind(1)
            keys, values = cache.keys[i], cache.values[i]
            keys.select(2, position).copy_(k)
            values.select(2, position).copy_(v)
            y = F.scaled_dot_product_attention(
                q[:, :, None],
                keys.narrow(2, 0, position + 1),
                values.narrow(2, 0, position + 1),
                attn_mask=mask,
            )
            x = x + F.linear(y.view(batch, dim), out_w, out_b)
            h = F.gelu(F.linear(F.layer_norm(x, (dim,), n2w, n2b, eps), w1, b1))
            x = x + F.linear(h, w2, b2)
        cache.length += 1
        return F.layer_norm(x, (dim,), self.norm.weight, self.norm.bias, eps)
