"""Autoregressive generator over discrete speech codes (VALL-E / RQ-Transformer family).

    phoneme ids [B, L] ─TextToFrames (encoder, variance adaptor, length regulator)─▶
        aligned frame states s [B, F, D]       (F known from the duration predictor)
    frame transformer (causal, window W):  input_t = proj(s_t) + Σ_q E_in[q, c_{t-1,q}]
        ─▶ h_t [B, F, d]                       (frame t sees the codes of frames < t only)
    depth head (coarse to fine):  logits_{t,q} = W_q · MLP(h_t + e_q + Σ_{j<q} E_depth[j, c_{t,j}])
        ─▶ codes [B, Q, F] in [0, K)

The trunk is the one of :class:`~regen.generators.fastspeech_codes.FastSpeechCodeGenerator`
(the non-autoregressive counterpart, which predicts every frame and level independently),
so the two differ only in what a code may depend on: here frame t's codes depend on all
earlier codes (within the last W frames), and level q of a frame on that frame's levels < q,
as in the RQ-Transformer's depth transformer (reduced to summed level embeddings feeding a
shared MLP and one classifier per level: Q is small).

Training is teacher forcing: cross-entropy per level on the true codes, masked to valid
frames; the previous frames' input codes are corrupted at rate ``ar_code_noise`` (a cheap
guard against exposure bias, the model seeing only true pasts in training). Generation is one frame per step through a ring-buffer key/value cache
(:mod:`regen.modules.window_cache`), so a frame costs the same at 0.1 s and at 30 s; within a
frame the Q levels are drawn in turn with ``temperature`` and ``top_k``
(:func:`draw`, Gumbel-max; temperature 0 is greedy). Without an
explicit ``torch.Generator`` sampling uses one seeded with 0, so synthesis is repeatable.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from regen.contracts import LossOutput, X, YSpec
from regen.generators.fastspeech import TextToFrames, phonemes_and_speakers
from regen.modules.transformer import Transformer
from regen.modules.window_cache import RingKVCache, run_windowed, step_blocks


def level_scores(
    logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy (nats) and accuracy per level over valid frames.

    Args:
        logits: [B, F, Q, K]; target: int64 [B, F, Q]; valid: bool [B, F].

    Returns:
        ``(ce, accuracy)``, each [Q].
    """
    ce = F.cross_entropy(logits.flatten(0, 2).float(), target.flatten(), reduction="none")
    weight = valid[..., None].to(ce.dtype).expand_as(target)
    count = weight.sum((0, 1)).clamp_min(1)
    ce = (ce.view_as(target) * weight).sum((0, 1)) / count
    accuracy = ((logits.argmax(-1) == target).to(ce.dtype) * weight).sum((0, 1)) / count
    return ce, accuracy


