"""Y' -> Y by counting: a pronunciation lexicon and a word n-gram model, searched with a beam.

    D e@ | oU v 3 | D e@   ->   candidates  {their, there, they're} {over} {their, there, ...}
                           ->   beam search with P(words) * P(pronunciations | words)
                           ->   "they're over there"

Both tables come from unpaired text, as the transformer renderers' training pairs do:

- the lexicon maps each word's pronunciation (its phoneme ids between ``|``, exactly as the
  representation encodes it, so espeak-ng's cross-word changes such as "the" before a vowel
  are entries of their own) to the spellings seen with it and their counts. Pairs come from
  sentences whose phoneme words and written words agree in number, from sentences where
  espeak-ng joined words ("in the" said as one word becomes a two-word spelling of that
  pronunciation; :mod:`regen.modules.word_groups` finds the joins) and from single words;
- the language model (:class:`regen.modules.ngram_lm.KneserNeyLM`, a trigram by default) is
  counted over sentences, which may include text that was never phonemized.

Decoding scores a sentence as ``lm_weight * log P_LM(words) + sum log P(pron | word)``
(the noisy channel) and keeps the ``lexicon_beam`` best partial sentences, merging those
that end in the same ``order - 1`` words. A pronunciation the lexicon lacks is spelled by
the fallback: ``neural``, the word-by-word transformer (trained by the loop like
``renderer.unit: word``), or ``nearest``, the spellings of the closest pronunciation in the
lexicon by phoneme edit distance (no training; a wrong but real word rather than nothing).

Words are tuples of character ids throughout (no alphabet is assumed); the tables live in
:class:`regen.modules.table_state.TableState` so they are saved beside the weights.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import torch
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError, DataError
from regen.modules.ngram_lm import BOS, EOS, KneserNeyLM
from regen.modules.sequences import pad_rows, split_at, unpad_rows
from regen.modules.table_state import TableState
from regen.modules.word_groups import group_words
from regen.renderers.p2g_words import SPACE, WordwisePhonemeToText

Word = tuple[int, ...]  # character ids of one word
FALLBACKS = ("neural", "nearest")
MAX_GROUP = 3  # written words one spoken word may cover ("in the", "there are")


class LexiconPhonemeToText(nn.Module):
    """Phoneme ids [B, Lp] with word boundaries -> character ids [B, Lc].

    Args:
        spec: the phoneme Y' (with ``|`` tokens).
        char_vocab: size of the character vocabulary (id :data:`SPACE` joins words).
        boundary: the id of ``|`` in Y'.
        cfg: a ``P2GConfig``: ``lm_order``, ``lm_weight``, ``lexicon_beam``, ``fallback``,
            and for ``fallback: neural`` the word transformer's settings.
    """

    def __init__(self, spec: YSpec, char_vocab: int, boundary: int, cfg: Any) -> None:
        super().__init__()
        if cfg.fallback not in FALLBACKS:
            raise ConfigError(f"renderer.fallback is {cfg.fallback!r}; choose neural or nearest")
        self.spec, self.cfg, self.boundary = spec, cfg, boundary
        self.trainable = cfg.fallback == "neural"  # gradient steps only for the fallback
        self.words = (
            WordwisePhonemeToText(spec, char_vocab, boundary, cfg) if self.trainable else None
        )
        self.vocabulary = TableState()  # [V, L] character ids of every known word
        self.lexicon = TableState()  # [E, 1 + MAX_GROUP + Lp]: count, word indices, phonemes
        self.ngrams = TableState()  # KneserNeyLM.counts() over word indices
        self._built: tuple[int, ...] = ()

    # ------------------------------------------------------------------ fitting

    def fit(
        self, y_prime: torch.Tensor, y: torch.Tensor, *, text: torch.Tensor | None = None
    ) -> LexiconPhonemeToText:
        """Count the lexicon on (Y', Y) pairs and the language model on sentences.

        ``y_prime`` [N, Lp] phoneme ids and ``y`` [N, Lc] character ids (0-padded) are
        sentences or single words; ``text`` [M, Lc] are sentences for the language model
        (default: the rows of ``y`` with more than one word). Returns self.
        """
        rows = [
            (split_at(p, self.boundary), split_at(c, SPACE))
            for p, c in zip(unpad_rows(y_prime), unpad_rows(y))
        ]
        pairs: Counter[tuple[Word, tuple[Word, ...]]] = Counter()
        for p_words, c_words in rows:
            if len(p_words) == len(c_words):
                pairs.update((tuple(p), (tuple(c),)) for p, c in zip(p_words, c_words))
        if not pairs:
            raise DataError("no sentence gave word pairs: the lexicon would be empty")
        known = {(p, c[0]) for p, c in pairs}
        for p_words, c_words in rows:  # sentences where espeak-ng joined words
            if len(p_words) < len(c_words):
                groups = group_words(
                    [tuple(p) for p in p_words], [tuple(c) for c in c_words], known, MAX_GROUP
                )
                pairs.update(groups or [])
        sentences = [split_at(row, SPACE) for row in unpad_rows(y if text is None else text)]
        sentences = [s for s in sentences if text is not None or len(s) > 1]
        spellings = sorted(
            {w for _, ws in pairs for w in ws} | {tuple(w) for s in sentences for w in s}
        )
        index = {w: i for i, w in enumerate(spellings)}
        self.vocabulary.table = pad_rows([list(w) for w in spellings])[0]
        prons, _ = pad_rows([list(p) for p, _ in pairs])
        owners = [
            [n, *[index[w] for w in ws], *[-1] * (MAX_GROUP - len(ws))]
            for (_, ws), n in pairs.items()
        ]
        self.lexicon.table = torch.cat([torch.tensor(owners, dtype=torch.long), prons], dim=1)
        lm = KneserNeyLM(self.cfg.lm_order).fit([[index[tuple(w)] for w in s] for s in sentences])
        self.ngrams.table = lm.counts()
        self._built = ()
        return self

    def _tables(self) -> None:
        """Rebuild the look-up structures when the tables changed (fit or load)."""
        versions = tuple(t.version for t in (self.vocabulary, self.lexicon, self.ngrams))
        if self._built == versions:
            return
        empty = not len(self.lexicon.table)
        if empty and self.words is None:
            raise DataError("the lexicon renderer is empty; fit it (train the renderer) first")
        self._spellings: list[Word] = [tuple(w) for w in unpad_rows(self.vocabulary.table)]
        self._index = {w: i for i, w in enumerate(self._spellings)}
        per_words: Counter[tuple[int, ...]] = Counter()
        entries = []
        for row in self.lexicon.table.tolist():
            count, words = row[0], tuple(w for w in row[1 : 1 + MAX_GROUP] if w >= 0)
            pron = tuple(t for t in row[1 + MAX_GROUP :] if t)
            per_words[words] += count
            entries.append((pron, words, count))
        lexicon: dict[Word, list[tuple[tuple[int, ...], float]]] = defaultdict(list)
        for pron, words, count in entries:  # log P(pronunciation | words)
            lexicon[pron].append((words, math.log(count / per_words[words])))
        self._lexicon = dict(lexicon)
        self._prons = list(self._lexicon)
        lm = KneserNeyLM(self.cfg.lm_order)  # unfitted with a neural fallback: it spells all
        self._lm = lm if empty else lm.load_counts(self.ngrams.table)
        self._built = versions

    def spellings_of(self, pronunciation: Word) -> list[tuple[Word, ...]]:
        """The lexicon's spellings (one or more words each) of one spoken word's phoneme ids
        (empty when unknown)."""
        self._tables()
        entries = self._lexicon.get(tuple(pronunciation), [])
        return [tuple(self._spellings[w] for w in words) for words, _ in entries]

    # ------------------------------------------------------------------ training

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """The fallback transformer's loss on word pairs (``fallback: neural`` only)."""
        if self.words is None:
            raise ConfigError("renderer.fallback: nearest has nothing to train by gradient")
        return self.words.training_loss(batch)

    # ------------------------------------------------------------------ inference

    @torch.no_grad()
    def render(
        self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Phoneme ids [B, Lp] -> character ids [B, Lc] (deterministic: ``generator`` unused)."""
        self._tables()
        sentences = [[tuple(w) for w in split_at(r, self.boundary)] for r in unpad_rows(y_prime)]
        unknown = sorted({p for s in sentences for p in s if p not in self._lexicon})
        guesses = self._fallback(unknown)
        texts = []
        for prons in sentences:
            words = self._search(prons, guesses)
            text: list[int] = []
            for word in words:
                text += ([SPACE] if text else []) + list(word)
            texts.append(text)
        return pad_rows(texts)[0].to(y_prime.device)

    def _fallback(self, unknown: list[Word]) -> dict[Word, list[tuple[tuple[Word, ...], float]]]:
        """Candidate spellings (with log weights) of pronunciations the lexicon lacks."""
        if not unknown:
            return {}
        if self.words is not None:
            spelled = self.words.words.render(pad_rows([list(p) for p in unknown])[0])
            return {p: [((tuple(w),), 0.0)] for p, w in zip(unknown, unpad_rows(spelled))}
        out = {}
        for pron in unknown:
            _, _, at = process.extractOne(pron, self._prons, scorer=Levenshtein.distance)
            near = self._lexicon[self._prons[at]]
            out[pron] = [(tuple(self._spellings[w] for w in ws), logp) for ws, logp in near]
        return out

    def _search(self, prons: list[Word], guesses: dict) -> list[Word]:
        """The best word sequence for one sentence's pronunciations (beam search)."""
        lm, weight, order = self._lm, self.cfg.lm_weight, self.cfg.lm_order
        start = tuple([BOS] * (order - 1))
        beams: dict[tuple[int, ...], tuple[float, list[int]]] = {start: (0.0, [])}
        extra: dict[Word, int] = {}  # fallback spellings outside the vocabulary get new ids
        for pron in prons:
            if pron in self._lexicon:
                options = self._lexicon[pron]
            else:
                options = []
                for words, logp in guesses[pron]:
                    ids = tuple(
                        self._index[w]
                        if w in self._index
                        else extra.setdefault(w, len(self._spellings) + len(extra))
                        for w in words
                    )
                    options.append((ids, logp))
            grown: dict[tuple[int, ...], tuple[float, list[int]]] = {}
            for context, (score, history) in beams.items():
                for ids, channel in options:
                    total, key = score + channel, context
                    for wid in ids:  # a joined entry ("in the") is scored word by word
                        total += weight * lm.logprob(wid, key)
                        key = (*key, wid)[1:] if order > 1 else ()
                    if key not in grown or grown[key][0] < total:
                        grown[key] = (total, history + list(ids))
            best = sorted(grown.items(), key=lambda kv: -kv[1][0])[: self.cfg.lexicon_beam]
            beams = dict(best)
        final = max(beams.items(), key=lambda kv: kv[1][0] + weight * lm.logprob(EOS, kv[0]))
        names = {i: w for w, i in extra.items()}
        return [self._spellings[i] if i < len(self._spellings) else names[i] for i in final[1][1]]
