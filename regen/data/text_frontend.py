"""Text front end: normalisation, espeak-ng phonemes, and the phoneme vocabulary.

    normalize_text("Dr. Smith paid $42.")  -> "Doctor Smith paid forty two dollars."
    phonemize(["Hello there."])            -> [["h", "@", "l", "oU", "|", "D", "e@", "_:", "_"]]

Normalisation spells out numbers, common abbreviations and symbols, keeps , . ; : ! ? as
pauses, and turns accented letters into plain ones. Characters it cannot read (emoji,
other scripts) are DROPPED and logged, so a stray emoji never stops a long text; a text
with nothing speakable left raises a one-line DataError.

Phonemes are eSpeak's mnemonics taken from the synthesizer's own phoneme events (see
:mod:`regen.data.espeak`), so they are exactly the symbols the corpus durations belong to.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from regen.data.espeak import WORD_BOUNDARY, synthesize
from regen.data.speech_engines import phoneme_voice
from regen.errors import DataError

log = logging.getLogger(__name__)

# Every symbol espeak-ng 1.51 produced for 1,500 fortune sentences in seven English voices
# (en-us, en-gb, en-us+f2, en-gb-scotland+m3, en-029+f4, en-gb-x-rp, en-us+m7). Anything
# else maps to <unk>, so a vocabulary built today still reads phonemes of other voices.
PHONEME_SET: tuple[str, ...] = (
    "0", "3", "3:", ";", "?", "@", "@-", "@2", "@5", "@L", "A:", "A@", "D", "E", "I", "I#",
    "I2", "IR", "N", "O", "O2", "O:", "O@", "OI", "S", "T", "U", "U@", "V", "VR", "Z", "_",
    "_!", "_:", "a", "a#", "aI", "aI2", "aI3", "aI@", "aU", "aa", "b", "d", "dZ", "e@", "eI",
    "f", "g", "h", "i", "i:", "i@", "i@3", "j", "k", "l", "m", "n", "n-", "o", "o@", "oU",
    "p", "r", "r-", "s", "t", "t#", "t2", "tS", "t[", "u:", "v", "w", "w#", "x", "z",
    WORD_BOUNDARY,
)  # fmt: skip

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"

_ABBREVIATIONS = {
    "mr": "Mister", "mrs": "Missus", "ms": "Miss", "dr": "Doctor", "st": "Saint",
    "prof": "Professor", "jr": "Junior", "sr": "Senior", "gen": "General", "capt": "Captain",
    "lt": "Lieutenant", "col": "Colonel", "sgt": "Sergeant", "rev": "Reverend", "vs": "versus",
    "etc": "et cetera", "co": "Company", "ltd": "Limited", "no": "number", "mt": "Mount",
}  # fmt: skip
_SYMBOLS = {
    "&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at ",
    "#": " number ", "/": " slash ", "*": " ", "_": " ", "~": " ",
}  # fmt: skip
_PAUSES = {"(": ", ", ")": ", ", "[": ", ", "]": ", ", "{": ", ", "}": ", ", '"': " ", "`": "'"}
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_ENDINGS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                    "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip
_ALLOWED = re.compile(r"[A-Za-z ,.;:!?'\-]")


def number_to_words(n: int) -> str:
    """English words for a non-negative integer below 10**15 (``42`` -> ``forty two``)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    for scale, name in _SCALES:
        if n >= scale:
            head, rest = divmod(n, scale)
            tail = "" if rest == 0 else " " + number_to_words(rest)
            return number_to_words(head) + " " + name + tail
    raise ValueError(n)


def _ordinal(words: str) -> str:
    head, _, last = words.rpartition(" ")
    if last in _ORDINAL_ENDINGS:
        last = _ORDINAL_ENDINGS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head} {last}".strip()


def _spell_number(match: re.Match[str]) -> str:
    dollars, digits, decimals, suffix = match.groups()
    digits = digits.replace(",", "")
    if len(digits) > 15:  # longer digit strings are read digit by digit
        words = " ".join(_ONES[int(d)] for d in digits)
    else:
        words = number_to_words(int(digits))
    if decimals:
        words += " point " + " ".join(_ONES[int(d)] for d in decimals)
    if suffix:
        words = _ordinal(words)
    if dollars:
        words += " dollar" + ("" if digits == "1" and not decimals else "s")
    return f" {words} "


