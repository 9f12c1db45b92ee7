"""Lemmas from WordNet's morphology (``morphy``), read from Debian's ``wordnet-base`` files.

WordNet's own algorithm: a word in the part of speech's exception list (``noun.exc``:
"mice mouse") maps to its base form; otherwise the word itself if it is a lemma of that part
of speech (``index.noun``), else the first detachment rule ("-ies" -> "-y", "-ing" -> "", ...)
whose result is a lemma; a word none of these reach is its own lemma. Deterministic, offline.

    morphy = WordNetMorphy.load()
    morphy.lemma("libraries", "noun")   # "library"
    morphy.lemma("parsing", "verb")     # "parse"
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from regen.errors import DataError

WORDNET_DIR = Path("/usr/share/wordnet")
POS_FILES = {"noun": "noun", "verb": "verb", "adj": "adj", "adv": "adv"}
RULES = {  # WordNet's detachment rules (morph.c), in its order
    "noun": [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
             ("men", "man"), ("ies", "y")],
    "verb": [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""),
             ("ing", "e"), ("ing", "")],
    "adj": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "adv": [],
}  # fmt: skip


class WordNetMorphy:
    """Base forms of English words per part of speech (noun, verb, adj, adv)."""

    def __init__(self, lemmas: dict[str, set[str]], exceptions: dict[str, dict[str, str]]):
        self.lemmas = lemmas
        self.exceptions = exceptions

    @classmethod
    def load(cls, folder: Path = WORDNET_DIR) -> WordNetMorphy:
        """The morphology of the WordNet files in ``folder``; a one-line DataError naming the
        Debian package when they are absent."""
        return _load(Path(folder))

    def lemma(self, word: str, pos: str) -> str:
        """The base form of lower-case ``word`` as ``pos`` (the word itself when unknown)."""
        if pos not in RULES:
            return word
        if word in self.exceptions[pos]:
            return self.exceptions[pos][word]
        known = self.lemmas[pos]
        if word in known:
            return word
        for suffix, ending in RULES[pos]:
            if word.endswith(suffix) and len(word) > len(suffix):
                base = word[: len(word) - len(suffix)] + ending
                if base in known:
                    return base
        return word


@cache
def _load(folder: Path) -> WordNetMorphy:
    lemmas, exceptions = {}, {}
    for pos, name in POS_FILES.items():
        index, exc = folder / f"index.{name}", folder / f"{name}.exc"
        if not index.is_file() or not exc.is_file():
            raise DataError(
                f"WordNet's {index.name} is not in {folder}; "
                "install it with: sudo apt-get install wordnet-base"
            )
        lemmas[pos] = {
            line.split(" ", 1)[0]
            for line in index.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith(" ")
        }
        table: dict[str, str] = {}
        for line in exc.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                table.setdefault(parts[0], parts[1])
        exceptions[pos] = table
    return WordNetMorphy(lemmas, exceptions)
