"""data.source for the image task: layouts, the prepared store, bad data, the user's folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from regen.config import TrainConfig
from regen.data.cache import cache_dir
from regen.data.image_set import MappedImages
from regen.data.store import ShardedArray, ShardWriter
from regen.errors import ConfigError, DataError
from regen.tasks.image.config import DataConfig
from regen.tasks.image.data import load_image_dataset
from regen.tasks.image.source import check_condition, prepare_source
from regen.training.loop import train_stage
from tests.image_folders import CLASSES, expected_pixels, glyph, tree_hashes, write_folder

SIZE = 8


def _cfg(root: Path, **kw) -> DataConfig:
    return DataConfig(source=str(root), image_size=SIZE, holdout_fraction=0.25, **kw)


def test_csv_labels_round_trip_through_the_store(tmp_path):
    root = tmp_path / "glyphs"
    names = write_folder(root, "csv")
    folder, manifest = prepare_source(_cfg(root), progress=False)
    assert not folder.is_relative_to(root)  # the store lives in the cache
    assert manifest["condition"] == "label" and manifest["class_names"] == list(CLASSES)
    assert manifest["features"]["channels"] == 1  # every file is grayscale
    assert manifest["counts"]["train"] + manifest["counts"]["test"] == len(names)
    assert manifest["counts"]["test"] == round(0.25 * len(names))
    train = load_image_dataset(_cfg(root), "train")
    assert isinstance(train.images, MappedImages) and train.image_shape == (1, SIZE, SIZE)
    for i in (0, len(train) - 1):
        want = expected_pixels(root / train.groups[i], SIZE)
        got = train.images[i].add(1).mul(127.5).round().to(torch.uint8).permute(1, 2, 0)
        assert np.array_equal(got.numpy(), want), train.groups[i]
        assert train.class_names[int(train.labels[i])] == train.groups[i][0]
    test = load_image_dataset(_cfg(root), "test")
    assert not set(test.groups) & set(train.groups)  # held out by file name
    again = load_image_dataset(_cfg(root), "test")
    assert again.groups == test.groups  # deterministic


def test_jsonl_captions_make_a_captioned_dataset(tmp_path):
    root = tmp_path / "captions"
    write_folder(root, "jsonl")
    train = load_image_dataset(_cfg(root), "train")
    assert train.captioned and all(c.startswith("letter ") for c in train.captions)
    check_condition(train, "text")
    with pytest.raises(ConfigError, match="generator.condition=text"):
        check_condition(train, "class")


def test_class_subfolders_with_split_folders(tmp_path):
    root = tmp_path / "classes"
    write_folder(root / "train", "subfolders", per_class=3)
    write_folder(root / "test", "subfolders", per_class=1, classes="ABC")
    train = load_image_dataset(_cfg(root), "train")
    test = load_image_dataset(_cfg(root), "test")
    assert len(train) == 3 * len(CLASSES) and len(test) == 3  # the folders' split, not a hash
    assert [test.class_names[int(k)] for k in test.labels] == list("ABC")


def test_rgb_channels_and_any_size(tmp_path):
    root = tmp_path / "rgb"
    root.mkdir()
    glyph("A", 0, "RGBA").resize((40, 17)).save(root / "wide.png")
    glyph("B", 1, "RGB").save(root / "b.jpg")
    (root / "metadata.csv").write_text("file_name,label\nwide.png,A\nb.jpg,B\n")
    _, manifest = prepare_source(_cfg(root), progress=False)
    assert manifest["features"]["channels"] == 3
    gray = load_image_dataset(_cfg(root, channels=1), "all")
    assert gray.image_shape == (1, SIZE, SIZE) and len(gray) == 2


def test_bad_items_are_skipped_counted_and_strict_names_them(tmp_path):
    root = tmp_path / "bad"
    write_folder(root, "csv")
    (root / "A_0.png").write_bytes(b"not a png at all")
    lines = (root / "metadata.csv").read_text().splitlines()
    lines += ["ghost.png,A", "B_1.png", "C_1.png,", ",D"]
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    before = tree_hashes(root)
    _, manifest = prepare_source(_cfg(root), progress=False)
    skipped = manifest["skipped"]
    assert skipped["file named in metadata does not exist"]["first"][0].startswith("ghost.png")
    assert skipped["metadata line has 1 fields, not 2"]["first"] == ["metadata.csv line 27"]
    assert skipped["empty or missing label/text"]["count"] == 1
    assert skipped["metadata line has no file_name"]["count"] == 1
    assert skipped["not a readable image (UnidentifiedImageError)"]["first"][0].startswith("A_0")
    assert manifest["skipped_total"] == 5
    assert sum(manifest["counts"].values()) == 4 * len(CLASSES) - 1
    first = r"^ghost.png \(metadata.csv line 26\): file named in metadata does not exist"
    with pytest.raises(DataError, match=first + ".*data.strict=true") as err:
        load_image_dataset(_cfg(root, strict=True), "train")
    assert "\n" not in str(err.value)
    assert tree_hashes(root) == before  # nothing written into the user's folder


def test_strict_stops_at_the_first_bad_file_before_preparing(tmp_path):
    root = tmp_path / "strict"
    write_folder(root, "csv", per_class=1)
    (root / "B_0.png").write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    with pytest.raises(DataError, match=r"^B_0.png \(metadata.csv line 3\): not a readable"):
        prepare_source(_cfg(root, strict=True), progress=False)
    assert not list(cache_dir().glob("stores/*.tmp"))  # a failed prepare leaves nothing


def test_a_source_with_nothing_usable_is_one_line(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    (root / "metadata.csv").write_text("file_name,label\nmissing.png,A\n")
    with pytest.raises(DataError, match="has no usable images .*1 file named in metadata"):
        prepare_source(_cfg(root), progress=False)
    with pytest.raises(DataError, match="does not exist"):
        prepare_source(_cfg(tmp_path / "nowhere"), progress=False)


def test_hf_saved_dataset_and_parquet(tmp_path):
    datasets = pytest.importorskip("datasets")
    images = [glyph(c, v) for c in "AB" for v in range(4)]
    features = datasets.Features(
        {"image": datasets.Image(), "label": datasets.ClassLabel(names=["A", "B"])}
    )
    table = {"image": images, "label": [0] * 4 + [1] * 4}
    dataset = datasets.Dataset.from_dict(table, features=features)
    split = datasets.DatasetDict({"train": dataset, "test": dataset.select(range(3, 5))})
    split.save_to_disk(str(tmp_path / "saved"))
    before = tree_hashes(tmp_path / "saved")
    train = load_image_dataset(_cfg(tmp_path / "saved"), "train")
    test = load_image_dataset(_cfg(tmp_path / "saved"), "test")
    assert (len(train), len(test)) == (8, 2) and train.class_names == ["A", "B"]
    assert [test.class_names[int(k)] for k in test.labels] == ["A", "B"]
    assert tree_hashes(tmp_path / "saved") == before
    (tmp_path / "pq").mkdir()
    dataset.to_parquet(str(tmp_path / "pq" / "data.parquet"))
    every = load_image_dataset(_cfg(tmp_path / "pq"), "all")
    assert len(every) == 8 and every.image_shape == (1, SIZE, SIZE)


def test_sharded_array_indexes_across_shards(tmp_path):
    writer = ShardWriter(tmp_path / "s", rows_per_shard=3)
    rows = np.arange(20 * 2).reshape(20, 2)
    for row in rows:
        writer.add({"x": row})
    writer.flush()
    array = ShardedArray.open(tmp_path / "s", "x")
    assert len(list((tmp_path / "s").glob("x-*.npy"))) == 7 and len(array) == 20
    index = torch.tensor([19, 0, 5, 5, 3, -1])
    assert np.array_equal(array[index], rows[index.numpy()])
    assert np.array_equal(array[4:11], rows[4:11]) and np.array_equal(array[7], rows[7])
    with pytest.raises(IndexError):
        array[[20]]


def test_the_loop_trains_on_mapped_images_like_on_tensors(tmp_path):
    root = tmp_path / "loop"
    write_folder(root, "csv", per_class=2)
    mapped = load_image_dataset(_cfg(root), "train")
    dense = mapped.images[:]

    def run(images) -> list[float]:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(SIZE * SIZE, 1))
        model.training_loss = lambda b: (model(b["y"]).pow(2).mean(), {})
        cfg = TrainConfig(steps=5, batch_size=4, log_every=1, ema_decay=0.0)
        return [loss for _, loss in train_stage("t", model, {"y": images}, cfg, None).curve]

    assert run(mapped.images) == run(dense)


def test_manifest_lists_the_source_and_features(tmp_path):
    root = tmp_path / "m"
    write_folder(root, "csv", per_class=1)
    folder, _ = prepare_source(_cfg(root), progress=False)
    record = json.loads((folder / "manifest.json").read_text())
    assert record["source"] == str(root.resolve()) and len(record["fingerprint"]) == 16
    assert (
        record["features"]["image_size"] == SIZE and "center-crop" in record["features"]["resize"]
    )


def test_a_store_prepared_with_out_is_a_source_itself(tmp_path):
    from regen.tasks.image.source import prepare

    root = tmp_path / "mine"
    write_folder(root, "csv", per_class=2)
    config = type("Recipe", (), {"data": _cfg(root)})()
    folder, manifest = prepare(config, out=tmp_path / "store")
    assert folder == (tmp_path / "store").resolve() and (folder / "manifest.json").is_file()
    train = load_image_dataset(_cfg(folder), "train")
    assert len(train) == manifest["counts"]["train"] and isinstance(train.images, MappedImages)
    with pytest.raises(ConfigError, match="prepared with data.image_size=8, not 16"):
        load_image_dataset(DataConfig(source=str(folder), image_size=16), "train")
    with pytest.raises(ConfigError, match="inside data.source"):
        prepare(config, out=root / "store")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not this source's store"):
        prepare(config, out=tmp_path / "other")
    with pytest.raises(ConfigError, match="not this source's store"):
        prepare(config, out=tmp_path / "other" / "x.txt")


def test_hf_rows_without_image_or_label_are_skipped(tmp_path):
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {"image": datasets.Image(), "label": datasets.ClassLabel(names=["A", "B"])}
    )
    rows = {"image": [glyph("A", 0), None, glyph("B", 1), glyph("B", 2)], "label": [0, 1, None, 1]}
    datasets.Dataset.from_dict(rows, features=features).save_to_disk(str(tmp_path / "hf"))
    _, manifest = prepare_source(_cfg(tmp_path / "hf"), progress=False)
    assert manifest["skipped"]["not a readable image (ValueError)"]["first"] == ["row 1"]
    assert manifest["skipped"]["empty or missing label/text"]["first"] == ["row 2"]
    assert sum(manifest["counts"].values()) == 2