def normalize_text(text: str) -> str:
    """Text espeak-ng reads the same way every time: words, spaces and , . ; : ! ? ' -.

    Raises:
        DataError: nothing speakable is left (empty, only punctuation, only emoji).
    """
    text = _spelled_out(text)
    dropped = _unreadable(text)
    if dropped:
        log.info("dropped characters espeak-ng cannot read: %s", " ".join(dropped))
        text = "".join(c if _ALLOWED.match(c) or c.isspace() else " " for c in text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))
    text = re.sub(r"([,.;:!?])(?:[\s,.;:!?]*[,.;:!?])+", lambda m: m.group(0).strip()[-1], text)
    text = text.strip(" ,;:")
    if not re.search(r"[A-Za-z]", text):
        raise DataError(
            "the text has nothing to speak (no letters or numbers left after normalisation); "
            "give at least one word"
        )
    return text


def unspeakable_characters(text: str) -> list[str]:
    """The characters of ``text`` that :func:`normalize_text` would drop (emoji, other
    scripts), sorted: a transcript holding them does not match its recording."""
    return _unreadable(_spelled_out(text))


def _unreadable(text: str) -> list[str]:
    return sorted({c for c in text if not _ALLOWED.match(c) and not c.isspace()})


def _spelled_out(text: str) -> str:
    """Numbers, abbreviations and symbols spelled out, accents and fancy quotes made plain."""
    text = unicodedata.normalize("NFKC", text)
    for fancy, plain in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(fancy, plain)
    text = re.sub(r"[\u2013\u2014]", ", ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(\$)?(\d[\d,]*)(?:\.(\d+))?(st|nd|rd|th)?\b", _spell_number, text)
    text = re.sub(
        r"\b([A-Za-z]+)\.(?=\s|$)",
        lambda m: _ABBREVIATIONS.get(m.group(1).lower(), m.group(0)),
        text,
    )
    for table in (_SYMBOLS, _PAUSES):
        for symbol, spoken in table.items():
            text = text.replace(symbol, spoken)
    return text


@lru_cache(maxsize=4096)
def _phonemes(text: str, voice: str) -> tuple[str, ...]:
    return tuple(synthesize(text, voice).phonemes)


def clear_phoneme_cache() -> None:
    """Forget cached phonemes (so that timing a front end measures espeak-ng, not the cache)."""
    _phonemes.cache_clear()


def phonemize(texts: Sequence[str], voice: str = "en-us") -> list[list[str]]:
    """eSpeak phoneme mnemonics of each text with ``"|"`` between words (cached per text).

    ``voice`` may be any corpus voice: a flite or festival voice (``flite:slt``) is
    pronounced as the espeak-ng voice its corpus phonemes come from (``phoneme_voice``).
    """
    if isinstance(texts, str):
        raise TypeError("phonemize takes a list of texts; wrap a single text in a list")
    voice = phoneme_voice(voice)
    out = []
    for text in texts:
        phonemes = list(_phonemes(text, voice))
        if not phonemes:
            raise DataError(f"espeak-ng found nothing to say in {text[:40]!r}; give a word")
        out.append(phonemes)
    return out


class PhonemeVocabulary:
    """Phoneme symbols <-> integer ids; ``pad`` is 0, then unk, bos, eos, then the symbols."""

    def __init__(self, symbols: Sequence[str] = PHONEME_SET) -> None:
        specials = [PAD, UNK, BOS, EOS]
        self.symbols = specials + [s for s in dict.fromkeys(symbols) if s not in specials]
        self._ids = {s: i for i, s in enumerate(self.symbols)}
        self.pad_id, self.unk_id, self.bos_id, self.eos_id = range(4)

    def __len__(self) -> int:
        return len(self.symbols)

    def encode(self, phonemes: Sequence[str]) -> list[int]:
        """Ids of ``phonemes``; symbols outside the vocabulary become ``unk_id``."""
        return [self._ids.get(p, self.unk_id) for p in phonemes]

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Symbols of ``ids``, padding left out."""
        return [self.symbols[i] for i in ids if i != self.pad_id]

    def to_dict(self) -> dict[str, Any]:
        return {"symbols": self.symbols[4:]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhonemeVocabulary:
        return cls(data["symbols"])
