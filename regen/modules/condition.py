"""Condition encoder: X (class id, caption bytes or words, sentence embedding) -> vectors.

Generators consume X in one of two forms: a sequence of condition tokens (the prefix of the
autoregressive decoder) or one pooled vector (added to the diffusion UNet's time
embedding). A learned null condition stands in for X when it is dropped, which is what
classifier-free guidance needs: the same network then predicts with and without X.

The four forms of X, picked by ``cfg.condition`` and ``cfg.text_encoder``:

- class: int64 [B], ids in ``[0, num_classes)``;
- text, learned encoder: int64 [B, L] utf-8 bytes + 1 (0 = padding), L <= 128; encoded by
  a 2-layer transformer over byte embeddings so unseen captions still encode sensibly;
- text, words encoder: int64 [B, W, 2] hashed word ids (:mod:`regen.data.caption_words`),
  W <= 64; the two ids' embeddings are summed, then the same 2-layer transformer;
- text, minilm: float [B, 384] frozen sentence embeddings computed outside; projected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from regen.data.caption_words import WORD_VOCAB_SIZE
from regen.data.text import TEXT_VOCAB_SIZE
from regen.errors import ConfigError, DataError
from regen.modules.transformer import Transformer

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.image.config import GeneratorConfig

MAX_CAPTION_BYTES = 128
"""Longest caption (in bytes) the learned text encoder accepts."""
MAX_CAPTION_WORDS = 64
"""Longest caption (in words) the words text encoder accepts."""
MINILM_DIM = 384
"""Width of all-MiniLM-L6-v2 sentence embeddings."""
TEXT_ENCODER_LAYERS = 2
POOLS = ("mean", "attention")
"""How :meth:`ConditionEncoder.pooled` makes one vector of the condition tokens."""
POOL_QUERIES = 4


class AttentionPool(nn.Module):
    """Pool tokens [B, L, dim] (mask bool [B, L], False = padding) to [B, dim]: a few learned
    queries attend over the tokens, their outputs are concatenated and projected.

    Why: the masked mean of a caption's byte tokens barely moves when a few bytes change
    (captions that differ in one word pool to nearly the same vector); learned queries can
    weight the positions that tell captions apart.
    """

    def __init__(self, dim: int, heads: int, queries: int = POOL_QUERIES) -> None:
        super().__init__()
        # unit-scale queries so that attention is not uniform (= the mean) at init
        self.queries = nn.Parameter(torch.randn(queries, dim))
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.project = nn.Linear(queries * dim, dim)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        queries = self.queries.expand(tokens.shape[0], -1, -1)
        out, _ = self.attention(queries, tokens, tokens, key_padding_mask=~mask, need_weights=False)
        return self.project(out.flatten(1))


def random_drop(
    batch_size: int, prob: float, device: torch.device, generator: torch.Generator | None = None
) -> torch.Tensor:
    """bool [B]: which rows to replace by the null condition (each with probability ``prob``)."""
    if prob <= 0:
        return torch.zeros(batch_size, dtype=torch.bool, device=device)
    gen_device = generator.device if generator is not None else device
    return (torch.rand(batch_size, generator=generator, device=gen_device) < prob).to(device)


def with_null_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For classifier-free guidance: ``x`` twice ([2B, ...]) and drop (bool [2B]), True on
    the second copy, so one batched pass gives conditional rows then unconditional rows."""
    batch = x.shape[0]
    return torch.cat([x, x]), torch.arange(2 * batch, device=x.device) >= batch


