"""A lossless word-level tokenizer with a character fallback, for short English texts.

Text is cut into pieces that carry their leading space (``" library"``, ``","``, ``"/NNS"``),
as SentencePiece's "▁" does, so ``decode(encode(text)) == text`` for any text whose characters
were seen in fitting (whitespace runs normalised to one space). The vocabulary holds the most
frequent pieces; a piece outside it is spelled character by character (the first character
keeps the space), so package names never seen in training can still be copied from X one
character at a time. Template slots (``/NN``, ``/VBG``) and ``<NUM>`` are single pieces.

Ids: 0 is padding (and the end of a generated text), 1 an unknown character.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

PAD, UNK = 0, 1
SPECIALS = ("<pad>", "<unk>")
PIECE = re.compile(r" ?(?:/[A-Z]+\$?|<NUM>|[A-Za-z]+|[0-9]+|[^\sA-Za-z0-9])")
SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """One space between words, none at the ends."""
    return SPACES.sub(" ", text).strip()


def pieces(text: str) -> list[str]:
    return PIECE.findall(" " + normalize(text))


class WordPieces:
    """Text <-> ids over a fitted vocabulary of pieces (see the module docstring)."""

    def __init__(self, vocab: list[str]) -> None:
        if list(vocab[: len(SPECIALS)]) != list(SPECIALS):
            raise ValueError(f"a WordPieces vocabulary starts with {SPECIALS}")
        self.vocab = list(vocab)
        self.ids = {piece: i for i, piece in enumerate(self.vocab)}

    @classmethod
    def fit(cls, texts: Iterable[str], size: int) -> WordPieces:
        """The ``size`` most frequent pieces of ``texts`` (ties by first appearance), plus
        every character seen, with and without a leading space."""
        counts: Counter[str] = Counter()
        chars: set[str] = set()
        for text in texts:
            found = pieces(text)
            counts.update(found)
            for piece in found:
                chars.update(piece.strip())
        singles = sorted({c for c in chars} | {" " + c for c in chars})
        words = [p for p, _ in counts.most_common() if p not in singles][: max(0, size)]
        return cls([*SPECIALS, *singles, *words])

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        out: list[int] = []
        for piece in pieces(text):
            if piece in self.ids:
                out.append(self.ids[piece])
                continue
            spelled = [piece[:2], *piece[2:]] if piece.startswith(" ") else list(piece)
            out += [self.ids.get(c, UNK) for c in spelled]
        return out

    def decode(self, ids: Iterable[int]) -> str:
        text = "".join(self.vocab[i] if 0 < i < len(self.vocab) else "" for i in ids if i != UNK)
        return text.strip()
