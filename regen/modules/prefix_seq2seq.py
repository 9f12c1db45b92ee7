"""Sequence to sequence with one causal transformer: source, separator, target.

    s_1 ... s_n  SEP  t_1 ... t_m        position n (SEP) predicts t_1, ..., n+m predicts END

Source and target share one token table (and the output layer is tied to it), so the same
vocabulary must index both.

One decoder-only stack (:mod:`regen.modules.transformer`) reads the source and writes the
target, so every stage of the text task (X -> template, template -> synopsis, X -> synopsis)
is the same model family with the same parameter count for equal widths. A source of
length 0 makes the model a plain language model of the target (the direct baseline's
pretraining on synopsis-only text). Decoding is a beam search (greedy at width 1) through the
key/value cache, with an optional no-repeat-n-gram guard, the sources left-padded so every
row's separator sits at the same position.

The phoneme-to-text renderer of the ASR task (regen/renderers/p2g.py) is the same idea with
ASR-specific input noise; it predates this module and is left as it is.
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
        # copy (pointer-generator): a gate mixes the vocabulary softmax with one attention
        # over the source positions, whose weights land on the source's token ids, so
        # writing a token of the source (a template's lemma, a word of the description)
        # is one attention step, not a path through the whole stack
        self.copy = bool(getattr(cfg, "copy", False))
        if self.copy:
            self.copy_query = nn.Linear(cfg.dim, cfg.dim)
            self.copy_key = nn.Linear(cfg.dim, cfg.dim)
            self.copy_gate = nn.Linear(cfg.dim, 1)

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits over the target vocabulary, through the tied token table (scaled so that
        unit-variance rows give unit-scale logits)."""
        table = self.embed.weight[: self.target_vocab]
        return hidden @ table.T / table.shape[1] ** 0.5 + self.bias

    def log_probs(
        self,
        hidden: torch.Tensor,
        source_hidden: torch.Tensor | None = None,
        source_ids: torch.Tensor | None = None,
        source_valid: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Log-probabilities [N, V] of the next target token from hidden states [N, D]; with
        copying, ``source_hidden`` [N, S, D], ``source_ids`` [N, S] and ``source_valid``
        [N, S] are each row's source (rows with no valid source position write from the
        vocabulary alone)."""
        logits = self.head(hidden).float()
        if not self.copy or source_hidden is None:
            return F.log_softmax(logits, -1)
        p_vocab = F.softmax(logits, -1)
        valid = source_valid & (source_ids < self.target_vocab)
        query = self.copy_query(hidden)[:, None, :]
        scores = (query * self.copy_key(source_hidden)).sum(-1).float() / hidden.shape[-1] ** 0.5
        weights = torch.softmax(scores.masked_fill(~valid, float("-inf")), -1)
        weights = torch.nan_to_num(weights, nan=0.0)
        ids = source_ids.clamp(max=self.target_vocab - 1)
        p_copy = torch.zeros_like(p_vocab).scatter_add(1, ids, weights)
        gate = torch.sigmoid(self.copy_gate(hidden).float())
        gate = torch.where(valid.any(1, keepdim=True), gate, torch.ones_like(gate))
        return torch.log(gate * p_vocab + (1 - gate) * p_copy + 1e-9)

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
        # source is most of a row, the vocabulary large)
        if self.copy:
            width = min(source.shape[1], total)
            rows = scored.nonzero()[:, 0]
            source_valid = torch.arange(width, device=inputs.device)[None] < n[:, None]
            logp = self.log_probs(
                hidden[scored],
                hidden[:, :width][rows],
                inputs[:, :width][rows],
                source_valid[rows],
            )
        else:
            logp = self.log_probs(hidden[scored])
        loss = F.nll_loss(logp, targets[scored])
        accuracy = (logp.argmax(-1) == targets[scored]).float().mean()
        return loss, float(accuracy)

    @torch.no_grad()
    def greedy(self, source: torch.Tensor) -> torch.Tensor:
        """Target ids [B, T] (0-padded) for source ids [B, S], greedy decoding."""
        return self.decode(source, beam=1, no_repeat_ngram=0)

    @torch.no_grad()
    def decode(
        self,
        source: torch.Tensor,
        beam: int = 1,
        no_repeat_ngram: int = 0,
        length_penalty: float = 0.0,
        repeat_words: torch.Tensor | None = None,
        spelling: SpellingGuard | None = None,
    ) -> torch.Tensor:
        """Target ids [B, T] (0-padded) for source ids [B, S] by beam search.

        ``beam`` = 1 is greedy decoding. ``no_repeat_ngram`` = n > 0 forbids writing an n-gram
        of pieces a hypothesis already holds (n = 1: no piece twice), the guard against the
        loops a small model falls into (``library library library``). ``repeat_words``, a
        bool mask [target_vocab] of the ids that are a whole word (:func:`whole_word_mask`),
        forbids writing one of them twice: the piece guard lets ``binary object binary AVR
        object AVR`` through, since none of its piece bigrams repeats. ``spelling``
        (:class:`SpellingGuard`) lets a word spelled letter by letter go on only along a word
        of the row's source.

        ``length_penalty`` = 0: the search keeps the k highest summed log-probabilities and
        the finished hypotheses are ranked by their mean log-probability per written piece
        (the end included). ``length_penalty`` = a > 0: both the search and the final pick
        rank by the sum divided by length ** a (a = 1: the mean; a > 1 favours longer texts).
        With the plain sum, hypotheses that end early keep their score while every longer
        one pays for each further piece, so the beam fills with short texts before a long
        one can finish; normalising inside the search lets the long ones survive.
        """
        device = self.position.device
        rows = [
            [t for t in row if t != 0][: self.max_source] + [self.sep] for row in source.tolist()
        ]
        batch, k = len(rows), max(1, beam)
        width = max(len(r) for r in rows)
        ids = torch.zeros(batch, width, dtype=torch.long)
        valid = torch.zeros(batch, width, dtype=torch.bool)
        for i, row in enumerate(rows):
            ids[i, width - len(row) :] = torch.tensor(row)
            valid[i, width - len(row) :] = True
        positions = (torch.arange(width)[None] - (width - valid.sum(1))[:, None]).clamp(min=0)
        # every row's k hypotheses side by side: row i's are i*k ... i*k + k - 1
        spelled = [spelling.source_prefixes(row) for row in rows] if spelling else []
        ids, valid, positions = (
            t.repeat_interleave(k, 0).to(device) for t in (ids, valid, positions)
        )
        cache = self.decoder.new_cache(batch * k, width + self.max_target + 1, self.position)
        x = self.embed(ids) + self.segment(torch.zeros_like(ids)) + self.position[positions]
        prefix = self.decoder(x, valid, cache)
        hidden = prefix[:, -1]
        # the source for copying: every valid prefix position but the separator
        source_valid = valid.clone()
        source_valid[:, -1] = False
        copy_from = (prefix, ids, source_valid) if self.copy else ()
        next_pos = positions[:, -1] + 1
        scores = torch.full((batch, k), float("-inf"), device=device)
        scores[:, 0] = 0.0  # one live hypothesis per row at the start
        lengths = torch.zeros(batch, k, device=device)
        done = torch.zeros(batch * k, dtype=torch.bool, device=device)
        history: list[list[int]] = [[] for _ in range(batch * k)]
        vocab = self.target_vocab
        for step in range(self.max_target):
            logp = self.log_probs(hidden, *copy_from)
            if no_repeat_ngram > 0 or repeat_words is not None or spelling is not None:
                for r, h in enumerate(history):
                    banned = _repeated(h, no_repeat_ngram) + _repeated_words(h, repeat_words)
                    if spelling is not None:
                        banned += spelling.banned(h, spelled[r // k])
                    if banned:
                        logp[r, banned] = float("-inf")
            logp[:, END] = torch.where(done, 0.0, logp[:, END])
            logp[done, 1:] = float("-inf")  # a finished hypothesis only "writes" END again
            total = scores[:, :, None] + logp.view(batch, k, vocab)
            if length_penalty > 0:  # rank by the normalised score, keep the sum
                grown = lengths + (~done).float().view(batch, k)
                ranked = total / grown.clamp(min=1)[:, :, None] ** length_penalty
                index = ranked.view(batch, k * vocab).topk(k, dim=1).indices
                best = total.view(batch, k * vocab).gather(1, index)
            else:
                best, index = total.view(batch, k * vocab).topk(k, dim=1)
            origin = (index // vocab) + torch.arange(batch, device=device)[:, None] * k
            token = (index % vocab).view(-1)
            origin = origin.view(-1)
            was_done = done[origin]
            lengths = lengths.view(-1)[origin].view(batch, k) + (~was_done).float().view(batch, k)
            scores = best
            done = was_done | (token == END)
            history = [
                history[o] + ([] if d else [t])
                for o, t, d in zip(origin.tolist(), token.tolist(), was_done.tolist())
            ]
            if bool(done.all()) or step == self.max_target - 1:
                break
            cache.keys = cache.keys.index_select(1, origin)
            cache.values = cache.values.index_select(1, origin)
            valid, next_pos = valid[origin], next_pos[origin]
            copy_from = tuple(t[origin] for t in copy_from)
            x = self.embed(token) + self.segment(torch.ones_like(token)) + self.position[next_pos]
            valid = torch.cat([valid, torch.ones_like(valid[:, :1])], dim=1)
            hidden = self.decoder(x[:, None], valid, cache)[:, -1]
            next_pos = next_pos + 1
        ranked = (scores / lengths.clamp(min=1) ** (length_penalty or 1.0)).masked_fill(
            torch.isnan(scores), float("-inf")
        )
        choice = ranked.argmax(1) + torch.arange(batch, device=device) * k
        kept = [[t for t in history[c] if t != END][: self.max_target] for c in choice.tolist()]
        return pad_rows(kept)[0]


def decode(
    model: PrefixSeq2Seq, source: torch.Tensor, vocab: list[str] | None = None
) -> torch.Tensor:
    """``model.decode`` with the decoding settings its config declares (``beam``,
    ``no_repeat_ngram``, ``length_penalty``, and ``no_repeat_words`` and
    ``spell_from_source`` over the pieces of ``vocab``; the text task's ``Seq2SeqConfig``,
    whose defaults fill in what a run saved before a setting lacks)."""
    cfg = model.cfg
    min_chars = cfg.no_repeat_words
    words = whole_word_mask(vocab, min_chars) if vocab and min_chars > 0 else None
    spell = SpellingGuard(vocab) if vocab and cfg.spell_from_source else None
    return model.decode(source, cfg.beam, cfg.no_repeat_ngram, cfg.length_penalty, words, spell)


class SpellingGuard:
    """Words spelled letter by letter may only be words of the source.

    A word outside the vocabulary is spelled: a one-letter piece with the leading space, then
    one letter piece a time (:mod:`regen.modules.word_pieces`). A small generator learns to
    start such words and goes on inventing (`Fichalashiarac/JJ`, `Kenderonteve/JJ`: 200 dev
    records, seed 0); copying them from the record is what it should do. The guard: while a
    hypothesis is inside a letter run (a word-start letter piece, then letter pieces without
    a space), the next letter piece must continue a run of the source that starts the same
    way (letters after punctuation or a tag, as in ``3.x``, are a run too); starting a word,
    punctuation, digits and the end are never banned, and a whole-word piece is never
    continued (the tokenizer never continues one either).
    """

    def __init__(self, vocab: list[str]) -> None:
        self.starts = {i for i, p in enumerate(vocab) if p[:1] == " " and p[1:].isalpha()}
        self.letters = [i for i, p in enumerate(vocab) if p.isalpha()]  # no leading space
        self.is_letter = set(self.letters)

    def _run(self, ids: list[int]) -> tuple[int, ...]:
        """The letter run that ``ids`` end in (empty when they end outside one): letter pieces
        after a word-start letter piece, or after a piece that is no letter (``3.x``)."""
        end = start = len(ids)
        while start > 0 and ids[start - 1] in self.is_letter:
            start -= 1
        if start > 0 and ids[start - 1] in self.starts:
            start -= 1
        return tuple(ids[start:end])

    def source_prefixes(self, source: list[int]) -> dict[tuple[int, ...], set[int]]:
        """``{run prefix: the letter pieces that continue it}`` over the source's runs."""
        prefixes: dict[tuple[int, ...], set[int]] = {}
        for i, t in enumerate(source):
            before = source[i - 1] if i else None
            opens = t in self.starts or (
                t in self.is_letter and before not in self.is_letter and before not in self.starts
            )
            if not opens:
                continue
            j = i + 1
            while j < len(source) and source[j] in self.is_letter:
                prefixes.setdefault(tuple(source[i:j]), set()).add(source[j])
                j += 1
        return prefixes

    def banned(self, history: list[int], prefixes: dict[tuple[int, ...], set[int]]) -> list[int]:
        """The letter pieces ``history`` may not write next."""
        run = self._run(history)
        if not run:
            return []
        allowed = prefixes.get(run, set())
        return [t for t in self.letters if t not in allowed]


