"""Y' -> Y for speech recognition: phonemes to characters (phoneme-to-grapheme).

A decoder-only transformer reads the phonemes, a separator, then writes the characters:

    p_1 ... p_n  SEP  c_1 ... c_m        position n (SEP) predicts c_1, ..., n+m predicts END

so one causal stack does the work of an encoder-decoder, and decoding runs through the shared
key/value cache of :mod:`regen.modules.transformer`. It is trained on text alone: sentences
that were never spoken, turned into phonemes by the representation, so it learns spelling
and homophones from sentence context ("they're over there"), not from any audio.

At inference the prefixes of a batch are left-padded so every row's separator sits at the
same position and all rows advance together; position embeddings count from each row's first
real token, as in training.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError
from regen.modules.sequences import lengths_of, pad_rows
from regen.modules.transformer import Transformer

END = 0  # output class 0 ends the text (it is the padding id of the character vocabulary)


class PhonemeToText(nn.Module):
    """Phoneme ids [B, Lp] (0-padded) -> character ids [B, Lc] (0-padded).

    Args:
        spec: the phoneme Y' it reads.
        char_vocab: size of the character vocabulary (id 0 = padding, never written).
        cfg: a ``P2GConfig`` (dim, depth, heads, dropout, max_len positions, input_noise,
            beam_size, length_alpha); see regen/tasks/asr/config.py.
    """

    trainable = True

    def __init__(self, spec: YSpec, char_vocab: int, cfg: Any) -> None:
        super().__init__()
        if spec.kind != "discrete" or spec.shape != (None,):
            raise ConfigError(f"the P2G renderer reads discrete sequences, got {spec.describe()}")
        if cfg.dim % cfg.heads:
            raise ConfigError(f"renderer.dim {cfg.dim} must be divisible by heads {cfg.heads}")
        self.spec = spec
        self.cfg = cfg
        self.phonemes = spec.vocab_size
        self.char_vocab = char_vocab
        self.sep = self.phonemes  # input ids: phonemes, then SEP, then characters
        self.token_embed = nn.Embedding(self.phonemes + char_vocab, cfg.dim)
        self.position = nn.Parameter(torch.randn(cfg.max_len, cfg.dim) * 0.02)
        self.decoder = Transformer(cfg.dim, cfg.depth, cfg.heads, cfg.dropout, causal=True)
        self.head = nn.Linear(cfg.dim, char_vocab)

    # ------------------------------------------------------------------ training

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """Cross-entropy of the characters given the phonemes.

        Batch: ``y_prime`` [N, Lp] phoneme ids and ``y`` [N, Lc] character ids, 0-padded.
        """
        phonemes, chars = batch["y_prime"], batch["y"]
        if self.training and self.cfg.input_noise > 0:
            # Recognised phonemes contain errors; substituting a few teaches robustness to them.
            noise = torch.rand(phonemes.shape, device=phonemes.device) < self.cfg.input_noise
            random = torch.randint_like(phonemes, 1, self.phonemes)
            phonemes = torch.where(noise & (phonemes != 0), random, phonemes)
        n, m = lengths_of(phonemes), lengths_of(chars)
        total = int((n + m + 1).max())
        inputs = torch.zeros(len(n), total, dtype=torch.long, device=phonemes.device)
        targets = torch.full_like(inputs, -100)
        for row in range(len(n)):
            p, c = int(n[row]), int(m[row])
            inputs[row, :p] = phonemes[row, :p]
            inputs[row, p] = self.sep
            inputs[row, p + 1 : p + 1 + c] = chars[row, :c] + self.phonemes
            targets[row, p : p + c] = chars[row, :c]
            targets[row, p + c] = END
        if total > self.cfg.max_len:
            raise ConfigError(
                f"a phoneme+text pair of {total} tokens exceeds renderer.max_len "
                f"{self.cfg.max_len}; raise it or drop longer sentences"
            )
        valid = torch.arange(total, device=inputs.device)[None] < (n + m + 1)[:, None]
        hidden = self.decoder(self.token_embed(inputs) + self.position[:total], valid)
        logits = self.head(hidden)
        loss = F.cross_entropy(logits.reshape(-1, self.char_vocab), targets.reshape(-1))
        accuracy = (logits.argmax(-1) == targets)[targets != -100].float().mean()
        return loss, {"char_accuracy": float(accuracy)}

    # ------------------------------------------------------------------ inference

    def _prefix(self, y_prime: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Left-padded [B, P] prefix (phonemes + SEP), its validity and next positions [B]."""
        rows = [[t for t in row if t != 0] + [self.sep] for row in y_prime.tolist()]
        limit = self.cfg.max_len // 3  # leave room for the (longer) spelling
        rows = [row[-limit:] if len(row) > limit else row for row in rows]
        width = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        valid = torch.zeros(len(rows), width, dtype=torch.bool)
        for i, row in enumerate(rows):
            ids[i, width - len(row) :] = torch.tensor(row)
            valid[i, width - len(row) :] = True
        lengths = valid.sum(1)
        positions = (torch.arange(width)[None] - (width - lengths)[:, None]).clamp(min=0)
        return ids, valid, positions

    def _start(self, y_prime: torch.Tensor, copies: int):
        device = self.position.device
        ids, valid, positions = self._prefix(y_prime)
        ids, valid, positions = (
            t.repeat_interleave(copies, 0).to(device) for t in (ids, valid, positions)
        )
        longest = int(valid.sum(1).max())
        # Spellings run about 1.2 characters per phoneme; 2x + 8 bounds a runaway decode.
        budget = min(self.cfg.max_len - longest, 2 * longest + 8)
        cache = self.decoder.new_cache(len(ids), ids.shape[1] + budget, self.position)
        hidden = self.decoder(self.token_embed(ids) + self.position[positions], valid, cache)
        next_pos = positions[:, -1] + 1
        return hidden[:, -1], valid, next_pos, cache, budget

    def _step(self, tokens, valid, next_pos, cache):
        x = (
            self.token_embed(tokens + self.phonemes)
            + self.position[next_pos.clamp(max=self.cfg.max_len - 1)]
        )
        valid = torch.cat([valid, torch.ones_like(valid[:, :1])], dim=1)
        hidden = self.decoder(x[:, None], valid, cache)
        return hidden[:, -1], valid, next_pos + 1

    @torch.no_grad()
    def render(
        self,
        y_prime: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        beam_size: int | None = None,
    ) -> torch.Tensor:
        """Phoneme ids [B, Lp] -> character ids [B, Lc] (greedy when ``beam_size`` is 1;
        decoding is deterministic, so ``generator`` is unused)."""
        beam = self.cfg.beam_size if beam_size is None else beam_size
        if beam > 1:
            rows = [self._beam_one(y_prime[i : i + 1], beam) for i in range(len(y_prime))]
            return pad_rows(rows)[0]
        return self._greedy(y_prime)

    def _greedy(self, y_prime: torch.Tensor) -> torch.Tensor:
        hidden, valid, next_pos, cache, budget = self._start(y_prime, 1)
        out = torch.zeros(len(y_prime), budget, dtype=torch.long)
        done = torch.zeros(len(y_prime), dtype=torch.bool, device=hidden.device)
        for t in range(budget):
            token = self.head(hidden).argmax(-1)
            token = torch.where(done, torch.zeros_like(token), token)
            out[:, t] = token.cpu()
            done |= token == END
            if bool(done.all()) or t == budget - 1:
                break
            hidden, valid, next_pos = self._step(token, valid, next_pos, cache)
        return pad_rows([[i for i in row if i] for row in _cut_at_end(out)])[0]

    def _beam_one(self, y_prime: torch.Tensor, beam: int) -> list[int]:
        """Beam search for one utterance; scores are summed log-probabilities."""
        hidden, valid, next_pos, cache, budget = self._start(y_prime, beam)
        device = hidden.device
        scores = torch.full((beam,), -float("inf"), device=device)
        scores[0] = 0.0  # all beams start identical: keep one until they diverge
        history = torch.zeros(beam, 0, dtype=torch.long, device=device)
        finished: list[tuple[float, list[int]]] = []
        for _ in range(budget):
            logp = self.head(hidden).log_softmax(-1)  # [beam, V]
            candidates = (scores[:, None] + logp).reshape(-1)
            top, index = candidates.topk(2 * beam)
            source, token = index // self.char_vocab, index % self.char_vocab
            keep_src, keep_tok, keep_score = [], [], []
            for s, t, sc in zip(source.tolist(), token.tolist(), top.tolist()):
                if sc == -float("inf"):
                    break
                if t == END:
                    length = history.shape[1] + 1
                    finished.append((sc / length**self.cfg.length_alpha, history[s].tolist()))
                elif len(keep_src) < beam:
                    keep_src.append(s)
                    keep_tok.append(t)
                    keep_score.append(sc)
            best_open = max(keep_score, default=-float("inf"))
            if not keep_src or (len(finished) >= beam and max(f[0] for f in finished) > best_open):
                break
            while len(keep_src) < beam:  # fill with dead beams so shapes stay fixed
                keep_src.append(keep_src[0])
                keep_tok.append(keep_tok[0])
                keep_score.append(-float("inf"))
            src = torch.tensor(keep_src, device=device)
            tok = torch.tensor(keep_tok, device=device)
            scores = torch.tensor(keep_score, device=device)
            history = torch.cat([history[src], tok[:, None]], dim=1)
            cache.keys, cache.values = cache.keys[:, src], cache.values[:, src]
            hidden, valid, next_pos = self._step(tok, valid[src], next_pos[src], cache)
        if not finished:
            return history[0].tolist()
        return max(finished, key=lambda f: f[0])[1]


def _cut_at_end(out: torch.Tensor) -> list[list[int]]:
    rows = []
    for row in out.tolist():
        rows.append(row[: row.index(END)] if END in row else row)
    return rows
