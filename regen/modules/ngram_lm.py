"""A word n-gram language model with interpolated Kneser-Ney smoothing.

    lm = KneserNeyLM(order=3)
    lm.fit([[4, 7, 9], [4, 7, 2]])          # sentences as word ids (ints >= 0)
    lm.logprob(9, (4, 7))                   # natural log P(9 | 4 7)

Sentences are padded with ``order - 1`` :data:`BOS` and one :data:`EOS`. Everything the model
needs follows from the raw counts of the highest order (:meth:`counts`, an int64 tensor, so
a fitted model is saved in safetensors and rebuilt by :meth:`load_counts`): lower orders
use continuation counts (how many distinct words precede an n-gram), except n-grams that
start with BOS, which nothing can precede and which keep their raw counts. Each order has
one absolute discount ``D = n1 / (n1 + 2 n2)`` from its count-of-counts; the unigram level
interpolates with a uniform distribution over the vocabulary plus one unknown word, so an
unseen word gets a small, non-zero probability.

Written here rather than taken from ``nltk.lm`` (not installed; its KneserNeyInterpolated
scores with a uniform unigram and is slow per query, nltk/nltk#2599, #3317): decoding asks
for a few thousand probabilities per sentence, each a handful of dictionary look-ups here.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import torch
from torch import Tensor

from regen.errors import ConfigError, DataError

BOS, EOS = -1, -2  # padding ids; real words are >= 0
CACHE_LIMIT = 1_000_000  # remembered probabilities (a decode asks for the same ones often)


class KneserNeyLM:
    """Interpolated Kneser-Ney n-gram model over integer word ids.

    Args:
        order: n of the n-grams (3: a trigram model).
    """

    def __init__(self, order: int = 3) -> None:
        if order < 1:
            raise ConfigError(f"an n-gram model needs order >= 1, got {order}")
        self.order = order
        self._raw: Counter[tuple[int, ...]] = Counter()
        self._prepare()

    # ------------------------------------------------------------------ fitting

    def fit(self, sentences: list[list[int]]) -> KneserNeyLM:
        """Count the n-grams of ``sentences`` (lists of word ids >= 0); returns self."""
        raw: Counter[tuple[int, ...]] = Counter()
        pad = [BOS] * (self.order - 1)
        for words in sentences:
            if any(w < 0 for w in words):
                raise DataError("word ids of the language model must be >= 0")
            padded = pad + list(words) + [EOS]
            for i in range(len(padded) - self.order + 1):
                raw[tuple(padded[i : i + self.order])] += 1
        self._raw = raw
        self._prepare()
        return self

    def counts(self) -> Tensor:
        """The raw highest-order counts as int64 [M, order + 1]: n-gram ids, then count."""
        rows = [[*gram, n] for gram, n in sorted(self._raw.items())]
        return torch.tensor(rows, dtype=torch.long).reshape(-1, self.order + 1)

    def load_counts(self, table: Tensor) -> KneserNeyLM:
        """Rebuild the model from :meth:`counts` (of a model of the same order)."""
        if table.ndim != 2 or table.shape[1] != self.order + 1:
            raise DataError(
                f"n-gram counts of shape {list(table.shape)} do not fit an order-{self.order} "
                "model; load them into a model of the order that saved them"
            )
        self._raw = Counter({tuple(row[:-1]): row[-1] for row in table.tolist()})
        self._prepare()
        return self

    def _prepare(self) -> None:
        """Counts, discounts and context totals of every order from the raw counts."""
        n = self.order
        counts: list[Counter[tuple[int, ...]]] = [Counter() for _ in range(n + 1)]
        counts[n] = Counter(self._raw)
        for k in range(n - 1, 0, -1):  # order k from the complete order k + 1
            for gram in counts[k + 1]:  # continuation counts: distinct left neighbours
                if gram[1] != BOS:
                    counts[k][gram[1:]] += 1
            for gram, c in self._raw.items():
                # n-grams starting with BOS cannot be continued from the left: raw counts
                if all(t == BOS for t in gram[: n - k + 1]):
                    counts[k][gram[n - k :]] += c
        self._counts = counts
        self._discount = [0.0] + [_discount(counts[k]) for k in range(1, n + 1)]
        self._total: list[dict[tuple[int, ...], int]] = [{} for _ in range(n + 1)]
        self._types: list[dict[tuple[int, ...], int]] = [{} for _ in range(n + 1)]
        for k in range(1, n + 1):
            total: dict[tuple[int, ...], int] = defaultdict(int)
            types: dict[tuple[int, ...], int] = defaultdict(int)
            for gram, c in counts[k].items():
                total[gram[:-1]] += c
                types[gram[:-1]] += 1
            self._total[k], self._types[k] = dict(total), dict(types)
        self.vocab = {g[0] for g in counts[1] if g[0] >= 0}
        self._cache: dict[tuple[int, tuple[int, ...]], float] = {}

    # ------------------------------------------------------------------ scoring

    def prob(self, word: int, context: tuple[int, ...] = ()) -> float:
        """P(word | context); ``context`` holds the preceding ids (BOS at a sentence start),
        only its last ``order - 1`` matter. ``word`` may be :data:`EOS`."""
        context = tuple(context)[len(context) - self.order + 1 :] if self.order > 1 else ()
        key = (word, context)
        if key not in self._cache:
            if len(self._cache) > CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = self._prob(word, context)
        return self._cache[key]

    def logprob(self, word: int, context: tuple[int, ...] = ()) -> float:
        """Natural log of :meth:`prob`."""
        return math.log(self.prob(word, context))

    def _prob(self, word: int, context: tuple[int, ...]) -> float:
        # Uniform floor over the seen words, EOS and one unknown word.
        p = 1.0 / (len(self.vocab) + 2)
        for k in range(1, self.order + 1):
            if len(context) < k - 1:
                break
            history = context[len(context) - k + 1 :] if k > 1 else ()
            total = self._total[k].get(history, 0)
            if not total:
                continue  # unseen context: the lower order stands as it is
            d = self._discount[k]
            c = self._counts[k].get((*history, word), 0)
            p = max(c - d, 0.0) / total + d * self._types[k][history] / total * p
        return p

    def sentence_logprob(self, words: list[int]) -> float:
        """Log probability of a whole sentence, EOS included."""
        history = [BOS] * (self.order - 1)
        total = 0.0
        for word in [*words, EOS]:
            total += self.logprob(word, tuple(history))
            history = (history + [word])[1:] if self.order > 1 else []
        return total


def _discount(counts: Counter[tuple[int, ...]]) -> float:
    """Ney's absolute discount n1 / (n1 + 2 n2), kept in [0.1, 0.9] for tiny corpora."""
    n1 = sum(1 for c in counts.values() if c == 1)
    n2 = sum(1 for c in counts.values() if c == 2)
    if not n1:
        return 0.5
    return min(0.9, max(0.1, n1 / (n1 + 2 * n2)))
