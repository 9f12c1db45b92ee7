"""Align a sentence's written words with its spoken words when a speech front end joined some.

espeak-ng says frequent pairs as one word ("in the" -> ``I n D @2``, "there are", "have
been"), so about one unpaired sentence in five has fewer phoneme words than written words.
Those sentences hold exactly the joined pronunciations a lexicon needs, so rather than skip
them, :func:`group_words` finds which written words each phoneme word covers: a monotonic
alignment in which every phoneme word covers 1..``max_group`` written words, single words
must be pairs already ``known`` (seen in sentences whose counts agree), and groups go where
they make that possible. Ambiguous or unexplained sentences give None.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

Pair = tuple[Hashable, tuple[Hashable, ...]]


def group_words(
    spoken: Sequence[Hashable],
    written: Sequence[Hashable],
    known: set[tuple[Hashable, Hashable]],
    max_group: int = 3,
) -> list[Pair] | None:
    """``[(spoken word, (written words...)), ...]`` covering both sequences in order, or None.

    A single written word must form a ``known`` (spoken, written) pair; the alignment with
    the fewest groups wins and must be unique (two different placements of a group that both
    explain the sentence are ambiguous, so no pair is learned from it).
    """
    n, m = len(written), len(spoken)
    if m == 0 or n < m or n > m * max_group:
        return None
    inf = (n + 1, 0)
    # best[i][j]: (groups used, placements) aligning written[:i] with spoken[:j]
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[int]] = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = (0, 1)
    for j in range(1, m + 1):
        for i in range(j, min(n, j * max_group) + 1):
            options = []
            for k in range(1, min(max_group, i) + 1):
                groups, ways = best[i - k][j - 1]
                if groups > n or (k == 1 and (spoken[j - 1], written[i - 1]) not in known):
                    continue
                options.append((groups + (k > 1), ways, k))
            if not options:
                continue
            fewest = min(o[0] for o in options)
            ways = sum(o[1] for o in options if o[0] == fewest)
            best[i][j] = (fewest, ways)
            back[i][j] = next(o[2] for o in options if o[0] == fewest)
    groups, ways = best[n][m]
    if groups > n or ways != 1:
        return None
    out: list[Pair] = []
    i = n
    for j in range(m, 0, -1):
        k = back[i][j]
        out.append((spoken[j - 1], tuple(written[i - k : i])))
        i -= k
    return out[::-1]
