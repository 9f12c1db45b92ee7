"""A feature store on disk: a source prepared once, then streamed from memory-mapped shards.

Layout of a store folder (never inside the user's data folder)::

    manifest.json              source path + fingerprint, feature config, counts, skipped items
    <split>/<key>-00000.npy    one array per shard, rows along axis 0

Arrays are plain ``.npy`` files opened with ``np.load(mmap_mode="r")``, so reading a batch
touches only its rows (a *ragged* key, e.g. waveforms of different lengths, stores its rows
end to end plus ``<key>_rows-00000.npy``, the length of each): memory stays bounded by the page cache whatever the data size. A store
is written into a temporary sibling folder and renamed when complete, so an interrupted
prepare leaves nothing that looks finished, and two processes preparing the same store at
once both end with the same complete folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from regen.data.cache import cache_dir
from regen.errors import DataError

MANIFEST = "manifest.json"
STORE_VERSION = 1  # bump when the layout changes: old stores are then rebuilt, not misread
SHOWN_NAMES = 5  # skipped items listed by name per reason; the rest are only counted


def store_folder(kind: str, fingerprint: str, features: dict[str, Any]) -> Path:
    """Where the store of a source (``fingerprint``) with ``features`` lives in the cache."""
    blob = json.dumps({"v": STORE_VERSION, "f": fingerprint, **features}, sort_keys=True)
    return cache_dir() / "stores" / f"{kind}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


@dataclass
class SkipLog:
    """Items a prepare left out, counted per reason with the first few names.

    With ``strict``, the first bad item raises a one-line DataError instead.
    """

    strict: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, where: str, reason: str) -> None:
        """Record that the item at ``where`` (a file name, ``metadata.csv line 7``) is unusable."""
        if self.strict:
            raise DataError(f"{where}: {reason} (data.strict=true; fix or remove it)")
        self.counts[reason] = self.counts.get(reason, 0) + 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < SHOWN_NAMES:
            shown.append(where)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def record(self) -> dict[str, Any]:
        return {r: {"count": c, "first": self.examples[r]} for r, c in self.counts.items()}


class ShardWriter:
    """Appends rows of named arrays for one split; a full buffer becomes one shard file."""

    def __init__(
        self, folder: Path, rows_per_shard: int = 4096, ragged: tuple[str, ...] = ()
    ) -> None:
        self.folder = folder
        self.rows_per_shard = rows_per_shard
        self.ragged = ragged  # keys whose rows differ in length along axis 0
        self.buffer: dict[str, list[np.ndarray]] = {}
        self.shards = 0
        self.rows = 0

    def add(self, row: dict[str, np.ndarray]) -> None:
        for key, value in row.items():
            self.buffer.setdefault(key, []).append(np.asarray(value))
        self.rows += 1
        if len(next(iter(self.buffer.values()))) >= self.rows_per_shard:
            self.flush()

    def flush(self) -> None:
        if not self.buffer or not next(iter(self.buffer.values())):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for key, rows in self.buffer.items():
            if key in self.ragged:
                lengths = np.array([len(r) for r in rows], np.int64)
                np.save(self.folder / f"{key}_rows-{self.shards:05d}.npy", lengths)
                np.save(self.folder / f"{key}-{self.shards:05d}.npy", np.concatenate(rows))
            else:
                np.save(self.folder / f"{key}-{self.shards:05d}.npy", np.stack(rows))
        self.buffer = {}
        self.shards += 1


def write_store(
    folder: Path, tmp: Path, writers: dict[str, ShardWriter], manifest: dict[str, Any]
) -> Path:
    """Finish the shards of ``writers`` (writing under ``tmp``, from
    :func:`temporary_folder`), write the manifest and move the store to ``folder``."""
    for writer in writers.values():
        writer.flush()
    counts = {split: writer.rows for split, writer in writers.items()}
    record = {"version": STORE_VERSION, **manifest, "counts": counts}
    (tmp / MANIFEST).write_text(json.dumps(record, indent=1, ensure_ascii=False))
    try:
        os.replace(tmp, folder)
    except OSError:  # another process finished the same store first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / MANIFEST).is_file():
            raise
    return folder


def temporary_folder(folder: Path) -> Path:
    """The per-process folder a store is written into before it is renamed to ``folder``."""
    tmp = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def raise_if_strict(manifest: dict[str, Any], strict: bool) -> None:
    """With ``data.strict=true``, a store prepared leniently that skipped items is an error:
    the one-line error of its first skipped item."""
    if strict and manifest.get("skipped_total"):
        reason, record = next(iter(manifest["skipped"].items()))
        raise DataError(f"{record['first'][0]}: {reason} (data.strict=true; fix or remove it)")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a complete store, or ``None`` when there is none (or it is stale)."""
    try:
        record = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("version") == STORE_VERSION else None


