"""The image task on a user's own images: ``data.source`` prepared into a store, then streamed.

``regen data prepare RECIPE`` (or the first ``regen train`` / ``regen compare`` that needs it)
reads the source (:mod:`regen.data.image_folder`), decodes every image once to
``data.image_size`` and ``data.channels``, holds some out, and writes a feature store
(:mod:`regen.data.store`) in the regen cache, keyed by the source's fingerprint and these
settings. Training then reads the training split from memory-mapped shards.

Conditioning follows the source: labels (a ``label`` column or class subfolders) make a
class-conditional dataset, captions (a ``text`` column) a caption-conditional one, which needs
``generator.condition: text``.

Held-out split: the source's own (a ``split`` column, ``train/`` and ``test/`` folders, a
DatasetDict's splits) where it has one; otherwise ``data.holdout_fraction`` of the items,
chosen by a salted hash of their file names (the same on every machine).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from regen.data.image_folder import channels_of, decode_image, image_mode, list_items
from regen.data.image_set import ImageDataset, MappedImages, in_memory
from regen.data.prepare import nothing_usable, prepared_store, source_root
from regen.data.splits import held_out_groups
from regen.data.store import ShardedArray, ShardWriter, SkipLog, raise_if_strict
from regen.errors import ConfigError, DataError
from regen.tasks.image.config import DataConfig

# PIL raises SyntaxError for some malformed PNG chunks, DecompressionBombError for huge ones.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)
RESIZE = "center-crop to a square, Lanczos resize; transparency composited on white"


def features(cfg: DataConfig) -> dict[str, Any]:
    """The settings that change the prepared arrays (part of the store's cache key)."""
    return {
        "image_size": cfg.image_size,
        "channels": cfg.channels,
        "holdout_fraction": cfg.holdout_fraction,
        "resize": RESIZE,
    }


def prepare_source(
    cfg: DataConfig, progress: bool = True, out: Path | None = None
) -> tuple[Path, dict[str, Any]]:
    """The store folder of ``cfg.source`` and its manifest, prepared now unless it exists.

    The store goes to the regen cache, or to ``out`` (``regen data prepare --out``); a
    ``data.source`` that is itself a store (a folder with its manifest.json) is read as is.
    """
    root = source_root(cfg)

    def build(tmp: Path) -> tuple[dict[str, ShardWriter], dict[str, Any]]:
        return _build_store(cfg, root, tmp, progress)

    return prepared_store(root, "image", features(cfg), build, out, "a folder of images")


def _build_store(
    cfg: DataConfig, root: Path, tmp: Path, progress: bool
) -> tuple[dict[str, ShardWriter], dict[str, Any]]:
    skipped = SkipLog(cfg.strict)
    items = list(list_items(root, skipped))
    kind = "label" if sum(i.label is not None for i in items) >= len(items) / 2 else "text"
    usable = []
    for item in items:
        if (item.label if kind == "label" else item.text) is None:
            skipped.skip(item.where, "no label" if kind == "label" else "empty caption")
        else:
            usable.append(item)
    unsplit = [i.name for i in usable if i.split is None]
    test_names = held_out_groups(unsplit, cfg.holdout_fraction)
    channels = cfg.channels or channels_of([image_mode(i) for i in usable])
    class_names = sorted({i.label if kind == "label" else i.text for i in usable})
    class_id = {name: k for k, name in enumerate(class_names)}

    writers = {split: ShardWriter(tmp / split) for split in ("train", "test")}
    listed: dict[str, dict[str, list[str]]] = {s: {"names": [], "captions": []} for s in writers}
    # delay: a source prepared in under a second shows no bar
    bar = tqdm(usable, f"preparing {root.name}", unit="image", disable=not progress, delay=1.0)
    with bar:
        for item in bar:
            try:
                pixels = decode_image(item.data, cfg.image_size, channels)
            except DECODE_ERRORS as exc:
                skipped.skip(item.where, f"not a readable image ({exc.__class__.__name__})")
                continue
            split = item.split or ("test" if item.name in test_names else "train")
            condition = item.label if kind == "label" else item.text
            writers[split].add({"pixels": pixels, "label": np.int64(class_id[condition])})
            listed[split]["names"].append(item.name)
            listed[split]["captions"].append(item.text or condition)
    if not any(w.rows for w in writers.values()):
        raise nothing_usable(root, skipped.counts, "images")
    for split, lists in listed.items():
        (tmp / split).mkdir(exist_ok=True)
        (tmp / split / "items.json").write_text(json.dumps(lists, ensure_ascii=False))
    manifest = {
        "features": {**features(cfg), "channels": channels},
        "condition": kind,
        "class_names": class_names,
        "skipped": skipped.record(),
        "skipped_total": skipped.total,
    }
    return writers, manifest


def prepare(config: Any, out: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """``regen data prepare [--out DIR]``: the store of an image recipe's ``data.source``."""
    if config.data.source is None:
        raise ConfigError(
            "regen data prepare needs data.source (a folder of your images), e.g. "
            "data.source=/path/to/images; the built-in datasets need no preparing"
        )
    folder, manifest = prepare_source(config.data, out=out)
    raise_if_strict(manifest, config.data.strict)
    return folder, manifest


def load_source_dataset(cfg: DataConfig, split: str) -> ImageDataset:
    """The ``split`` of ``cfg.source`` from its store (prepared on first use).

    The training split stays memory-mapped (:class:`MappedImages`); the held-out split is
    loaded into memory (the metrics read all of it at once).
    """
    folder, manifest = prepare_source(cfg)
    raise_if_strict(manifest, cfg.strict)
    if split == "all":
        parts = [load_source_dataset(cfg, s) for s in ("train", "test")]
        parts = [p for p in parts if len(p)]
        images = torch.cat([in_memory(p.images) for p in parts])
        return ImageDataset(
            images=images,
            labels=torch.cat([p.labels for p in parts]),
            class_names=parts[0].class_names,
            captions=[c for p in parts for c in p.captions],
            groups=[g for p in parts for g in p.groups],
            name=parts[0].name,
            source=parts[0].source,
            captioned=parts[0].captioned,
        )
    count = manifest["counts"][split]
    if count == 0:
        raise DataError(
            f"data.source {manifest['source']} has no {split} images after preparing; "
            + ("raise data.holdout_fraction" if split == "test" else "add training images")
        )
    images: torch.Tensor | MappedImages = MappedImages(ShardedArray.open(folder / split, "pixels"))
    if split == "test":
        images = in_memory(images)
    lists = json.loads((folder / split / "items.json").read_text())
    return ImageDataset(
        images=images,
        labels=torch.from_numpy(ShardedArray.open(folder / split, "label")[:]),
        class_names=manifest["class_names"],
        captions=lists["captions"],
        groups=lists["names"],
        name="source",
        source=f"{manifest['source']} (store {folder}, {manifest['skipped_total']} skipped)",
        captioned=manifest["condition"] == "text",
    )


def check_condition(data: ImageDataset, condition: str) -> None:
    """A captioned source cannot train a class-conditional generator: say how to fix it."""
    if data.name == "source" and data.captioned and condition != "text":
        raise ConfigError(
            "data.source has captions (a text column), not labels; set generator.condition=text "
            "(or give a label column / class subfolders)"
        )
