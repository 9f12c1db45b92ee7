"""Sequence to sequence with one causal transformer: source, separator, target.

    s_1 ... s_n  SEP  t_1 ... t_m        position n (SEP) predicts t_1, ..., n+m predicts END

Source and target share one token table (and the output layer is tied to it), so the same
vocabulary must index both.

One decoder-only stack (:mod:`regen.modules.transformer`) reads the source and writes the
target, so every stage of the text task (X -> template, template -> synopsis, X -> synopsis)
is the same model family with the same parameter count for equal widths. A source of
length 0 makes the model a plain language model of the target (the direct baseline's
pretraining on synopsis-only text). Decoding is greedy through the key/value cache, with the
sources left-padded so every row's separator sits at the same position.

The phoneme-to-text renderer of the ASR task (regen/renderers/p2g.py) is the same idea with
beam search and ASR-specific input noise; it predates this module and is left as it is.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from regen.errors import ConfigError
from regen.modules.sequences import lengths_of, pad_rows
from regen.modules.transformer import Transformer

END = 0  # output id 0 ends the target (it is the padding id)


class PrefixSeq2Seq(nn.Module):
    """Source ids [B, S] (0-padded, ids < ``source_vocab``) -> target ids [B, T] (0-padded).

    Args:
        source_vocab, target_vocab: vocabulary sizes (id 0 = padding in both).
        max_source, max_target: the longest source and target in positions.
        cfg: ``dim``, ``depth``, ``heads``, ``dropout``, ``input_noise`` (share of source ids
            replaced at random while training: robustness to a generator's errors).
    """

    def __init__(
        self, source_vocab: int, target_vocab: int, max_source: int, max_target: int, cfg: Any
    ) -> None:
        super().__init__()
        if cfg.dim % cfg.heads:
            raise ConfigError(f"width {cfg.dim} must be divisible by heads {cfg.heads}")
        self.cfg = cfg
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        self.max_source, self.max_target = max_source, max_target
        # One token table for source and target (both index one shared vocabulary) and the
        # output layer tied to it: a word read in the source and the same word written in
        # the target are one vector, so copying (package names, the template's lemmas) is
        # an attention pattern, not a mapping learned word by word. A segment vector tells
        # source from target positions.
        self.sep = max(source_vocab, target_vocab)  # the id after every token id
        self.embed = nn.Embedding(self.sep + 1, cfg.dim)
        self.segment = nn.Embedding(2, cfg.dim)
        nn.init.normal_(self.segment.weight, std=0.02)  # small beside the unit-scale tokens
        self.position = nn.Parameter(torch.randn(max_source + max_target + 2, cfg.dim) * 0.02)
        self.decoder = Transformer(cfg.dim, cfg.depth, cfg.heads, cfg.dropout, causal=True)
        self.bias = nn.Parameter(torch.zeros(target_vocab))

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits over the target vocabulary, through the tied token table (scaled so that
        unit-variance rows give unit-scale logits)."""
        table = self.embed.weight[: self.target_vocab]
        return hidden @ table.T / table.shape[1] ** 0.5 + self.bias

    def loss(self, source: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, float]:
        """Cross-entropy of ``target`` given ``source`` and the next-token accuracy."""
        source, target = source[:, : self.max_source], target[:, : self.max_target]
        if self.training and self.cfg.input_noise > 0:
            noise = torch.rand(source.shape, device=source.device) < self.cfg.input_noise
            random = torch.randint_like(source, 1, self.source_vocab)
            source = torch.where(noise & (source != 0), random, source)
        n, m = lengths_of(source), lengths_of(target)
        total = int((n + m + 1).max())
        inputs = torch.zeros(len(n), total, dtype=torch.long, device=source.device)
        targets = torch.full_like(inputs, -100)
        segment = torch.zeros_like(inputs)
        for row in range(len(n)):
            s, t = int(n[row]), int(m[row])
            inputs[row, :s] = source[row, :s]
            inputs[row, s] = self.sep
            inputs[row, s + 1 : s + 1 + t] = target[row, :t]
            segment[row, s + 1 :] = 1
            targets[row, s : s + t] = target[row, :t]
            targets[row, s + t] = END
        valid = torch.arange(total, device=inputs.device)[None] < (n + m + 1)[:, None]
        x = self.embed(inputs) + self.segment(segment) + self.position[:total]
        hidden = self.decoder(x, valid)
        scored = targets != -100  # the output layer runs on target positions only (the
        logits = self.head(hidden[scored])  # source is most of a row, the vocabulary large)
        loss = F.cross_entropy(logits, targets[scored])
        accuracy = (logits.argmax(-1) == targets[scored]).float().mean()
        return loss, float(accuracy)

    @torch.no_grad()
    def greedy(self, source: torch.Tensor) -> torch.Tensor:
        """Target ids [B, T] (0-padded) for source ids [B, S], greedy decoding."""
        device = self.position.device
        rows = [
            [t for t in row if t != 0][: self.max_source] + [self.sep] for row in source.tolist()
        ]
        width = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        valid = torch.zeros(len(rows), width, dtype=torch.bool)
        for i, row in enumerate(rows):
            ids[i, width - len(row) :] = torch.tensor(row)
            valid[i, width - len(row) :] = True
        positions = (torch.arange(width)[None] - (width - valid.sum(1))[:, None]).clamp(min=0)
        ids, valid, positions = ids.to(device), valid.to(device), positions.to(device)
        cache = self.decoder.new_cache(len(rows), width + self.max_target + 1, self.position)
        source = self.embed(ids) + self.segment(torch.zeros_like(ids)) + self.position[positions]
        hidden = self.decoder(source, valid, cache)[:, -1]
        next_pos = positions[:, -1] + 1
        out = torch.zeros(len(rows), self.max_target, dtype=torch.long)
        done = torch.zeros(len(rows), dtype=torch.bool, device=device)
        for step in range(self.max_target):
            token = self.head(hidden).argmax(-1)
            token = torch.where(done, torch.zeros_like(token), token)
            out[:, step] = token.cpu()
            done |= token == END
            if bool(done.all()) or step == self.max_target - 1:
                break
            x = self.embed(token) + self.segment(torch.ones_like(token)) + self.position[next_pos]
            valid = torch.cat([valid, torch.ones_like(valid[:, :1])], dim=1)
            hidden = self.decoder(x[:, None], valid, cache)[:, -1]
            next_pos = next_pos + 1
        kept = [row[: row.index(END)] if END in row else row for row in out.tolist()]
        return pad_rows(kept)[0]
