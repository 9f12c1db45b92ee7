"""A caption-conditioned language model over multi-codebook codes (the MusicGen recipe).

    caption bytes ─ConditionEncoder (byte transformer, trained here)─▶ prefix [B, L, d]
    codes [B, Q, F] ─pattern (delay: level q shifted by q)─▶ steps [B, S, J]
    sequence:  [prefix] [step 0 input] ... [step S-1 input]      (causal transformer)
    input of step s = Σ_j E[level, token of step s-1, slot j] + E_target[levels of step s]
                      + sinusoid(s)                           (step 0 reads the BOS tokens)
    output of step s: logits per slot from the head of that slot's level

With the delay pattern one step emits all Q levels of a frame, staggered (MusicGen: one step
per frame); flattening (one code per step, Q times the steps) is the exact-autoregression
ablation. Positions are sinusoidal, so any number of frames can be sampled (beyond the
training clip length the model extrapolates). The caption is dropped for ``cond_drop_prob``
of the training rows in favour of a learned null condition, so sampling can apply
classifier-free guidance: conditional and unconditional rows run as one batch through a
key/value cache, one forward per step; codes are drawn with temperature and top-k.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from regen.contracts import LossOutput, X, XBatch, YSpec
from regen.generators.code_patterns import PATTERNS
from regen.generators.sampling import classifier_free_guidance, sample_token
from regen.modules.condition import ConditionEncoder, random_drop, with_null_rows
from regen.modules.transformer import Transformer


def sinusoid(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """[N] positions -> [N, dim] sin/cos features (Vaswani et al.), any position."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device) / half)
    angles = positions.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], 1)


def trim_captions(x: torch.Tensor) -> torch.Tensor:
    """Caption tokens [B, L] (bytes) or [B, L, 2] (hashed words) without the padding
    positions every row has (right padding): the same encoding, as padding is masked, for a
    fraction of the attention and MLP work."""
    real = (x != 0).reshape(len(x), x.shape[1], -1).any(-1) if x.dim() > 1 else x != 0
    longest = int(real.sum(1).max()) if x.numel() else 0
    return x[:, : max(1, longest)]