def whole_word_mask(vocab: list[str], min_chars: int) -> torch.Tensor:
    """Bool [len(vocab)]: the pieces that are a whole word of at least ``min_chars`` letters.

    A word piece carries its leading space and the tokenizer cuts letters into maximal runs
    (:mod:`regen.modules.word_pieces`), so such a piece is never continued by more letters:
    writing it twice writes the word twice. Words spelled piece by piece (out of the
    vocabulary) are not covered. The minimum length spares the short function words ("for",
    "and", "of") a synopsis may rightly repeat."""
    return torch.tensor(
        [p[:1] == " " and p[1:].isalpha() and len(p) - 1 >= min_chars for p in vocab],
        dtype=torch.bool,
    )


def _repeated_words(history: list[int], words: torch.Tensor | None) -> list[int]:
    """The whole-word ids of ``history`` (``words`` is their mask): none may be written again."""
    if words is None:
        return []
    return sorted({t for t in history if t < len(words) and bool(words[t])})


def _repeated(history: list[int], n: int) -> list[int]:
    """The pieces that would repeat an n-gram of ``history`` if written next."""
    if n <= 0:
        return []
    if len(history) < n - 1 or not history:
        return []
    if n == 1:
        return sorted(set(history))
    prefix = history[len(history) - n + 1 :]
    return sorted(
        {
            history[i + n - 1]
            for i in range(len(history) - n + 1)
            if history[i : i + n - 1] == prefix
        }
    )
