"""Build a dataset once, then load it from the user cache.

A cache entry is two files under :func:`cache_dir`: ``<key>.safetensors`` holds the tensors and
``<key>.json`` holds everything else (strings, the source/version record) plus the SHA-256 of
the tensors file. Both are written to temporary names and renamed, so a crash or a second
process never leaves a half-written entry; an entry that fails to parse or whose hash does not
match is rebuilt, not trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from regen.errors import DataError

log = logging.getLogger(__name__)

T = TypeVar("T")
Tensors = dict[str, torch.Tensor]
Meta = dict[str, Any]


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/regen``, or ``~/.cache/regen`` when the variable is unset or empty."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "regen"


def load_or_build(key: str, build: Callable[[], tuple[Tensors, Meta]]) -> tuple[Tensors, Meta]:
    """The cached ``(tensors, meta)`` stored under ``key``; on a miss, ``build()`` and store them.

    ``key`` must change whenever the content would (builder version, sizes, source files).
    ``meta`` must be JSON-serialisable.
    """
    tensors_path, meta_path = _paths(key)
    cached = _read(tensors_path, meta_path)
    if cached is not None:
        return cached
    start = time.perf_counter()
    tensors, meta = build()
    log.info("built %s in %.1f s; caching it in %s", key, time.perf_counter() - start, cache_dir())
    _write(tensors_path, meta_path, tensors, meta)
    return tensors, meta


def build_progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """A progress bar over ``items`` that only appears once building has taken a second."""
    return iter(tqdm(items, desc=desc, total=total, delay=1.0, leave=False))


def files_fingerprint(paths: Iterable[Path]) -> str:
    """12 hex digits that change when any source file is added, removed, resized or touched."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:12]


def debian_packages(paths: Iterable[Path]) -> str:
    """``"fonts-dejavu-core 2.37-6, ..."``: the Debian packages that own ``paths``, with versions.

    Files no package owns (or a system without dpkg) are reported as ``"unpackaged files"``.
    """
    paths = [str(p) for p in paths]
    try:
        # dpkg -S exits 1 when some path is unowned but still prints the owners of the rest.
        owners = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return "unpackaged files"
    owned: dict[str, list[str]] = {}
    for line in owners.splitlines():
        if ": /" in line and not line.startswith("diversion"):
            names, path = line.split(": ", 1)
            owned[path] = names.split(", ")
    packages = sorted({name for names in owned.values() for name in names})
    versions = {}
    if packages:
        query = ["dpkg-query", "-W", "-f=${Package} ${Version}\\n", *packages]
        listed = subprocess.run(query, capture_output=True, text=True).stdout
        versions = dict(line.split(" ", 1) for line in listed.splitlines() if " " in line)
    described = [f"{p} {versions.get(p, '?')}" for p in packages]
    if set(paths) - owned.keys():
        described.append("unpackaged files")
    return ", ".join(described)


def _paths(key: str) -> tuple[Path, Path]:
    root = cache_dir()
    return root / f"{key}.safetensors", root / f"{key}.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(tensors_path: Path, meta_path: Path) -> tuple[Tensors, Meta] | None:
    if not (tensors_path.exists() and meta_path.exists()):
        return None
    try:
        record = json.loads(meta_path.read_text())
        if record["sha256"] != _sha256(tensors_path):
            raise ValueError("the tensors file does not match its recorded SHA-256")
        return load_file(tensors_path), record["meta"]
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
        log.warning("cache entry %s is unreadable (%s); rebuilding it", tensors_path, exc)
        return None


def _write(tensors_path: Path, meta_path: Path, tensors: Tensors, meta: Meta) -> None:
    # A per-process suffix keeps concurrent builders (one per DDP rank) from sharing a temp file.
    suffix = f".{os.getpid()}.tmp"
    tmp_tensors = tensors_path.with_name(tensors_path.name + suffix)
    tmp_meta = meta_path.with_name(meta_path.name + suffix)
    try:
        tensors_path.parent.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in tensors.items()}, tmp_tensors)
        record = {"sha256": _sha256(tmp_tensors), "meta": meta}
        tmp_meta.write_text(json.dumps(record, ensure_ascii=False))
        os.replace(tmp_tensors, tensors_path)
        os.replace(tmp_meta, meta_path)
    except OSError as exc:
        raise DataError(
            f"cannot write the dataset cache in {tensors_path.parent} ({exc.strerror}); "
            "set XDG_CACHE_HOME to a writable folder"
        ) from exc
    finally:
        tmp_tensors.unlink(missing_ok=True)
        tmp_meta.unlink(missing_ok=True)
