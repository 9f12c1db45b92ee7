"""An encoder-decoder transformer for sequences aligned one to one (syllable i -> note i).

    inputs  [B, T, Fi] ──embed+encoder (bidirectional)──▶ context_i
    outputs [B, T, Fo]: step i sees context_i, the outputs of steps < i (causal decoder) and,
                        optionally, its position in the bar (fed back from the durations)

Because the lengths are tied (one note per syllable), the decoder reads the encoder's state
at its own position instead of attending across: cross-attention would have to learn an
alignment that the task gives for free. Each output field has its own head; the fields of
one step are predicted independently given the decoder state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from regen.generators.sampling import sample_token
from regen.modules.transformer import Transformer

MaskFn = Callable[[int, Tensor], list[Tensor | None]]
"""``mask_fn(step, outputs_so_far [B, T, Fo]) -> [allowed bool [B, V_f] or None per field]``."""
PositionFn = Callable[[int, Tensor], Tensor]
"""``position_fn(step, outputs_so_far) -> int64 [B]``: the bar position fed to ``step``."""


class FieldEmbedding(nn.Module):
    """Sum of one embedding per integer field: [B, T, F] -> [B, T, dim]."""

    def __init__(self, sizes: Sequence[int], dim: int) -> None:
        super().__init__()
        self.sizes = list(sizes)
        self.tables = nn.ModuleList(nn.Embedding(size, dim) for size in sizes)

    def forward(self, fields: Tensor) -> Tensor:
        return sum(table(fields[..., i]) for i, table in enumerate(self.tables))


class AlignedTransformer(nn.Module):
    """Predicts ``out_sizes`` fields per position from ``in_sizes`` fields per position.

    Args:
        in_sizes: vocabulary of each input field (values in ``[0, size)``).
        out_sizes: vocabulary of each output field.
        hidden, depth, heads, dropout: transformer width, layers (each of encoder and
            decoder), heads, dropout.
        max_len: longest sequence.
        position_size: > 0 feeds the bar position (values ``< position_size``) to each
            decoder step; 0 turns that off.
    """

    def __init__(
        self,
        in_sizes: Sequence[int],
        out_sizes: Sequence[int],
        *,
        hidden: int,
        depth: int,
        heads: int,
        dropout: float,
        max_len: int,
        position_size: int = 0,
    ) -> None:
        super().__init__()
        self.out_sizes = list(out_sizes)
        self.inputs = FieldEmbedding(in_sizes, hidden)
        self.index = nn.Parameter(torch.randn(max_len, hidden) * 0.02)
        self.encoder = Transformer(hidden, depth, heads, dropout, causal=False)
        # Each output field gets one extra id: the "nothing before the first note" token.
        self.previous = FieldEmbedding([s + 1 for s in out_sizes], hidden)
        self.position = nn.Embedding(position_size, hidden) if position_size else None
        self.decoder = Transformer(hidden, depth, heads, dropout, causal=True)
        self.heads = nn.ModuleList(nn.Linear(hidden, s) for s in out_sizes)

    def encode(self, inputs: Tensor, valid: Tensor) -> Tensor:
        x = self.inputs(inputs) + self.index[: inputs.shape[1]]
        return self.encoder(x, valid)

    def _start(self, batch: int, device: torch.device) -> Tensor:
        return torch.tensor(self.out_sizes, device=device).expand(batch, 1, -1)

    def _step_inputs(self, context: Tensor, previous: Tensor, position: Tensor | None) -> Tensor:
        x = context + self.previous(previous)
        if self.position is not None and position is not None:
            x = x + self.position(position)
        return x

    def loss(
        self, inputs: Tensor, targets: Tensor, valid: Tensor, position: Tensor | None = None
    ) -> tuple[Tensor, dict[str, float]]:
        """Teacher-forced cross-entropy summed over fields, averaged over valid positions.

        Args:
            inputs: int64 [B, T, Fi]; targets: int64 [B, T, Fo]; valid: bool [B, T];
            position: int64 [B, T] bar positions (needed when ``position_size`` > 0).
        """
        context = self.encode(inputs, valid)
        previous = torch.cat([self._start(len(targets), targets.device), targets[:, :-1]], 1)
        hidden = self.decoder(self._step_inputs(context, previous, position), valid)
        total, logs = hidden.new_zeros(()), {}
        for field, head in enumerate(self.heads):
            logits = head(hidden[valid])
            target = targets[..., field][valid]
            ce = F.cross_entropy(logits.float(), target)
            total = total + ce
            logs[f"ce_{field}"] = ce.item()
            logs[f"acc_{field}"] = (logits.argmax(-1) == target).float().mean().item()
        return total, logs

    @torch.no_grad()
    def sample(
        self,
        inputs: Tensor,
        valid: Tensor,
        *,
        mask_fn: MaskFn | None = None,
        position_fn: PositionFn | None = None,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
    ) -> Tensor:
        """Outputs [B, T, Fo] one step at a time (key/value cache), masks applied per step."""
        batch, length, _ = inputs.shape
        context = self.encode(inputs, valid)
        out = torch.zeros(
            batch, length, len(self.out_sizes), dtype=torch.long, device=inputs.device
        )
        previous = self._start(batch, inputs.device)
        cache = self.decoder.new_cache(batch, length, context)
        for i in range(length):
            position = position_fn(i, out)[:, None] if position_fn is not None else None
            step = self._step_inputs(context[:, i : i + 1], previous, position)
            hidden = self.decoder(step, valid[:, : i + 1], cache)[:, -1]
            masks = mask_fn(i, out) if mask_fn is not None else [None] * len(self.heads)
            for field, head in enumerate(self.heads):
                logits = head(hidden).float()
                if masks[field] is not None:
                    logits = logits.masked_fill(~masks[field], float("-inf"))
                out[:, i, field] = sample_token(
                    logits, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator
                )
            previous = out[:, i : i + 1]
        return out * valid[..., None]
