"""One training process per run folder.

Two trainings writing the same run folder interleave their logs and swap checkpoint folders
under each other. :func:`run_lock` holds an exclusive ``flock`` on ``<run>/.regen.lock`` for
as long as a command trains into the folder; a second process gets a one-line error naming
the holder's pid. The kernel drops a ``flock`` when its process dies, however it dies, so a
lock file left by a killed run is stale by construction: it is taken over with a note.

The lock file exists only while it is held: it is removed before it is unlocked, and a process
that locked a file which was removed meanwhile retries on the new one.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from regen.errors import RunInUseError
from regen.outputs import make_folder

LOCK_FILE = ".regen.lock"
_HELD: dict[Path, int] = {}  # folders this process holds, with their nesting depth


@contextmanager
def run_lock(folder: str | Path, *, enabled: bool = True) -> Iterator[Path]:
    """Hold the run folder ``folder`` (created if missing) for the duration of the block.

    ``enabled=False`` (ranks other than 0 under torchrun) does nothing. Re-entrant within a
    process: a compare holds its folder while it trains pipelines into sub-folders.

    Raises:
        RunInUseError: another live process holds the folder.
        OutputError: ``folder`` cannot be a folder (a file is in the way) or cannot be made.
    """
    folder = Path(folder)
    if not enabled:
        yield folder
        return
    make_folder(folder)
    key = folder.resolve()
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield folder
        finally:
            _HELD[key] -= 1
        return
    fd = _acquire(folder / LOCK_FILE)
    _HELD[key] = 1
    try:
        yield folder
    finally:
        del _HELD[key]
        (folder / LOCK_FILE).unlink(missing_ok=True)
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(path: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise RunInUseError(
                f"{path.parent} is in use by another training (pid {holder or 'unknown'}); "
                "wait for it to finish, stop it, or give another --out"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed this file as we locked it: lock the new one
    stale = _read_pid(fd)
    if stale and stale != os.getpid():
        print(
            f"regen: note: taking over the stale lock of {path.parent} "
            f"(pid {stale} is no longer running)",
            file=sys.stderr,
        )
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
