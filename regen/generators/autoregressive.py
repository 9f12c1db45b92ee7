"""Autoregressive generator for discrete Y': a GPT decoder over a condition prefix (DALL-E 1).

Y' of shape (h, w) is read in raster order; Y' of shape (levels, h, w) (residual VQ codes)
is read position-major, all levels of one position before the next position, so the coarse
code of a position is generated just before its residuals. The sequence the decoder sees is

    [condition tokens (1 for a class or sentence embedding, L for caption bytes)] [BOS] y_0 ... y_{T-2}

and position P + i predicts y_i. Token positions get learned embeddings counted from BOS, so
they do not depend on how long the (padded) condition is. Sampling feeds one token per
forward through a key/value cache, with temperature, top-k, top-p and optional
classifier-free guidance against a learned null prefix.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError
from regen.generators.sampling import classifier_free_guidance, sample_token
from regen.modules.condition import ConditionEncoder, random_drop, with_null_rows
from regen.modules.transformer import Transformer

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.image.config import GeneratorConfig


class AutoregressiveGenerator(nn.Module):
    """X -> discrete Y' token by token.

    Args:
        spec: the Y' to produce: discrete, shape (h, w) or (levels, h, w), ids in
            ``[0, spec.vocab_size)``.
        cfg: generator config (``hidden``, ``depth`` layers, ``heads``, ``dropout``,
            ``cond_drop_prob``, ``temperature``, ``top_k``, ``top_p``, ``guidance_scale``,
            and the condition settings).
        num_classes: number of class ids for class conditions.
        leading_levels: a 3-D Y' is (levels, h, w) residual codes, read position-major
            (the default); False reads it as a plain grid (t, h, w video tokens) in raster
            order, frame after frame.
    """

    trainable = True

    def __init__(
        self, spec: YSpec, cfg: GeneratorConfig, num_classes: int, leading_levels: bool = True
    ) -> None:
        super().__init__()
        if spec.kind != "discrete" or len(spec.shape) not in (2, 3) or None in spec.shape:
            raise ConfigError(
                f"the autoregressive generator needs a discrete (h, w) or (levels, h, w) Y' "
                f"of fixed size, got {spec.describe()}; use generator.kind: diffusion instead"
            )
        if cfg.hidden % cfg.heads:
            raise ConfigError(
                f"generator.hidden {cfg.hidden} must be divisible by heads {cfg.heads}"
            )
        self.spec = spec
        self.cfg = cfg
        self.leading_levels = leading_levels and len(spec.shape) == 3
        self.length = math.prod(spec.shape)
        self.vocab_size = spec.vocab_size
        self.bos = spec.vocab_size  # one extra id, never predicted
        self.token_embed = nn.Embedding(spec.vocab_size + 1, cfg.hidden)
        self.position = nn.Parameter(torch.randn(self.length, cfg.hidden) * 0.02)
        self.condition = ConditionEncoder(cfg, num_classes, dim=cfg.hidden)
        self.decoder = Transformer(cfg.hidden, cfg.depth, cfg.heads, cfg.dropout, causal=True)
        self.head = nn.Linear(cfg.hidden, spec.vocab_size)

    def to_sequence(self, y_prime: torch.Tensor) -> torch.Tensor:
        """[B, *spec.shape] -> [B, T] in generation order (position-major for levels)."""
        if self.leading_levels:
            y_prime = y_prime.permute(0, 2, 3, 1)
        return y_prime.reshape(y_prime.shape[0], self.length)

    def from_sequence(self, tokens: torch.Tensor) -> torch.Tensor:
        """[B, T] -> [B, *spec.shape]; inverse of :meth:`to_sequence`."""
        if self.leading_levels:
            levels, height, width = self.spec.shape
            return tokens.reshape(-1, height, width, levels).permute(0, 3, 1, 2).contiguous()
        return tokens.reshape(-1, *self.spec.shape)

    def embed(self, tokens: torch.Tensor, start: int) -> torch.Tensor:
        """Token ids [B, n] at sequence positions ``start..start+n-1`` (BOS = 0) -> [B, n, D]."""
        return self.token_embed(tokens) + self.position[start : start + tokens.shape[1]]

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """Next-token cross-entropy on ``batch["y_prime"]`` given ``batch["x"]``.

        Condition drops for guidance come from the global RNG (the training loop seeds it).
        """
        y_prime = batch["y_prime"]
        self.spec.check(y_prime, "the autoregressive generator's training data")
        targets = self.to_sequence(y_prime)
        batch_size = targets.shape[0]
        drop = random_drop(batch_size, self.cfg.cond_drop_prob, targets.device)
        prefix, prefix_mask = self.condition(batch["x"], drop)
        bos = torch.full((batch_size, 1), self.bos, dtype=targets.dtype, device=targets.device)
        inputs = self.embed(torch.cat([bos, targets[:, :-1]], 1), 0)
        key_valid = torch.cat([prefix_mask, torch.ones_like(targets, dtype=torch.bool)], 1)
        hidden = self.decoder(torch.cat([prefix, inputs], 1), key_valid)
        logits = self.head(hidden[:, prefix.shape[1] :])
        loss = F.cross_entropy(logits.reshape(-1, self.vocab_size).float(), targets.reshape(-1))
        accuracy = (logits.argmax(-1) == targets).float().mean().item()
        return loss, {"cross_entropy": loss.item(), "token_accuracy": accuracy}

    @torch.no_grad()
    def sample(
        self,
        x: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        temperature: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        guidance_scale: float | None = None,
        use_cache: bool = True,
    ) -> torch.Tensor:
        """Sample Y' [B, *spec.shape] int64 for the conditions ``x`` (B items).

        Args:
            x: conditions, see :class:`ConditionEncoder`.
            generator: seeds every token draw.
            temperature: 0 is greedy; default ``cfg.temperature``.
            top_k: keep the k most likely tokens (0 = all); default ``cfg.top_k``.
            top_p: nucleus mass in (0, 1]; default ``cfg.top_p``.
            guidance_scale: classifier-free guidance on the logits (1 disables it and
                halves the cost); default ``cfg.guidance_scale``.
            use_cache: reuse keys/values (one token per forward). False recomputes the
                whole sequence every step: the same result, slower; kept as the reference.
        """
        cfg = self.cfg
        scale = cfg.guidance_scale if guidance_scale is None else guidance_scale
        options = {
            "temperature": cfg.temperature if temperature is None else temperature,
            "top_k": cfg.top_k if top_k is None else top_k,
            "top_p": cfg.top_p if top_p is None else top_p,
            "generator": generator,
        }
        device = self.position.device
        x = x.to(device)
        batch = x.shape[0]
        if scale == 1.0:
            prefix, prefix_mask = self.condition(x)
        else:
            prefix, prefix_mask = self.condition(*with_null_rows(x))
        rows, prefix_len = prefix_mask.shape
        # inputs[:, 0] is BOS; inputs[:, i + 1] receives the i-th sampled token.
        inputs = torch.full((rows, self.length + 1), self.bos, dtype=torch.long, device=device)
        key_valid = torch.cat([prefix_mask, prefix_mask.new_ones(rows, self.length)], 1)
        cache = None
        if use_cache:
            cache = self.decoder.new_cache(rows, prefix_len + self.length, prefix)
            sequence = torch.cat([prefix, self.embed(inputs[:, :1], 0)], 1)
            hidden = self.decoder(sequence, key_valid[:, : prefix_len + 1], cache)[:, -1]
        for i in range(self.length):
            if cache is None:
                sequence = torch.cat([prefix, self.embed(inputs[:, : i + 1], 0)], 1)
                hidden = self.decoder(sequence, key_valid[:, : prefix_len + i + 1])[:, -1]
            logits = self.head(hidden)
            if scale != 1.0:
                logits = classifier_free_guidance(*logits.chunk(2), scale)
            token = sample_token(logits, **options).repeat(rows // batch)
            inputs[:, i + 1] = token
            if cache is not None and i + 1 < self.length:
                step = self.embed(token[:, None], i + 1)
                hidden = self.decoder(step, key_valid[:, : prefix_len + i + 2], cache)[:, -1]
        return self.from_sequence(inputs[:batch, 1:])