class AutoregressiveCodeGenerator(nn.Module):
    """X (phoneme ids) -> Y' = code ids [B, Q, F] in [0, K), one frame at a time."""

    trainable = True

    def __init__(self, spec: YSpec, cfg, vocab_size: int, num_speakers: int) -> None:
        super().__init__()
        self.spec, self.cfg = spec, cfg
        self.levels, self.codebook_size = spec.shape[0], spec.vocab_size
        levels, size, dim = self.levels, self.codebook_size, cfg.ar_dim
        self.trunk = TextToFrames(cfg, vocab_size, num_speakers)
        self.text_in = nn.Linear(cfg.dim, dim)
        # code (q, k) has row q * K + k; the last row is "before the first frame"
        self.code_in = nn.Embedding(levels * size + 1, dim)
        self.decoder = Transformer(dim, cfg.ar_layers, cfg.ar_heads, cfg.dropout, causal=True)
        self.depth_in = nn.Embedding(levels * size, dim)
        self.level = nn.Parameter(torch.zeros(levels, dim))
        # tanh GELU: a third of the exact one's cost, and it runs Q times per generated frame
        self.depth_mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(approximate="tanh"))
        self.head_weight = nn.Parameter(torch.randn(levels, dim, size) * dim**-0.5)
        self.head_bias = nn.Parameter(torch.zeros(levels, size))
        self.register_buffer("offsets", torch.arange(levels) * size, persistent=False)

    # --- teacher forcing -----------------------------------------------------------------

    def frame_inputs(self, states: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Aligned states [B, F, D] + true codes [B, F, Q] -> transformer inputs [B, F, d].

        Input t carries frame t's text and the summed code embeddings of frame t - 1; in
        training a fraction ``ar_code_noise`` of those codes is replaced by random ones.
        """
        if self.training and self.cfg.ar_code_noise > 0:
            # noisy teacher forcing against exposure bias: at generation the past codes are
            # the model's own, so in training some are replaced by random codes
            noisy = torch.rand(codes.shape, device=codes.device) < self.cfg.ar_code_noise
            codes = torch.where(noisy, torch.randint_like(codes, self.codebook_size), codes)
        previous = self.code_in(codes + self.offsets).sum(2)  # [B, F, d]
        start = self.code_in.weight[-1].expand(len(codes), 1, -1)
        return self.text_in(states) + torch.cat([start, previous[:, :-1]], 1)

    def logits(self, states: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits [B, F, Q, K] given aligned states [B, F, D], codes [B, F, Q]."""
        hidden = run_windowed(self.decoder, self.frame_inputs(states, codes), self.cfg.ar_context)
        chosen = self.depth_in(codes + self.offsets)  # [B, F, Q, d]
        below = chosen.cumsum(2) - chosen  # levels < q of the same frame
        z = self.depth_mlp(hidden[:, :, None] + self.level + below)
        return torch.einsum("bfqd,qdk->bfqk", z, self.head_weight) + self.head_bias

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        states, valid, predicted = self.trunk(batch["x"], batch["speakers"], batch)
        target = batch["y_prime"][..., : states.shape[1]].long().transpose(1, 2)  # [B, F, Q]
        ce, accuracy = level_scores(self.logits(states, target), target, valid)
        variance, variance_logs = self.trunk.variance_loss(predicted, batch)
        code_ce = ce.mean()
        logs = {"code_ce": float(code_ce.detach()), "code_accuracy": float(accuracy.mean())}
        logs |= {f"code_accuracy_l{q}": float(a) for q, a in enumerate(accuracy)}
        return code_ce + variance, logs | variance_logs

    # --- generation ----------------------------------------------------------------------

    def depth_tables(self) -> list[tuple[torch.Tensor, ...]]:
        """Per level q: (head weight [d, K], head bias [K], the [K, d] table that moves the
        depth head's input from level q to q + 1 given level q's code).

        The arithmetic of :meth:`logits` regrouped for generation: the input of level q is
        ``h + e_0 + sum_{j<q} (E_depth[j, c_j] + e_{j+1} - e_j)``, so each chosen code costs
        one table lookup, and no per-level tensor is sliced inside the frame loop.
        """
        size = self.codebook_size
        steps = [self.level[q + 1] - self.level[q] for q in range(self.levels - 1)]
        steps.append(torch.zeros_like(self.level[0]))
        return [
            (
                self.head_weight[q],
                self.head_bias[q],
                self.depth_in.weight[q * size : (q + 1) * size] + steps[q],
            )
            for q in range(self.levels)
        ]

    @torch.no_grad()
    def generate_codes(
        self,
        states: torch.Tensor,
        valid: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        temperature: float | None = None,
        top_k: int | None = None,
        use_cache: bool = True,
    ) -> torch.Tensor:
        """Codes [B, Q, F] (0 past each item's end) for aligned states [B, F, D].

        ``use_cache=False`` recomputes the whole window every frame: the same result, O(F W)
        instead of O(F); kept as the reference the cache is tested against.
        """
        temperature = self.cfg.temperature if temperature is None else temperature
        top_k = self.cfg.top_k if top_k is None else top_k
        if generator is None:  # repeatable synthesis without an explicit seed
            generator = torch.Generator(states.device).manual_seed(0)
        batch, frames = valid.shape
        text = self.text_in(states).unbind(1)
        previous = self.code_in.weight[-1].expand(batch, -1)  # [B, d]
        window = self.cfg.ar_context
        head_dim = self.cfg.ar_dim // self.cfg.ar_heads
        cache = RingKVCache(
            self.cfg.ar_layers, batch, self.cfg.ar_heads, window, head_dim, like=previous
        )
        tables = self.depth_tables()
        up = self.depth_mlp[0]
        kept = top_k if 0 < top_k < self.codebook_size else self.codebook_size
        noise = [[None] * self.levels] * frames
        if temperature > 0:  # one draw for the whole utterance: fewer calls per frame
            noise = gumbel_noise((frames, self.levels, batch, kept), generator).to(previous)
        inputs: list[torch.Tensor] = []
        chosen: list[torch.Tensor] = []
        for t in range(frames):
            step = text[t] + previous
            if use_cache:
                hidden = step_blocks(self.decoder, step, cache)
            else:
                inputs = [*inputs[len(inputs) + 1 - window :], step[:, None]]
                hidden = run_windowed(self.decoder, torch.cat(inputs, 1), window)[:, -1]
            depth = hidden + self.level[0]
            levels = []
            for (weight, bias, move), gumbel in zip(tables, noise[t]):
                z = F.gelu(F.linear(depth, up.weight, up.bias), approximate="tanh")
                code = draw(torch.addmm(bias, z, weight), temperature, top_k, gumbel)
                levels.append(code)
                depth = depth + F.embedding(code, move)
            chosen.append(torch.stack(levels, 1))  # [B, Q]
            previous = self.code_in(chosen[-1] + self.offsets).sum(1)
        codes = torch.stack(chosen, 2) if chosen else valid.new_zeros(batch, self.levels, 0)
        return codes.long() * valid[:, None]

    @torch.no_grad()
    def predict(
        self, x: torch.Tensor, speakers: torch.Tensor, pace: float = 1.0, **sampling: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampled codes [B, Q, F] and predicted durations [B, L]."""
        states, valid, predicted = self.trunk(x, speakers, pace=pace)
        return self.generate_codes(states, valid, **sampling), predicted["durations"]

    def sample(
        self,
        x: X,
        *,
        generator: torch.Generator | None = None,
        pace: float = 1.0,
        **sampling: Any,
    ) -> torch.Tensor:
        """``pace`` > 1 speaks slower; ``temperature``, ``top_k`` and ``use_cache`` go to
        :meth:`generate_codes`, other options are ignored."""
        keep = {k: sampling[k] for k in ("temperature", "top_k", "use_cache") if k in sampling}
        ids, speakers = phonemes_and_speakers(x)
        return self.predict(ids, speakers, pace, generator=generator, **keep)[0]


def gumbel_noise(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """Standard Gumbel noise ``-log E``, E ~ Exp(1), drawn from ``generator`` (on its device)."""
    return -torch.empty(shape, device=generator.device).exponential_(generator=generator).log()


def draw(
    logits: torch.Tensor, temperature: float, top_k: int, noise: torch.Tensor | None
) -> torch.Tensor:
    """One code per row of ``logits`` [B, K] -> int64 [B]: argmax at temperature 0, else a
    draw from the softmax of the ``top_k`` largest logits (all when 0) at ``temperature``.

    The distribution of :func:`regen.generators.sampling.sample_token` in fewer calls, as
    this runs Q times per frame: Gumbel-max with ``noise`` [B, k] drawn beforehand for the
    whole utterance (:func:`gumbel_noise`), k = ``top_k`` or K.
    """
    if temperature == 0:
        return logits.argmax(-1)
    if 0 < top_k < logits.shape[-1]:
        values, index = logits.topk(top_k, -1)
        pick = (values / temperature + noise).argmax(-1, keepdim=True)
        return index.gather(-1, pick).squeeze(-1)
    return (logits / temperature + noise).argmax(-1)
