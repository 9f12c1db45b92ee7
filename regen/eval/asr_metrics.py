"""Speech recognition metrics (definitions in docs/asr.md), computed with jiwer.

- WER: word edit distance / reference words, over all utterances pooled (jiwer's corpus WER).
- CER: character edit distance / reference characters, spaces included, pooled.
- PER: phoneme edit distance / reference phonemes, pooled, on the phoneme symbols only
  (word boundaries and stress marks are left out, so PER is comparable across the
  representation options).

All texts are compared in the normal form of :func:`normalize_transcript`. Beside the
numbers, the same alignments give the most frequent phoneme confusions and error-marked
word sequences for the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import jiwer

# One phoneme symbol per jiwer "word": symbols contain no spaces.
Symbols = Sequence[str]
GAP = "∅"


def error_rates(references: Sequence[str], hypotheses: Sequence[str]) -> dict[str, float]:
    """``{"cer": .., "wer": ..}`` of normalized hypotheses against normalized references."""
    _check(references, hypotheses)
    refs, hyps = list(references), list(hypotheses)
    return {
        "cer": float(jiwer.process_characters(refs, hyps).cer),
        "wer": float(jiwer.process_words(refs, hyps).wer),
    }


def phoneme_error_rate(references: Sequence[Symbols], hypotheses: Sequence[Symbols]) -> float:
    """PER over symbol sequences (each a list of phoneme strings without spaces)."""
    _check(references, hypotheses)
    return float(jiwer.process_words(_joined(references), _joined(hypotheses)).wer)


def phoneme_confusions(
    references: Sequence[Symbols], hypotheses: Sequence[Symbols], top: int = 15
) -> list[tuple[str, str, int]]:
    """The ``top`` most frequent phoneme errors as (reference, recognised, count).

    A deletion is (phoneme, "∅"), an insertion ("∅", phoneme).
    """
    _check(references, hypotheses)
    out = jiwer.process_words(_joined(references), _joined(hypotheses))
    counts: Counter[tuple[str, str]] = Counter()
    for ref, hyp, chunks in zip(out.references, out.hypotheses, out.alignments):
        for chunk in chunks:
            r = ref[chunk.ref_start_idx : chunk.ref_end_idx]
            h = hyp[chunk.hyp_start_idx : chunk.hyp_end_idx]
            if chunk.type == "substitute":
                counts.update(zip(r, h))
            elif chunk.type == "delete":
                counts.update((p, GAP) for p in r)
            elif chunk.type == "insert":
                counts.update((GAP, p) for p in h)
    return [(r, h, n) for (r, h), n in counts.most_common(top)]


def word_alignment(reference: str, hypothesis: str) -> list[tuple[str, str, str]]:
    """(kind, reference words, recognised words) spans, kind in equal/substitute/delete/insert."""
    if not reference.strip():
        return [("insert", "", hypothesis)] if hypothesis.strip() else []
    out = jiwer.process_words(reference, hypothesis)
    ref, hyp = out.references[0], out.hypotheses[0]
    return [
        (
            chunk.type,
            " ".join(ref[chunk.ref_start_idx : chunk.ref_end_idx]),
            " ".join(hyp[chunk.hyp_start_idx : chunk.hyp_end_idx]),
        )
        for chunk in out.alignments[0]
    ]


def _joined(sequences: Sequence[Symbols]) -> list[str]:
    return [" ".join(symbols) for symbols in sequences]


def _check(references: Sequence, hypotheses: Sequence) -> None:
    if len(references) != len(hypotheses) or not references:
        raise ValueError(
            f"need as many hypotheses as references (got {len(hypotheses)} and "
            f"{len(references)}), at least one"
        )
    if any(not (" ".join(r) if not isinstance(r, str) else r).strip() for r in references):
        raise ValueError("an empty reference has no error rate; drop it before scoring")


def flagged_word_errors(
    references: Sequence[str], hypotheses: Sequence[str], flags: Sequence[Sequence[bool]]
) -> tuple[int, int]:
    """(wrong, counted) over the reference words whose flag is set (``flags[i][j]`` for word
    j of reference i); a word is right when the word alignment keeps it unchanged."""
    _check(references, hypotheses)
    wrong = counted = 0
    for reference, hypothesis, marks in zip(references, hypotheses, flags):
        words = reference.split()
        if len(marks) != len(words):
            raise ValueError(f"{len(marks)} flags for the {len(words)} words of {reference!r}")
        right = [False] * len(words)
        if words and hypothesis.split():
            out = jiwer.process_words(reference, hypothesis)
            for chunk in out.alignments[0]:
                if chunk.type == "equal":
                    right[chunk.ref_start_idx : chunk.ref_end_idx] = [True] * (
                        chunk.ref_end_idx - chunk.ref_start_idx
                    )
        counted += sum(marks)
        wrong += sum(1 for m, r in zip(marks, right) if m and not r)
    return wrong, counted
