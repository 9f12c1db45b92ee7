"""Files and folders a command writes for the user (``--out``).

Every command that writes a user file follows the same two steps, so that a failed or
interrupted command never leaves half a file and never destroys the file that was there:

    out = check_output_file(args.out, (".png",))     # before any work: suffix, folder, parent
    ...                                              # the slow part
    with atomic_output(out) as tmp:                  # write beside the target, then rename
        tmp.write_bytes(data)

The temporary file sits in the target's folder (a rename across file systems is not atomic),
is hidden, names the writing process and keeps the target's suffix, so that writers which pick
the format from the suffix (soundfile, pretty_midi, music21) behave as for the target itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from regen.errors import OutputError


def check_output_file(path: str | Path, suffixes: tuple[str, ...], flag: str = "--out") -> Path:
    """``path`` as a file the command may write: one of ``suffixes`` (lower case, with the dot),
    not a folder, in a folder that exists afterwards (missing parents are created).

    Raises:
        OutputError: one line naming ``flag``, the path and the fix.
    """
    path = Path(path)
    example = f"out{suffixes[0]}"
    if str(path) in ("", ".") or path.is_dir():
        raise OutputError(f"{flag} {path} is a folder; give a file name, e.g. {path / example}")
    if path.suffix.lower() not in suffixes:
        raise OutputError(
            f"{flag} {path}: use a file name ending in {' or '.join(suffixes)}, e.g. {example}"
        )
    make_folder(path.parent, flag)
    if path.exists() and not path.is_file():
        raise OutputError(f"{flag} {path} exists and is not a regular file; give another name")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise OutputError(f"{flag} {path}: the folder {path.parent} is not writable")
    return path


def check_output_folder(path: str | Path, flag: str = "--out") -> Path:
    """``path`` as a folder the command may create or fill; nothing is created here."""
    path = Path(path)
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise OutputError(
            f"{flag} {path} is not a folder ({existing} is a file); give a folder path"
        )
    return path


def make_folder(folder: Path, flag: str = "--out") -> Path:
    """Create ``folder`` and its parents, with a one-line error when it cannot be made."""
    folder = Path(folder)
    check_output_folder(folder, flag)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{flag}: cannot create the folder {folder} ({_reason(exc)})") from None
    return folder


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends normally it replaces
    ``path`` in one rename. On any exception (Ctrl-C included) the temporary file is removed
    and ``path`` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        kept = "the previous file is unchanged" if path.exists() else "nothing was written"
        raise OutputError(f"cannot write {path} ({_reason(exc)}); {kept}") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> Path:
    """Atomically write ``data`` to ``path`` (checked with :func:`check_output_file` first)."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return path


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc).splitlines()[0]
