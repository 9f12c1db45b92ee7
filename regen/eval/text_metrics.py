"""Metrics of generated one-line texts, none of which needs a downloaded model.

- ``bleu``, ``chrf``: corpus BLEU and chrF of sacreBLEU (defaults: 13a tokenization, cased;
  chrF with character 6-grams, beta 2), one reference per item.
- ``rouge_l``: mean ROUGE-L F1 (longest common subsequence of lower-cased word tokens).
- ``template_f1``: template adherence, the mean F1 of the multisets of content lemmas of the
  generated and the reference synopsis (regen/representations/text_template.py).
- ``perplexity``: per-word perplexity under an interpolated Kneser-Ney n-gram model of the
  synopsis-only split (regen/modules/ngram_lm.py), lower-cased word tokens, EOS counted.
- ``distinct_1``/``distinct_2``: distinct word uni/bigrams over all of them.
- ``self_bleu``: mean sentence BLEU of each output against the other outputs (lower: more
  varied), over at most ``SELF_BLEU_ITEMS`` outputs.
- ``copy_rate``: share of outputs that equal a training synopsis exactly.
- ``hallucination``: share of generated content lemmas that appear nowhere in X (neither as
  a word of X nor as the lemma of one): a proxy for content not grounded in the record.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from sacrebleu.metrics import BLEU, CHRF

from regen.modules.ngram_lm import KneserNeyLM
from regen.modules.wordnet_morphy import WordNetMorphy
from regen.representations.text_template import content_lemmas, template_words

WORD = re.compile(r"[a-z0-9][a-z0-9.+#-]*[a-z0-9+#]|[a-z0-9]")
SELF_BLEU_ITEMS = 200


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    return float(BLEU().corpus_score(list(hypotheses), [list(references)]).score)


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    return float(CHRF().corpus_score(list(hypotheses), [list(references)]).score)


def _lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], prev + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def rouge_l(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Mean ROUGE-L F1 x 100."""
    scores = []
    for hyp, ref in zip(hypotheses, references):
        h, r = words(hyp), words(ref)
        common = _lcs(h, r)
        scores.append(0.0 if not common else 2 * common / (len(h) + len(r)))
    return 100 * sum(scores) / max(1, len(scores))


def multiset_f1(found: list[str], wanted: list[str]) -> float:
    if not found and not wanted:
        return 1.0
    common = sum((Counter(found) & Counter(wanted)).values())
    return 0.0 if not common else 2 * common / (len(found) + len(wanted))


def template_f1(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Mean content-lemma F1 x 100 between generated and reference synopses."""
    pairs = zip(hypotheses, references)
    scores = [multiset_f1(content_lemmas(h), content_lemmas(r)) for h, r in pairs]
    return 100 * sum(scores) / max(1, len(scores))


def generated_template_f1(made: Sequence[str], true: Sequence[str], kind: str) -> float:
    """Mean F1 x 100 between generated ``kind`` templates and the true ones, over their words
    (:func:`template_words`: tags and number slots left out)."""
    pairs = zip(made, true)
    scores = [multiset_f1(template_words(m, kind), template_words(t, kind)) for m, t in pairs]
    return 100 * sum(scores) / max(1, len(scores))


class SynopsisLM:
    """A word n-gram LM of synopses, for the perplexity of generated ones."""

    def __init__(self, texts: Sequence[str], order: int = 3) -> None:
        self.ids: dict[str, int] = {}
        self.lm = KneserNeyLM(order).fit([self._ids(t, grow=True) for t in texts])

    def _ids(self, text: str, grow: bool = False) -> list[int]:
        out = []
        for word in words(text):
            if word not in self.ids and grow:
                self.ids[word] = len(self.ids)
            out.append(self.ids.get(word, len(self.ids) + 1))  # unseen: one unknown id
        return out

    def perplexity(self, texts: Sequence[str]) -> float:
        total, count = 0.0, 0
        for text in texts:
            ids = self._ids(text)
            total += self.lm.sentence_logprob(ids)
            count += len(ids) + 1  # the end of the sentence is predicted too
        return math.exp(-total / max(1, count))


def distinct(texts: Sequence[str], n: int) -> float:
    grams = [tuple(w[i : i + n]) for w in map(words, texts) for i in range(len(w) - n + 1)]
    return len(set(grams)) / max(1, len(grams))


def self_bleu(texts: Sequence[str]) -> float:
    texts = list(texts)[:SELF_BLEU_ITEMS]
    if len(texts) < 2:
        return 0.0
    metric = BLEU(effective_order=True)
    scores = [
        metric.sentence_score(t, texts[:i] + texts[i + 1 :]).score for i, t in enumerate(texts)
    ]
    return sum(scores) / len(scores)


def copy_rate(texts: Sequence[str], training: set[str]) -> float:
    return 100 * sum(t in training for t in texts) / max(1, len(texts))


def x_lemmas(x: str) -> set[str]:
    """Every word of X and its lemmas as noun, verb and adjective."""
    morphy = WordNetMorphy.load()
    found = set()
    for word in words(x):
        found.add(word)
        found.update(morphy.lemma(word, pos) for pos in ("noun", "verb", "adj"))
    return found


def hallucination(hypotheses: Sequence[str], x_texts: Sequence[str]) -> float:
    """Share (x 100) of generated content lemmas absent from the item's X."""
    absent, total = 0, 0
    for hyp, x in zip(hypotheses, x_texts):
        known = x_lemmas(x)
        lemmas = [w for lemma in content_lemmas(hyp) for w in words(lemma)]
        total += len(lemmas)
        absent += sum(lemma not in known for lemma in lemmas)
    return 100 * absent / max(1, total)


def text_metrics(
    hypotheses: Sequence[str],
    references: Sequence[str],
    x_texts: Sequence[str],
    lm: SynopsisLM,
    training: set[str],
) -> dict[str, float]:
    """Every metric of the module docstring for one system's outputs."""
    return {
        "bleu": bleu(hypotheses, references),
        "chrf": chrf(hypotheses, references),
        "rouge_l": rouge_l(hypotheses, references),
        "template_f1": template_f1(hypotheses, references),
        "perplexity": lm.perplexity(hypotheses),
        "distinct_1": distinct(hypotheses, 1),
        "distinct_2": distinct(hypotheses, 2),
        "self_bleu": self_bleu(hypotheses),
        "copy_rate": copy_rate(hypotheses, training),
        "hallucination": hallucination(hypotheses, x_texts),
        "mean_words": sum(len(h.split()) for h in hypotheses) / max(1, len(hypotheses)),
    }