class CaptionCodeLM(nn.Module):
    """X (caption tokens: bytes [B, L] or hashed words [B, L, 2]) -> Y' = codes int64
    [B, Q, F] in [0, K).

    Args:
        spec: discrete Y' of shape (Q, None).
        cfg: ``hidden``, ``depth``, ``heads``, ``dropout``, ``pattern`` (delay | flatten),
            ``caption_sum``, ``input_noise``, ``cond_drop_prob``, ``guidance_scale``,
            ``temperature``, ``top_k`` and the
            condition fields of :class:`~regen.modules.condition.ConditionEncoder`.
        frames: frames sampled when ``sample`` is not told (the training clip length).
    """

    trainable = True

    def __init__(self, spec: YSpec, cfg: Any, frames: int) -> None:
        super().__init__()
        self.spec, self.cfg, self.frames = spec, cfg, frames
        self.levels, self.size = spec.shape[0], spec.vocab_size
        self.pattern = PATTERNS[cfg.pattern](self.levels)
        self.pad, self.bos = self.size, self.size + 1  # input ids only, never predicted
        dim = cfg.hidden
        self.condition = ConditionEncoder(cfg, 0, dim=dim)
        # caption_sum: the pooled caption also added to every step's input, a direct path
        # besides attention to the prefix (absent from the state_dict when off, so runs saved
        # before the option load unchanged)
        self.caption_sum = nn.Linear(dim, dim) if cfg.caption_sum else None
        self.code_in = nn.Embedding(self.levels * (self.size + 2), dim)
        self.target_level = nn.Embedding(self.levels, dim)
        self.decoder = Transformer(dim, cfg.depth, cfg.heads, cfg.dropout, causal=True)
        self.head_weight = nn.Parameter(torch.randn(self.levels, dim, self.size) * dim**-0.5)
        self.head_bias = nn.Parameter(torch.zeros(self.levels, self.size))

    # --- teacher forcing -------------------------------------------------------------

    def step_inputs(
        self, previous: torch.Tensor, level: torch.Tensor, first_step: int
    ) -> torch.Tensor:
        """Embeddings [B, n, d] of steps ``first_step .. first_step + n - 1``.

        ``previous`` [B, n, J] holds the tokens of the step before each (BOS before step 0);
        ``level`` [S, J] is the pattern's level of every slot.
        """
        n = previous.shape[1]
        steps = torch.arange(first_step, first_step + n, device=previous.device)
        in_level = level[(steps - 1).clamp_min(0)]  # levels of the tokens read
        codes = self.code_in(in_level * (self.size + 2) + previous).sum(2)
        target = self.target_level(level[steps]).sum(1)
        return codes + target + sinusoid(steps, codes.shape[-1])

    def caption_bias(self, prefix: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """[B, 1, d] added to every step input: the projected masked mean of the caption
        tokens with ``caption_sum`` on (a null row pools to its null vector), else 0."""
        if self.caption_sum is None:
            return prefix.new_zeros(len(prefix), 1, prefix.shape[-1])
        return self.caption_sum(self.condition.pool(prefix, mask))[:, None]

    def corrupt(self, read: torch.Tensor) -> torch.Tensor:
        """The tokens the steps read [B, S, J], each real code replaced by a random one with
        probability ``input_noise`` (training only; padding stays).

        Why: the codes of a looping melody predict the next codes so well that teacher
        forcing rewards the caption only on the first few frames, and the LM learns to ignore
        it (its code cross-entropy is the same with another clip's caption); a noisy history
        makes what the caption says worth predicting from at every step.
        """
        prob = self.cfg.input_noise
        if prob <= 0 or not self.training:
            return read
        noisy = (torch.rand(read.shape, device=read.device) < prob) & (read < self.size)
        return torch.where(noisy, torch.randint_like(read, self.size), read)

    def logits(self, hidden: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
        """Hidden states [B, n, d] of steps with slot levels [n, J] -> logits [B, n, J, K]."""
        every = torch.einsum("bnd,qdk->bnqk", hidden, self.head_weight) + self.head_bias
        if self.pattern.slots == self.levels:  # delay: slot j is level j at every step
            return every
        index = level[None, :, :, None].expand(len(hidden), -1, -1, self.size)
        return every.gather(2, index)

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """``x``: caption bytes [B, L]; ``y_prime``: codes [B, Q, F]."""
        x, codes = trim_captions(batch["x"]), batch["y_prime"]
        level, frame = (t.to(codes.device) for t in self.pattern.layout(codes.shape[-1]))
        tokens = self.pattern.build(codes, self.pad)  # [B, S, J]
        bos = torch.full_like(tokens[:, :1], self.bos)
        read = self.corrupt(tokens[:, :-1])
        inputs = self.step_inputs(torch.cat([bos, read], 1), level, 0)
        drop = random_drop(len(x), self.cfg.cond_drop_prob, x.device)
        prefix, mask = self.condition(x, drop)
        inputs = inputs + self.caption_bias(prefix, mask)
        valid = torch.cat(
            [mask, torch.ones(inputs.shape[:2], dtype=torch.bool, device=x.device)], 1
        )
        hidden = self.decoder(torch.cat([prefix, inputs], 1), valid)[:, prefix.shape[1] :]
        logits = self.logits(hidden, level)  # [B, S, J, K]
        real = (frame >= 0)[None].expand(len(x), -1, -1)
        ce = F.cross_entropy(logits[real].float(), tokens[real])
        accuracy = (logits[real].argmax(-1) == tokens[real]).float().mean()
        return ce, {"code_ce": float(ce.detach()), "code_accuracy": float(accuracy)}

    # --- generation --------------------------------------------------------------------

    @torch.no_grad()
    def sample(
        self,
        x: X,
        *,
        generator: torch.Generator | None = None,
        frames: int | None = None,
        guidance_scale: float | None = None,
        temperature: float | None = None,
        top_k: int | None = None,
        use_cache: bool = True,
        **_: Any,
    ) -> torch.Tensor:
        """Codes [B, Q, frames] for caption bytes ``x`` [B, L].

        ``guidance_scale`` 1 is plain conditional sampling, 0 unconditional; ``temperature``
        0 is greedy. ``use_cache=False`` recomputes the whole sequence at every step: the
        same result in O(S^2) instead of O(S) work, the reference the cache is tested against.
        """
        cfg = self.cfg
        scale = cfg.guidance_scale if guidance_scale is None else guidance_scale
        temperature = cfg.temperature if temperature is None else temperature
        top_k = cfg.top_k if top_k is None else top_k
        frames = self.frames if frames is None else frames
        x = trim_captions(XBatch.of(x).x)
        batch = len(x)
        if generator is None:  # repeatable without an explicit seed
            generator = torch.Generator().manual_seed(0)
        guided = scale != 1.0
        rows, drop = with_null_rows(x) if guided else (x, None)
        prefix, mask = self.condition(rows, drop)
        level, frame = (t.to(x.device) for t in self.pattern.layout(frames))
        steps = len(level)
        tokens = torch.full((batch, steps, self.pattern.slots), self.pad, device=x.device)
        previous = torch.full((len(rows), 1, self.pattern.slots), self.bos, device=x.device)
        if use_cache:
            return self._sample_cached(
                prefix, mask, level, frame, tokens, previous, guided, scale, temperature, top_k,
                generator, frames,
            )  # fmt: skip
        bias = self.caption_bias(prefix, mask)
        history = [prefix, self.step_inputs(previous, level, 0) + bias]  # every input so far
        valid = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
        for s in range(steps):
            hidden = self.decoder(torch.cat(history, 1), valid)[:, -1]
            logits = self.logits(hidden[:, None], level[s : s + 1])[:, 0]  # [rows, J, K]
            if guided:
                logits = classifier_free_guidance(logits[:batch], logits[batch:], scale)
            drawn = sample_token(
                logits.flatten(0, 1), temperature=temperature, top_k=top_k, generator=generator
            ).view(batch, -1)
            drawn = torch.where(frame[s] >= 0, drawn, torch.full_like(drawn, self.pad))
            tokens[:, s] = drawn
            if s + 1 == steps:
                break
            previous = (torch.cat([drawn, drawn]) if guided else drawn)[:, None]
            history.append(self.step_inputs(previous, level, s + 1) + bias)
            valid = torch.cat([valid, torch.ones_like(valid[:, :1])], 1)
        return self.pattern.undo(tokens, frames).long()

    def _sample_cached(
        self,
        prefix: torch.Tensor,
        mask: torch.Tensor,
        level: torch.Tensor,
        frame: torch.Tensor,
        tokens: torch.Tensor,
        previous: torch.Tensor,
        guided: bool,
        scale: float,
        temperature: float,
        top_k: int,
        generator: torch.Generator,
        frames: int,
    ) -> torch.Tensor:
        """The KV-cache decode loop of :meth:`sample`: one position per step.

        Batch-1 generation is bound by per-step overhead (a step of this small model is a
        few hundred microseconds of arithmetic), so whatever does not depend on the drawn
        codes is computed once for all steps: the target-level and position embeddings, the
        code-embedding offsets of every step's input levels, and the validity mask.
        """
        batch, rows, steps = len(tokens), len(prefix), len(level)
        device = prefix.device
        every = torch.arange(steps, device=device)
        # step_inputs, split: the part that is fixed per step, and the read tokens' offsets
        fixed = self.target_level(level).sum(1) + sinusoid(every, prefix.shape[-1])
        bias = self.caption_bias(prefix, mask)[:, 0]  # [rows, d]
        offset = level[(every - 1).clamp_min(0)] * (self.size + 2)  # [S, J]
        valid = torch.cat([mask, torch.ones(rows, steps, dtype=torch.bool, device=device)], 1)
        width = prefix.shape[1]
        delay = self.pattern.slots == self.levels  # slot j is level j at every step
        cache = self.decoder.new_cache(rows, width + steps, like=prefix)
        first = self.code_in(offset[0] + previous).sum(2) + fixed[0] + bias[:, None]
        pending = torch.cat([prefix, first], 1)
        pad = torch.full((batch, self.pattern.slots), self.pad, device=device)
        weights = self.decoder.step_weights()
        for s in range(steps):
            if s == 0:  # the prefix and the first step in one pass
                hidden = self.decoder(pending, valid[:, : width + 1], cache)[:, -1]
            else:
                hidden = self.decoder.decode_step(
                    pending, valid[:, : width + s + 1], cache, weights
                )
            if delay:  # every level's head on the one new position: [rows, Q, K]
                logits = torch.baddbmm(
                    self.head_bias[:, None], hidden[None].expand(self.levels, -1, -1),
                    self.head_weight,
                ).transpose(0, 1)  # fmt: skip
            else:
                logits = self.logits(hidden[:, None], level[s : s + 1])[:, 0]
            if guided:
                logits = classifier_free_guidance(logits[:batch], logits[batch:], scale)
            drawn = sample_token(
                logits.flatten(0, 1), temperature=temperature, top_k=top_k, generator=generator
            ).view(batch, -1)
            drawn = torch.where(frame[s] >= 0, drawn, pad)
            tokens[:, s] = drawn
            if s + 1 == steps:
                break
            read = torch.cat([drawn, drawn]) if guided else drawn
            pending = self.code_in(offset[s + 1] + read).sum(1) + fixed[s + 1] + bias
        return self.pattern.undo(tokens, frames).long()
