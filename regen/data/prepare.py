"""Prepare once, stream after: the store of a user's source, built on first use, then reused.

Every modality's ``data.source`` goes through :func:`prepared_store`: it finds the store of
the source (keyed by the source's fingerprint and the settings that change the arrays),
or builds it with the modality's ``build`` into a temporary folder that is renamed when
complete. A ``data.source`` that is itself a store (``regen data prepare --out DIR``) is
read as is, after checking it was prepared with the same settings. Nothing is ever written
into the source.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from regen.config import to_dict
from regen.data.folder_source import source_fingerprint
from regen.data.store import (
    ShardWriter,
    read_manifest,
    store_folder,
    temporary_folder,
    write_store,
)
from regen.errors import ConfigError, DataError

# build(tmp) -> (writers, manifest): arrays written under tmp, and the manifest's fields
# besides source/fingerprint (its "features" holds the settings as resolved, e.g. channels)
Build = Callable[[Path], tuple[dict[str, ShardWriter], dict[str, Any]]]


def source_root(cfg: Any) -> Path:
    """The folder (or store) ``data.source`` names, ``~`` expanded, as an absolute path."""
    return Path(str(cfg.source)).expanduser().resolve()


def prepared_store(
    root: Path,
    kind: str,
    features: dict[str, Any],
    build: Build,
    out: Path | None = None,
    what: str = "data",
) -> tuple[Path, dict[str, Any]]:
    """The store folder of the source at ``root`` and its manifest, built now if missing.

    ``kind`` names the modality (``image``, ``speech``, ``music``: part of the folder name);
    ``features`` are the ``data.<key>`` settings that change the arrays (a value of ``None``
    means "whatever the source gives", resolved by ``build``); ``what`` names the data in
    errors ("a folder of images"). The store goes to the regen cache, or to ``out``.
    """
    if not root.exists():
        raise DataError(f"data.source {root} does not exist; give {what}")
    manifest = read_manifest(root)
    if manifest is not None:  # a store prepared with --out
        return root, check_features(root, manifest, features)
    fingerprint = source_fingerprint(root)
    folder = store_folder(kind, fingerprint, features) if out is None else out.resolve()
    if folder.is_relative_to(root):
        raise ConfigError(f"--out {folder} is inside data.source; regen never writes there")
    manifest = read_manifest(folder)
    if manifest is not None and manifest["fingerprint"] == fingerprint:
        return folder, check_features(folder, manifest, features)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(f"--out {folder} exists and is not this source's store; pick another")
    tmp = temporary_folder(folder)
    try:
        writers, fields = build(tmp)
        fields = {"source": str(root), "fingerprint": fingerprint, "features": features, **fields}
        write_store(folder, tmp, writers, fields)
    except BaseException:  # strict errors, Ctrl-C: leave no half-written store behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder, read_manifest(folder) or fields


def check_features(folder: Path, manifest: dict, wanted: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` if the store was prepared with the ``wanted`` settings, else a ConfigError
    naming the setting (``None`` in ``wanted`` accepts whatever the store holds)."""
    made = manifest["features"]
    for key, value in wanted.items():
        if value is not None and made.get(key) != value:
            raise ConfigError(
                f"the store {folder} was prepared with data.{key}={made.get(key)}, not {value}; "
                "prepare it again with these settings (or use the same settings)"
            )
    return manifest


def nothing_usable(root: Path, counts: dict[str, int], what: str) -> DataError:
    """The one-line error of a source whose every item was skipped (or that had none)."""
    reasons = "; ".join(f"{c} {r}" for r, c in counts.items()) or f"no {what} found"
    return DataError(f"data.source {root} has no usable {what} ({reasons})")


SOURCE_SETTINGS = ("source", "strict")


def settings_read(cfg: Any, *leave_out: str) -> dict[str, Any]:
    """The ``data`` settings a cached asset depends on: ``data.source`` and ``data.strict``
    left out (what a source gives is in the task's source record, its store keyed by the
    files' fingerprint; assets cached before those settings existed keep their keys), and
    ``leave_out`` too."""
    return {k: v for k, v in to_dict(cfg).items() if k not in (*SOURCE_SETTINGS, *leave_out)}
