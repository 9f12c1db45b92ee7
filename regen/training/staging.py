"""Where a checkpoint is staged before it is swapped in, and what a failed write leaves.

A stage folder ``<run>/<stage>`` is written as ``<stage>.tmp-<pid>`` and swapped in through
``<stage>.old-<pid>`` (see :func:`regen.training.checkpoint.write_stage`). Names carry the
writing process's pid, so two processes never remove each other's half-written folder; the
leftovers of dead processes are removed by the next write.

A write that fails with an ``OSError`` (disk full, read-only, permission) or the
``SafetensorError`` that wraps one becomes a one-line :class:`CheckpointError` that says the
previous checkpoint is intact and where, after the partial temporary is removed.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from safetensors import SafetensorError

from regen.errors import CheckpointError


def temporary(folder: Path, kind: str) -> Path:
    """This process's ``<folder>.tmp-<pid>`` (``kind="tmp"``) or ``.old-<pid>`` sibling."""
    return folder.with_name(f"{folder.name}.{kind}-{os.getpid()}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def leftovers(folder: Path, kind: str) -> list[Path]:
    """Siblings ``<folder>.<kind>-<pid>`` of processes no longer running (or of this one),
    oldest first; a name without a pid is from a regen before per-process names."""
    pattern = re.compile(re.escape(folder.name) + rf"\.{kind}(?:-(\d+))?")
    found = []
    for path in folder.parent.glob(f"{glob.escape(folder.name)}.{kind}*"):
        match = pattern.fullmatch(path.name)
        if match is None:
            continue
        pid = match.group(1)
        if pid is None or int(pid) == os.getpid() or not pid_alive(int(pid)):
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime)


def remove_leftovers(folder: Path) -> None:
    """Remove dead processes' temporaries of ``folder`` (and their ``.old`` copies once
    ``folder`` itself exists: until then an ``.old`` is the checkpoint to recover)."""
    for path in leftovers(folder, "tmp"):
        shutil.rmtree(path, ignore_errors=True)
    if folder.exists():
        for path in leftovers(folder, "old"):
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def failed_writes(folder: Path, partial: Path) -> Iterator[None]:
    """Turn an I/O failure inside the block into a one-line CheckpointError about ``folder``,
    after removing ``partial`` (a file or folder)."""
    try:
        yield
    except (OSError, SafetensorError) as exc:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        raise CheckpointError(
            f"could not write the checkpoint {folder} ({_reason(exc)}); {previous(folder)}"
        ) from None


def previous(folder: Path) -> str:
    """What is left of ``folder`` for the user to resume from, as half a sentence."""
    meta = folder / "trainer.json"  # checkpoint.py's names (it imports this module)
    if not (folder / "model.safetensors").is_file():
        return (
            f"no earlier checkpoint exists in {folder}; free space or fix the permissions, "
            "then train again"
        )
    try:
        step = f" (step {json.loads(meta.read_text())['step']})"
    except (OSError, ValueError, KeyError, TypeError):
        step = ""
    return (
        f"the previous checkpoint{step} in {folder} is intact; free space or fix the "
        "permissions, then resume with --resume"
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    # SafetensorError carries the OS message inside a Rust debug string
    found = re.search(r'message: "([^"]+)"|I/O error: ([^(]+?)\s*(?:\(os error|$)', text)
    if found:
        return (found.group(1) or found.group(2)).strip()
    return text[:120]
