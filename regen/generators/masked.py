"""Masked-token generator with parallel iterative decoding (MaskGIT, Chang et al. 2022).

A bidirectional transformer over a condition prefix and the Y' tokens learns to predict the
tokens hidden behind a [MASK] id. Training masks a fraction ``cos(pi/2 * u)`` of the tokens
(``u`` uniform), so every masking level the sampler visits is trained. Sampling starts from an
all-[MASK] sequence and runs ``steps`` parallel passes: each pass samples every masked
token, keeps the most confident ones and masks the rest again, so that after pass ``s``
exactly :func:`masked_after` tokens stay hidden (the cosine schedule, reaching 0 at the
last pass). A few passes replace the ``h*w`` (or ``t*h*w``) sequential steps of an
autoregressive decoder, which is where the speed comes from.

Works on any discrete Y' of fixed shape (image VQ grids, video token volumes); the order of
axes does not matter because attention is bidirectional and positions are learned.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError
from regen.generators.sampling import classifier_free_guidance
from regen.modules.condition import ConditionEncoder, random_drop, with_null_rows
from regen.modules.transformer import Transformer

if TYPE_CHECKING:  # the recipe section that configures this model (a type only)
    from regen.tasks.video.config import GeneratorConfig


def mask_ratio(progress: torch.Tensor | float) -> torch.Tensor:
    """The cosine schedule: the fraction of tokens masked at ``progress`` in [0, 1]
    (1 at the start, 0 at the end)."""
    return torch.cos(math.pi / 2 * torch.as_tensor(progress, dtype=torch.float64))


def masked_after(step: int, steps: int, length: int) -> int:
    """How many of ``length`` tokens are still masked after pass ``step`` (1-based) of
    ``steps``: ``floor(length * cos(pi/2 * step/steps))``, and at least one fewer than after
    the previous pass so every pass commits a token."""
    if not 1 <= step <= steps:
        raise ValueError(f"step {step} outside 1..{steps}")
    scheduled = math.floor(length * float(mask_ratio(step / steps)) + 1e-9)
    before = length if step == 1 else masked_after(step - 1, steps, length)
    return max(0, min(scheduled, before - 1))


class MaskedTokenGenerator(nn.Module):
    """X -> discrete Y' by parallel iterative unmasking.

    Args:
        spec: discrete Y' of fixed shape, ids in ``[0, spec.vocab_size)``.
        cfg: ``hidden``, ``depth``, ``heads``, ``dropout``, ``cond_drop_prob``,
            ``sampling_steps`` (decoding passes), ``temperature`` (token sampling),
            ``choice_temperature`` (noise on the confidences, annealed to 0, as in MaskGIT),
            ``guidance_scale`` and the condition settings.
        num_classes: number of class ids for class conditions.
    """

    trainable = True

    def __init__(self, spec: YSpec, cfg: GeneratorConfig, num_classes: int) -> None:
        super().__init__()
        if spec.kind != "discrete" or None in spec.shape:
            raise ConfigError(
                f"the masked generator needs a discrete Y' of fixed size, got {spec.describe()}"
            )
        if cfg.hidden % cfg.heads:
            raise ConfigError(f"generator.hidden {cfg.hidden} must be divisible by {cfg.heads}")
        self.spec = spec
        self.cfg = cfg
        self.length = math.prod(spec.shape)
        self.vocab_size = spec.vocab_size
        self.mask_id = spec.vocab_size  # one extra id, never predicted
        self.token_embed = nn.Embedding(spec.vocab_size + 1, cfg.hidden)
        self.position = nn.Parameter(torch.randn(self.length, cfg.hidden) * 0.02)
        self.condition = ConditionEncoder(cfg, num_classes, dim=cfg.hidden)
        self.encoder = Transformer(cfg.hidden, cfg.depth, cfg.heads, cfg.dropout, causal=False)
        self.head = nn.Linear(cfg.hidden, spec.vocab_size)

    def logits(self, tokens: torch.Tensor, x: torch.Tensor, drop: torch.Tensor | None = None):
        """Logits ``[B, L, vocab]`` for token ids ``[B, L]`` (some = mask id) given X."""
        prefix, prefix_mask = self.condition(x, drop)
        inputs = self.token_embed(tokens) + self.position
        valid = torch.cat([prefix_mask, torch.ones_like(tokens, dtype=torch.bool)], 1)
        hidden = self.encoder(torch.cat([prefix, inputs], 1), valid)
        return self.head(hidden[:, prefix.shape[1] :])

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """Cross-entropy on the masked positions of ``batch["y_prime"]`` given ``batch["x"]``.

        Mask ratios, masked positions and condition drops come from the global RNG.
        """
        y_prime = batch["y_prime"]
        self.spec.check(y_prime, "the masked generator's training data")
        targets = y_prime.reshape(len(y_prime), self.length)
        batch_size, device = targets.shape[0], targets.device
        count = (mask_ratio(torch.rand(batch_size)) * self.length).ceil().clamp(1, self.length)
        rank = torch.rand(batch_size, self.length, device=device).argsort(1).argsort(1)
        masked = rank < count.to(device)[:, None]
        inputs = torch.where(masked, self.mask_id, targets)
        drop = random_drop(batch_size, self.cfg.cond_drop_prob, device)
        logits = self.logits(inputs, batch["x"], drop)
        loss = F.cross_entropy(logits[masked].float(), targets[masked])
        accuracy = (logits[masked].argmax(-1) == targets[masked]).float().mean().item()
        return loss, {"cross_entropy": loss.item(), "masked_accuracy": accuracy}

    @torch.no_grad()
    def sample(
        self,
        x: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        steps: int | None = None,
        temperature: float | None = None,
        guidance_scale: float | None = None,
        choice_temperature: float | None = None,
        on_step: object | None = None,
    ) -> torch.Tensor:
        """Sample Y' ``[B, *spec.shape]`` int64 in ``steps`` parallel passes.

        Args:
            x: conditions, see :class:`ConditionEncoder`.
            generator: seeds every draw (tokens and confidence noise).
            steps: decoding passes (default ``cfg.sampling_steps``), at most the length.
            temperature: token sampling temperature (0 = argmax).
            guidance_scale: classifier-free guidance on the logits (1 disables it).
            choice_temperature: Gumbel noise scale on the confidences, times (1 - s/steps).
            on_step: called as ``on_step(masked_count)`` after each pass (tests, progress).
        """
        cfg = self.cfg
        steps = min(steps or cfg.sampling_steps, self.length)
        temperature = cfg.temperature if temperature is None else temperature
        scale = cfg.guidance_scale if guidance_scale is None else guidance_scale
        noise = cfg.choice_temperature if choice_temperature is None else choice_temperature
        device = self.position.device
        x = x.to(device)
        batch = x.shape[0]
        rows_x, drop = (x, None) if scale == 1.0 else with_null_rows(x)
        tokens = torch.full((batch, self.length), self.mask_id, dtype=torch.long, device=device)
        for step in range(1, steps + 1):
            unknown = tokens == self.mask_id
            inputs = tokens if scale == 1.0 else torch.cat([tokens, tokens])
            logits = self.logits(inputs, rows_x, drop).float()
            if scale != 1.0:
                logits = classifier_free_guidance(*logits.chunk(2), scale)
            probs = logits.softmax(-1)
            if temperature > 0:
                sampled = torch.multinomial(
                    (logits / temperature).softmax(-1).view(-1, self.vocab_size),
                    1,
                    generator=generator,
                ).view(batch, self.length)
            else:
                sampled = logits.argmax(-1)
            confidence = probs.gather(-1, sampled[..., None])[..., 0].clamp_min(1e-12).log()
            if noise > 0:
                uniform = torch.rand(confidence.shape, generator=generator).to(device)
                gumbel = -torch.log(-torch.log(uniform.clamp(1e-12, 1 - 1e-12)))
                confidence = confidence + noise * (1 - step / steps) * gumbel
            confidence = torch.where(unknown, confidence, torch.inf)  # known tokens stay
            tokens = torch.where(unknown, sampled, tokens)
            keep_masked = masked_after(step, steps, self.length)
            if keep_masked:
                remask = confidence.argsort(1)[:, :keep_masked]
                tokens.scatter_(1, remask, self.mask_id)
            if on_step is not None:
                on_step(int((tokens == self.mask_id).sum(1).max()))
        return tokens.view(batch, *self.spec.shape)
