"""Reading the formats people already have: metadata files beside data, and saved HF datasets.

Modality-neutral: rows of fields with where each came from (``metadata.csv line 7``), so a
bad row is skipped and named. Decoding a row's file (image, audio, MIDI) is the caller's.

- ``metadata.jsonl`` / ``metadata.csv`` with a ``file_name`` column (Hugging Face's
  imagefolder / audiofolder layout);
- a dataset saved with Hugging Face ``datasets``: a ``save_to_disk`` folder (one Dataset or a
  DatasetDict of splits) or ``.parquet`` files, read offline.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regen.data.cache import cache_dir
from regen.data.store import SkipLog
from regen.errors import DataError

METADATA_FILES = ("metadata.jsonl", "metadata.csv")
HF_MARKERS = ("dataset_dict.json", "dataset_info.json", "state.json")
# Split names people use, mapped onto regen's two: everything not for training is held out.
SPLIT_NAMES = {"train": "train", "test": "test", "validation": "test", "valid": "test"}
SPLIT_NAMES["val"] = "test"


@dataclass
class Row:
    """One record of a source: its fields and where it came from (for messages)."""

    fields: dict[str, Any]
    where: str


def source_fingerprint(root: Path) -> str:
    """16 hex digits that change when any file under ``root`` is added, removed or touched.

    Reads sizes and modification times only, so a large folder is fingerprinted in seconds.
    """
    digest = hashlib.sha256()
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in paths:
        stat = path.stat()
        digest.update(
            f"{path.relative_to(root.parent)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
        )
    return digest.hexdigest()[:16]


def metadata_file(folder: Path) -> Path | None:
    """The folder's ``metadata.jsonl`` or ``metadata.csv`` (jsonl first), if any."""
    for name in METADATA_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def read_metadata(path: Path, skipped: SkipLog) -> Iterator[Row]:
    """The rows of a metadata file; lines that cannot be parsed are skipped and counted."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} ({exc.__class__.__name__}); fix its encoding") from exc
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            try:
                fields = json.loads(line)
            except ValueError:
                skipped.skip(where, "metadata line is not valid JSON")
                continue
            if not isinstance(fields, dict):
                skipped.skip(where, "metadata line is not a JSON object")
                continue
            yield Row(fields, where)
        return
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise DataError(f"{path} is empty; its first line must name the columns (file_name,...)")
    header = [h.strip() for h in header]
    for number, values in enumerate(reader, start=2):
        if not values:
            continue
        where = f"{path.name} line {number}"
        if len(values) != len(header):
            skipped.skip(where, f"metadata line has {len(values)} fields, not {len(header)}")
            continue
        yield Row(dict(zip(header, values)), where)


def is_hf_dataset(path: Path) -> bool:
    """True for a ``save_to_disk`` folder, a ``.parquet`` file or a folder of them."""
    if path.is_file():
        return path.suffix == ".parquet"
    return any((path / m).is_file() for m in HF_MARKERS) or any(path.glob("**/*.parquet"))


def hf_splits(path: Path) -> dict[str | None, Any]:
    """``{split: datasets.Dataset}`` of a saved dataset, read offline.

    A DatasetDict gives its splits (``train``, ``test``, ...); one Dataset or a set of parquet
    files gives ``{None: dataset}`` (regen then holds items out by name). Parquet files named
    ``train-*.parquet`` / ``test-*.parquet`` (the Hub's layout) become those splits.
    """
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # never reach the network
    try:
        import datasets
    except ImportError:
        raise DataError(
            f"{path} is a Hugging Face dataset; reading it needs the datasets package: "
            "pip install 'regen[datasets]'"
        ) from None
    datasets.disable_progress_bars()
    hf_cache = str(cache_dir() / "hf-datasets")  # its Arrow cache, never the user's folder
    try:
        if path.is_dir() and any((path / m).is_file() for m in HF_MARKERS):
            loaded = datasets.load_from_disk(str(path))
            if isinstance(loaded, datasets.DatasetDict):
                return dict(loaded)
            return {None: loaded}
        files = [path] if path.is_file() else sorted(path.glob("**/*.parquet"))
        by_split: dict[str | None, list[str]] = {}
        for file in files:
            prefix = file.stem.split("-")[0].split("_")[0]
            by_split.setdefault(prefix if prefix in SPLIT_NAMES else None, []).append(str(file))
        if None in by_split and len(by_split) > 1:  # unnamed files mixed with named: one set
            by_split = {None: [f for fs in by_split.values() for f in fs]}
        return {
            split: datasets.Dataset.from_parquet(fs, cache_dir=hf_cache)
            for split, fs in by_split.items()
        }
    except (OSError, ValueError, datasets.exceptions.DatasetsError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise DataError(f"cannot read the Hugging Face dataset {path}: {first}") from exc


class RowFile:
    """The encoded file (image, audio) of one row of a saved dataset, read when called: its
    bytes, or the path of the file the dataset points to. Rows are listed without it, so
    listing a large dataset reads no pixels or samples."""

    def __init__(self, dataset, column: str, index: int) -> None:
        self.dataset, self.column, self.index = dataset, column, index

    def __call__(self) -> Path | bytes:
        value = self.dataset[self.index][self.column] or {}
        if value.get("bytes"):
            return value["bytes"]
        if value.get("path"):
            return Path(value["path"])
        raise ValueError(f"row {self.index} has no {self.column}")


def feature_column(dataset, kind: str, names: tuple[str, ...], root: Path) -> str:
    """The column of ``dataset`` whose feature is ``datasets.<kind>`` (Image, Audio), else
    the first of ``names`` it has, else a one-line DataError listing its columns."""
    import datasets

    for column, feature in dataset.features.items():
        if isinstance(feature, getattr(datasets, kind)):
            return column
    for column in names:
        if column in dataset.features:
            return column
    raise DataError(
        f"the dataset {root} has no {kind.lower()} column (columns: "
        f"{', '.join(dataset.features)}); it needs a datasets.{kind} column or one named "
        f"'{names[0]}'"
    )