class ConditionEncoder(nn.Module):
    """Encode X as condition tokens and as a pooled vector of width ``dim``.

    Args:
        cfg: generator config; ``condition`` and ``text_encoder`` pick the form of X,
            ``hidden``/``heads``/``dropout`` size the byte-level text encoder.
        num_classes: number of class ids (used when ``cfg.condition == "class"``).
        dim: width of the returned tokens and pooled vector.
        pool: how :meth:`pooled` makes one vector, mean | attention (only the diffusion
            generator, which reads the pooled vector, sets it).
    """

    def __init__(
        self, cfg: GeneratorConfig, num_classes: int, dim: int, *, pool: str = "mean"
    ) -> None:
        super().__init__()
        if cfg.condition == "class":
            self.kind = "class"
            self.embed = nn.Embedding(num_classes, dim)
        elif cfg.condition == "text" and cfg.text_encoder == "learned":
            self.kind = "bytes"
            self.byte_embed = nn.Embedding(TEXT_VOCAB_SIZE, cfg.hidden, padding_idx=0)
            self._add_text_encoder(cfg, dim, MAX_CAPTION_BYTES)
        elif cfg.condition == "text" and cfg.text_encoder == "words":
            self.kind = "words"
            self.word_embed = nn.Embedding(WORD_VOCAB_SIZE, cfg.hidden, padding_idx=0)
            self._add_text_encoder(cfg, dim, MAX_CAPTION_WORDS)
        elif cfg.condition == "text" and cfg.text_encoder == "minilm":
            self.kind = "minilm"
            self.project = nn.Linear(MINILM_DIM, dim)
        else:
            raise ConfigError(
                f"unknown condition {cfg.condition!r} with text encoder {cfg.text_encoder!r}; "
                "use condition class, or text with text_encoder learned, words or minilm"
            )
        self.num_classes = num_classes
        self.dim = dim
        if pool not in POOLS:
            raise ConfigError(f"unknown generator.pool {pool!r}; use one of {', '.join(POOLS)}")
        # mean has no parameters, so configs without the option keep their state_dict keys
        self.attention_pool = AttentionPool(dim, cfg.heads) if pool == "attention" else None
        # Same scale as nn.Embedding's N(0, 1) init, so "no condition" starts as a peer of a
        # real one rather than a near-zero special case.
        self.null = nn.Parameter(torch.randn(dim))

    def _add_text_encoder(self, cfg: GeneratorConfig, dim: int, max_tokens: int) -> None:
        """Positions, transformer and projection shared by the byte and word encoders, made
        after the token embedding (that order fixes the initial weights of a seed)."""
        self.position = nn.Parameter(torch.randn(max_tokens, cfg.hidden) * 0.02)
        self.encoder = Transformer(
            cfg.hidden, TEXT_ENCODER_LAYERS, cfg.heads, cfg.dropout, causal=False
        )
        self.project = nn.Linear(cfg.hidden, dim)

    def check(self, x: torch.Tensor) -> None:
        """Raise DataError unless ``x`` has the dtype/shape of the configured condition."""
        if not isinstance(x, torch.Tensor):
            raise DataError(f"condition x must be a torch.Tensor, got {type(x).__name__}")
        got = f"{str(x.dtype).removeprefix('torch.')} {list(x.shape)}"
        if self.kind == "class":
            if x.dtype != torch.int64 or x.dim() != 1:
                raise DataError(f"class condition must be int64 [B] class ids, got {got}")
            if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.num_classes):
                raise DataError(
                    f"class ids in [{int(x.min())}, {int(x.max())}] outside "
                    f"[0, {self.num_classes}); check the dataset's num_classes"
                )
        elif self.kind == "bytes":
            if x.dtype != torch.int64 or x.dim() != 2:
                raise DataError(
                    f"text condition must be int64 [B, L] byte tokens (encode_captions), got {got}"
                )
            if x.shape[1] > MAX_CAPTION_BYTES:
                raise DataError(
                    f"captions of {x.shape[1]} bytes exceed the text encoder's "
                    f"{MAX_CAPTION_BYTES}; truncate them when encoding"
                )
            if x.numel() and (int(x.min()) < 0 or int(x.max()) >= TEXT_VOCAB_SIZE):
                raise DataError(
                    f"byte tokens must lie in [0, {TEXT_VOCAB_SIZE}) (utf-8 byte + 1, 0 = padding)"
                )
        elif self.kind == "words":
            if x.dtype != torch.int64 or x.dim() != 3 or x.shape[2] != 2:
                raise DataError(
                    "words text condition must be int64 [B, W, 2] hashed word ids "
                    f"(encode_caption_words), got {got}"
                )
            if x.shape[1] > MAX_CAPTION_WORDS:
                raise DataError(
                    f"captions of {x.shape[1]} words exceed the text encoder's "
                    f"{MAX_CAPTION_WORDS}; cut them when encoding"
                )
            if x.numel() and (int(x.min()) < 0 or int(x.max()) >= WORD_VOCAB_SIZE):
                raise DataError(f"word ids must lie in [0, {WORD_VOCAB_SIZE}) (0 = padding)")
        elif not x.is_floating_point() or x.dim() != 2 or x.shape[1] != MINILM_DIM:
            raise DataError(
                f"minilm text condition must be float [B, {MINILM_DIM}] sentence embeddings, "
                f"got {got}; set generator.text_encoder: learned to pass byte tokens instead"
            )

    def forward(
        self, x: torch.Tensor, drop: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Condition tokens.

        Args:
            x: the condition batch (see module docstring).
            drop: optional bool [B]; True rows become the null condition.

        Returns:
            tokens [B, L, dim] and mask bool [B, L] (False = padding). L is 1 for class and
            minilm conditions and the caption length for byte or word tokens; a null row is the
            null vector at position 0 followed by padding.
        """
        self.check(x)
        if self.kind == "class":
            tokens = self.embed(x)[:, None]
            mask = torch.ones(x.shape[0], 1, dtype=torch.bool, device=x.device)
        elif self.kind == "minilm":
            tokens = self.project(x.to(self.project.weight.dtype))[:, None]
            mask = torch.ones(x.shape[0], 1, dtype=torch.bool, device=x.device)
        else:
            if self.kind == "words":  # a word's two hashed ids: their embeddings summed
                mask, h = x[..., 0] != 0, self.word_embed(x).sum(2)
            else:
                mask, h = x != 0, self.byte_embed(x)
            tokens = self.project(self.encoder(h + self.position[: x.shape[1]], mask))
        if drop is None:
            return tokens, mask
        null_tokens = torch.zeros_like(tokens[0])
        null_tokens[0] = self.null
        null_mask = torch.zeros_like(mask[0])
        null_mask[0] = True
        tokens = torch.where(drop[:, None, None], null_tokens, tokens)
        mask = torch.where(drop[:, None], null_mask, mask)
        return tokens, mask

    def pooled(self, x: torch.Tensor, drop: torch.Tensor | None = None) -> torch.Tensor:
        """One vector per item, [B, dim]: the masked mean of the condition tokens, or their
        attention pool (``pool="attention"``)."""
        return self.pool(*self(x, drop))

    def pool(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """[B, dim] from the tokens and mask of :meth:`forward` (see :meth:`pooled`)."""
        if self.attention_pool is not None:
            return self.attention_pool(tokens, mask)
        weights = mask.to(tokens.dtype)[..., None]
        return (tokens * weights).sum(1) / weights.sum(1).clamp(min=1.0)
