"""Unpaired text from a user's plain ``.txt`` files: one sentence or paragraph a line.

A path is a ``.txt`` file or a folder whose ``.txt`` files (subfolders too) are read in name
order. Each non-empty line is split into sentences (after . ! ?), so a paragraph a line
works as well as a sentence a line. A file that is not UTF-8 text, and a sentence with
characters the text front end cannot speak (other scripts, emoji), are skipped and counted
in a :class:`regen.data.store.SkipLog` (with ``data.strict=true``: a one-line error naming
the file and line). The files are only read, never written.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from regen.data.sentences import split_sentences
from regen.data.store import SkipLog
from regen.data.text_frontend import unspeakable_characters
from regen.errors import ConfigError


def text_files(paths: list[str], setting: str = "text.sources") -> list[Path]:
    """The ``.txt`` files the ``paths`` of ``setting`` name, or a one-line ConfigError."""
    files: list[Path] = []
    for raw in paths:
        path = Path(str(raw)).expanduser().resolve()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not found:
                raise ConfigError(f"{setting}: the folder {path} holds no .txt files")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"{setting}: {path} does not exist; give .txt files or folders")
    return files


def read_sentences(files: list[Path], skipped: SkipLog) -> Iterator[tuple[str, str]]:
    """``(sentence, where)`` of every speakable sentence of ``files`` (``where``: file and
    line, for messages); the rest goes to ``skipped``."""
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8-sig").splitlines()
        except UnicodeDecodeError:
            skipped.skip(file.name, "not UTF-8 text")
            continue
        for number, line in enumerate(lines, start=1):
            for sentence in split_sentences(line):
                where = f"{file.name} line {number}"
                unspeakable = unspeakable_characters(sentence)
                if unspeakable:
                    skipped.skip(
                        f"{where} [{' '.join(unspeakable)}]",
                        "text has characters the front end cannot speak",
                    )
                    continue
                yield sentence, where
