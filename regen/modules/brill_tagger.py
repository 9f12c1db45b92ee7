"""Offline English part-of-speech tagging: Brill's lexicon and rules, as Debian ships them.

Debian's ``python3-pattern`` carries the lexicon (about 94,000 words with their most frequent
Penn Treebank tag), the morphological rules for unknown words and the contextual rules of
Brill's tagger (v1.14, trained on the Brown corpus and the Penn Treebank) as plain text files.
Importing ``pattern.text`` itself fails on Python 3.9+ (it imports ``xml.etree.cElementTree``)
and ``pattern.text.en`` tries to download WordNet, so this module reads the three files and
applies them the way pattern's ``find_tags`` does (pattern is BSD-licensed; the code here is
our own): lexicon look-up, then for unknown words NNP when capitalised, CD when numeric, else
the morphological rules starting from NN; then the contextual rules over the whole sentence.
Deterministic and dependency-free.

    tagger = BrillTagger.load()
    tagger.tag(["Python", "library", "for", "parsing", "files"])
    # [("Python", "NNP"), ("library", "NN"), ("for", "IN"), ("parsing", "VBG"), ("files", "NNS")]
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from regen.errors import DataError

PATTERN_DIR = Path("/usr/lib/python3/dist-packages/pattern/text/en")
FILES = ("en-lexicon.txt", "en-morphology.txt", "en-context.txt")
NUMBER = re.compile(r"^[0-9\-\,\.\:\/\%\$]+$")  # pattern's CD rule for unknown words
_EDGE = ("STAART", "STAART")  # Brill's sentence-edge token


def _lines(path: Path) -> list[list[str]]:
    return [
        line.split()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(";;;")
    ]


class BrillTagger:
    """Penn Treebank tags for a tokenized sentence, from Brill's lexicon and rules."""

    def __init__(
        self, lexicon: dict[str, str], morphology: list[list[str]], context: list[list[str]]
    ) -> None:
        self.lexicon = lexicon
        self.morphology = morphology
        self.context = context

    @classmethod
    def load(cls, folder: Path = PATTERN_DIR) -> BrillTagger:
        """The tagger of the files in ``folder``; a one-line DataError naming the Debian
        package when they are absent."""
        return _load(Path(folder))

    def tag(self, tokens: list[str]) -> list[tuple[str, str]]:
        """``[(token, tag), ...]`` for one sentence's tokens."""
        tagged = [
            [t, self.lexicon.get(t) or (self.lexicon.get(t.lower()) if i == 0 else None)]
            for i, t in enumerate(tokens)
        ]
        for i, (token, tag) in enumerate(tagged):
            if tag is not None:
                continue
            if token.istitle():
                tagged[i][1] = "NNP"
            elif NUMBER.match(token):
                tagged[i][1] = "CD"
            else:
                prev = tagged[i - 1] if i > 0 else (None, None)
                nxt = tagged[i + 1] if i + 1 < len(tagged) else (None, None)
                tagged[i][1] = self._morphology(token, "NN", prev, nxt)
        return [(w, t) for w, t in self._context(tagged)]

    def _morphology(self, word: str, tag: str, prev: tuple, nxt: tuple) -> str:
        # rule forms: "ly hassuf 2 RB x" and, conditioned on the current tag, "NN s fhassuf 1 NNS x"
        for rule in self.morphology:
            if rule[1] in _MORPH_COMMANDS:
                x, new, command = rule[0], rule[-2], rule[1].lower()
            elif rule[2] in _MORPH_COMMANDS:
                if tag != rule[0]:
                    continue
                x, new, command = rule[1], rule[-2], rule[2].lower()
            else:
                continue
            command = command.removeprefix("f")
            known = self.lexicon
            if (
                (command == "word" and x == word)
                or (command == "char" and x in word)
                or (command == "haspref" and word.startswith(x))
                or (command == "hassuf" and word.endswith(x))
                or (command == "addpref" and x + word in known)
                or (command == "addsuf" and word + x in known)
                or (command == "deletepref" and word.startswith(x) and word[len(x) :] in known)
                or (command == "deletesuf" and word.endswith(x) and word[: -len(x)] in known)
                or (command == "goodleft" and x == nxt[0])
                or (command == "goodright" and x == prev[0])
            ):
                tag = new
        return tag

    def _context(self, tagged: list[list]) -> list[list]:
        t = [list(_EDGE)] * 3 + tagged + [list(_EDGE)] * 3
        for i in range(3, len(t) - 3):
            for rule in self.context:
                if t[i][1] != rule[0] and rule[0] != "*":
                    continue
                command, x = rule[2].lower(), rule[3]
                y = rule[4] if len(rule) > 4 else ""
                if _context_matches(t, i, command, x, y):
                    t[i] = [t[i][0], rule[1]]
        return t[3:-3]


def _context_matches(t: list[list], i: int, command: str, x: str, y: str) -> bool:
    word, tag = (lambda k: t[i + k][0]), (lambda k: t[i + k][1])
    checks = {
        "prevtag": lambda: x == tag(-1),
        "nexttag": lambda: x == tag(1),
        "prev2tag": lambda: x == tag(-2),
        "next2tag": lambda: x == tag(2),
        "prev1or2tag": lambda: x in (tag(-1), tag(-2)),
        "next1or2tag": lambda: x in (tag(1), tag(2)),
        "prev1or2or3tag": lambda: x in (tag(-1), tag(-2), tag(-3)),
        "next1or2or3tag": lambda: x in (tag(1), tag(2), tag(3)),
        "surroundtag": lambda: x == tag(-1) and y == tag(1),
        "curwd": lambda: x == word(0),
        "prevwd": lambda: x == word(-1),
        "nextwd": lambda: x == word(1),
        "prev1or2wd": lambda: x in (word(-1), word(-2)),
        "next1or2wd": lambda: x in (word(1), word(2)),
        "prevwdtag": lambda: x == word(-1) and y == tag(-1),
        "nextwdtag": lambda: x == word(1) and y == tag(1),
        "wdprevtag": lambda: x == tag(-1) and y == word(0),
        "wdnexttag": lambda: x == word(0) and y == tag(1),
        "wdand2aft": lambda: x == word(0) and y == word(2),
        "wdand2tagbfr": lambda: x == tag(-2) and y == word(0),
        "wdand2tagaft": lambda: x == word(0) and y == tag(2),
        "lbigram": lambda: x == word(-1) and y == word(0),
        "rbigram": lambda: x == word(0) and y == word(1),
        "prevbigram": lambda: x == tag(-2) and y == tag(-1),
        "nextbigram": lambda: x == tag(1) and y == tag(2),
    }
    check = checks.get(command)
    return bool(check and check())


_MORPH_COMMANDS = {
    prefix + name
    for prefix in ("", "f")
    for name in (
        "word",
        "char",
        "haspref",
        "hassuf",
        "addpref",
        "addsuf",
        "deletepref",
        "deletesuf",
        "goodleft",
        "goodright",
    )
}


@cache
def _load(folder: Path) -> BrillTagger:
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise DataError(
            f"the Brill tagger files ({missing[0]}) are not in {folder}; "
            "install them with: sudo apt-get install python3-pattern"
        )
    lexicon_rows, morphology, context = (_lines(folder / name) for name in FILES)
    lexicon = {row[0]: row[1] for row in lexicon_rows if len(row) >= 2}
    return BrillTagger(lexicon, morphology, context)