class ShardedArray:
    """Rows of one key of one split, across memory-mapped shards, as one indexable array.

    ``array[index]`` takes an int, a slice or an integer tensor/array of positions and returns
    a numpy array with those rows (copied out of the maps); nothing else is read.
    """

    def __init__(self, shards: list[np.ndarray]) -> None:
        if not shards:
            raise DataError("a feature store split has no shards; prepare it again")
        self.shards = shards
        self.offsets = np.cumsum([0] + [len(s) for s in shards])
        self.shape = (int(self.offsets[-1]), *shards[0].shape[1:])
        self.dtype = shards[0].dtype

    @classmethod
    def open(cls, folder: Path, key: str) -> ShardedArray:
        paths = sorted(Path(folder).glob(f"{key}-*.npy"))
        return cls([np.load(p, mmap_mode="r") for p in paths])

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: int | slice | np.ndarray | torch.Tensor) -> np.ndarray:
        if isinstance(index, int | np.integer):
            return self[np.array([index])][0]
        if isinstance(index, slice):
            index = np.arange(len(self))[index]
        positions = np.asarray(index, dtype=np.int64).reshape(-1)
        if positions.size and (positions.min() < -len(self) or positions.max() >= len(self)):
            raise IndexError(f"index out of range for {len(self)} rows")
        positions = positions % max(len(self), 1)
        shard = np.searchsorted(self.offsets, positions, side="right") - 1
        out = np.empty((len(positions), *self.shape[1:]), dtype=self.dtype)
        for s in np.unique(shard):  # one gather per shard touched
            chosen = shard == s
            out[chosen] = self.shards[s][positions[chosen] - self.offsets[s]]
        return out


class RaggedArray(Sequence):
    """Rows of different lengths of one ragged key of one split, across memory-mapped shards.

    ``rows[i]`` is the i-th row as a numpy view into the map (nothing else is read);
    ``rows[a:b]`` a list of them; ``len(rows)`` the row count.
    """

    def __init__(self, values: list[np.ndarray], lengths: list[np.ndarray]) -> None:
        self.values = values
        self.lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
        self.shard_of = np.concatenate([np.full(len(n), s) for s, n in enumerate(lengths)] or [[]])
        self.start = np.concatenate([np.cumsum(n) - n for n in lengths] or [[]]).astype(np.int64)

    @classmethod
    def open(cls, folder: Path, key: str) -> RaggedArray:
        values = sorted(Path(folder).glob(f"{key}-*.npy"))
        lengths = sorted(Path(folder).glob(f"{key}_rows-*.npy"))
        if len(values) != len(lengths):
            raise DataError(f"the feature store {folder} is incomplete; prepare it again")
        return cls([np.load(p, mmap_mode="r") for p in values], [np.load(p) for p in lengths])

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, index):  # int -> one row; slice -> list of rows
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # negative indices, IndexError past the end
        start = int(self.start[index])
        return self.values[int(self.shard_of[index])][start : start + int(self.lengths[index])]
