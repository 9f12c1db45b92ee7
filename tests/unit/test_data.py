"""Built-in image datasets: content, held-out splits, cache, errors, caption tokenizer."""

from __future__ import annotations

import json
import unicodedata

import numpy as np
import pytest
import torch

from regen.data import emoji, glyphs
from regen.data.cache import cache_dir
from regen.data.image_set import ImageDataset, cached_image_dataset, images_from_pixels
from regen.data.text import TEXT_VOCAB_SIZE, encode_captions
from regen.errors import ConfigError, DataError
from regen.tasks.image.config import DataConfig
from regen.tasks.image.data import (
    balanced_subset,
    held_out_groups,
    load_image_dataset,
    resolve_labels,
)


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    """The cache dir that tests/conftest.py gives each test, set up early for module fixtures."""
    with pytest.MonkeyPatch.context() as patch:
        root = tmp_path_factory.getbasetemp() / "cache"
        patch.setenv("XDG_CACHE_HOME", str(root))
        yield root


@pytest.fixture(scope="module")
def all_glyphs(module_cache) -> ImageDataset:
    return load_image_dataset(DataConfig(name="glyphs"), "all")


@pytest.fixture(scope="module")
def all_emoji(module_cache) -> ImageDataset:
    return load_image_dataset(DataConfig(name="emoji", image_size=16), "all")


def splits(name: str, **overrides) -> tuple[ImageDataset, ImageDataset, ImageDataset]:
    cfg = DataConfig(name=name, **overrides)
    return tuple(load_image_dataset(cfg, split) for split in ("train", "test", "all"))


def tiny_dataset() -> ImageDataset:
    pixels = np.arange(4 * 2 * 3 * 1, dtype=np.uint8).reshape(4, 2, 3, 1) * 10
    return ImageDataset(
        images=images_from_pixels(pixels),
        labels=torch.tensor([0, 1, 0, 1]),
        class_names=["x", "y"],
        captions=["an x", "a y", "another x", "another y"],
        groups=["g0", "g1", "g2", "g3"],
        name="tiny",
        source="made up",
    )


# ------------------------------------------------------------------------------- content


def test_glyphs_are_white_on_black_characters(all_glyphs):
    fonts = sorted(set(all_glyphs.groups))
    assert len(fonts) >= 30, fonts  # 54 with the packages of apt_packages.txt
    assert all_glyphs.image_shape == (1, 32, 32)
    assert all_glyphs.images.dtype == torch.float32 and all_glyphs.labels.dtype == torch.int64
    assert all_glyphs.images.min() == -1.0 and all_glyphs.images.max() == 1.0
    assert all_glyphs.class_names == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    assert len(all_glyphs) == 36 * len(fonts)
    border = torch.cat([all_glyphs.images[..., 0, :], all_glyphs.images[..., -1, :]], -1)
    assert border.max() < -0.9, "the margin must stay background"
    assert (all_glyphs.images.amax(dim=(1, 2, 3)) > 0.9).all(), "every glyph has ink"
    assert all_glyphs.captions[0] == "letter A" and all_glyphs.captions[35] == "digit 9"
    assert not any(part in f for f in fonts for part in glyphs.SKIPPED_NAME_PARTS)
    assert "fonts-dejavu-core" in all_glyphs.source and "Pillow" in all_glyphs.source


def test_emoji_are_captioned_rgb_on_white(all_emoji):
    assert all_emoji.image_shape == (3, 16, 16)
    assert len(all_emoji) > 1000
    assert all_emoji.num_classes == len(all_emoji)
    assert torch.equal(all_emoji.labels, torch.arange(len(all_emoji)))
    assert all_emoji.class_names == all_emoji.captions
    assert all_emoji.captioned  # evaluation asks for held-out captions, not classes
    assert all_emoji.images.min() >= -1.0 and all_emoji.images.max() <= 1.0
    corners = all_emoji.images[..., [0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.mean() > 0.9, "emoji are composited on white"
    grinning = all_emoji.groups.index("U+1F600")
    assert all_emoji.captions[grinning] == "grinning face"
    for group, caption in zip(all_emoji.groups, all_emoji.captions):
        assert caption == unicodedata.name(chr(int(group[2:], 16))).lower()
    assert "U+1F3FB" not in all_emoji.groups, "skin-tone modifiers are sequence parts"


def test_digits_native_and_upsampled():
    native = load_image_dataset(DataConfig(name="digits", image_size=8), "all")
    assert native.image_shape == (1, 8, 8) and len(native) == 1797
    assert native.images.min() == -1.0 and native.images.max() == 1.0
    assert native.class_names == [str(d) for d in range(10)]
    assert native.captions[0] == f"digit {native.labels[0].item()}"
    big = load_image_dataset(DataConfig(name="digits", image_size=32), "all")
    assert big.image_shape == (1, 32, 32)
    assert big.images.min() >= -1.0 and big.images.max() <= 1.0
    with pytest.raises(ConfigError, match="multiple of 8"):
        load_image_dataset(DataConfig(name="digits", image_size=12), "all")


# -------------------------------------------------------------------------------- splits


@pytest.mark.parametrize("name", ["digits", "glyphs", "emoji"])
def test_splits_hold_out_whole_groups(name):
    size = 16 if name == "emoji" else 32  # reuse the emoji fixture's cache entry
    train, test, full = splits(name, image_size=size)
    assert len(train) + len(test) == len(full)
    assert not set(train.groups) & set(test.groups)
    assert len(set(test.groups)) == round(0.15 * len(set(full.groups)))
    again_train, again_test, _ = splits(name, image_size=size)
    assert train.groups == again_train.groups and torch.equal(test.images, again_test.images)
    if name == "emoji":
        assert not set(train.captions) & set(test.captions), "test captions are unseen"


def test_every_glyph_class_in_both_splits(all_glyphs):
    train, test, _ = splits("glyphs")
    assert set(train.labels.tolist()) == set(test.labels.tolist()) == set(range(36))


def test_held_out_groups_are_pinned_and_stable():
    groups = [f"font{i}" for i in range(20)]
    chosen = held_out_groups(groups, 0.15)
    assert len(chosen) == 3
    assert held_out_groups(list(reversed(groups)) * 2, 0.15) == chosen
    # A newly installed font moves at most one old group between the splits.
    assert len(chosen & held_out_groups([*groups, "font20"], 0.15)) >= 2
    assert held_out_groups(groups, 0.0) == set()
    assert held_out_groups(["a", "b", "c", "d"], 0.5) == {"a", "b"}  # same on every machine


def test_holdout_zero_has_no_test_split():
    train = load_image_dataset(DataConfig(name="digits", holdout_fraction=0.0), "train")
    assert len(train) == 1797
    with pytest.raises(DataError, match="holdout_fraction"):
        load_image_dataset(DataConfig(name="digits", holdout_fraction=0.0), "test")
    with pytest.raises(ConfigError, match="holdout_fraction"):
        load_image_dataset(DataConfig(name="digits", holdout_fraction=1.0), "train")


def test_max_items_caps_train_keeping_classes(all_glyphs):
    capped = load_image_dataset(DataConfig(name="glyphs", max_items=72), "train")
    assert len(capped) == 72
    assert torch.bincount(capped.labels, minlength=36).tolist() == [2] * 36
    again = load_image_dataset(DataConfig(name="glyphs", max_items=72), "train")
    assert capped.groups == again.groups
    test = load_image_dataset(DataConfig(name="glyphs", max_items=72), "test")
    assert len(test) > 72, "max_items caps the train split only"
    few = balanced_subset(torch.tensor([0] * 50 + [1] * 3 + [2]), 3)
    assert sorted(torch.tensor([0] * 50 + [1] * 3 + [2])[few].tolist()) == [0, 1, 2]


def test_subset_by_list_and_mask():
    data = tiny_dataset()
    by_list = data.subset([3, 1])
    assert by_list.captions == ["another y", "a y"] and by_list.labels.tolist() == [1, 1]
    by_mask = data.subset(torch.tensor([True, False, True, False]))
    assert by_mask.groups == ["g0", "g2"] and by_mask.class_names == ["x", "y"]
    assert by_mask.image_shape == (1, 2, 3) and by_mask.num_classes == 2


# --------------------------------------------------------------------------------- cache


def test_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "regen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "regen"


def test_cache_round_trip_is_exact(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return tiny_dataset()

    first = cached_image_dataset("tiny-v1", build)
    second = cached_image_dataset("tiny-v1", build)
    assert len(calls) == 1, "the second load must come from the cache"
    assert torch.equal(first.images, tiny_dataset().images)
    assert torch.equal(second.images, first.images) and torch.equal(second.labels, first.labels)
    assert (second.captions, second.groups, second.source) == (
        first.captions,
        first.groups,
        "made up",
    )
    assert sorted(p.name for p in (tmp_path / "regen").iterdir()) == [
        "tiny-v1.json",
        "tiny-v1.safetensors",
    ]


@pytest.mark.parametrize("damage", ["truncate_tensors", "garbage_json", "swap_tensors"])
def test_corrupted_cache_is_rebuilt(monkeypatch, tmp_path, damage):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    original = cached_image_dataset("tiny-v1", tiny_dataset)
    cached_image_dataset("other-v1", lambda: tiny_dataset().subset([0]))
    tensors = tmp_path / "regen" / "tiny-v1.safetensors"
    if damage == "truncate_tensors":
        tensors.write_bytes(tensors.read_bytes()[:40])
    elif damage == "garbage_json":
        tensors.with_suffix(".json").write_text("{not json")
    else:  # a valid safetensors file that belongs to another entry
        tensors.write_bytes((tmp_path / "regen" / "other-v1.safetensors").read_bytes())
    calls = []
    rebuilt = cached_image_dataset("tiny-v1", lambda: calls.append(1) or tiny_dataset())
    assert calls == [1]
    assert torch.equal(rebuilt.images, original.images)
    record = json.loads(tensors.with_suffix(".json").read_text())
    assert record["meta"]["captions"] == original.captions, "the entry was rewritten"


def test_glyph_cache_reload_matches(all_glyphs, module_cache):
    assert cache_dir() == module_cache / "regen"
    entries = list(cache_dir().glob("glyphs-32px-*.safetensors"))
    assert len(entries) == 1
    reloaded = load_image_dataset(DataConfig(name="glyphs"), "all")
    assert torch.equal(reloaded.images, all_glyphs.images)
    assert reloaded.groups == all_glyphs.groups


# -------------------------------------------------------------------------------- errors


def test_missing_fonts_name_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(glyphs, "FONT_DIRS", [tmp_path])
    with pytest.raises(DataError, match="apt-get install fonts-dejavu-core") as glyph_error:
        load_image_dataset(DataConfig(name="glyphs"), "train")
    with pytest.raises(DataError, match="apt-get install fonts-noto-color-emoji") as emoji_error:
        load_image_dataset(DataConfig(name="emoji"), "train")
    for error in (glyph_error, emoji_error):
        assert "\n" not in str(error.value) and str(tmp_path) in str(error.value)


def test_fonts_without_latin_letters_are_an_error(monkeypatch, tmp_path):
    (tmp_path / "NotoColorEmoji.ttf").symlink_to(emoji.find_emoji_font())
    monkeypatch.setattr(glyphs, "FONT_DIRS", [tmp_path])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="no installed font draws all of A-Z"):
        load_image_dataset(DataConfig(name="glyphs"), "all")


def test_unknown_dataset_and_split():
    with pytest.raises(DataError, match="glyphs, emoji, digits"):
        load_image_dataset(DataConfig(name="mnist"), "train")
    with pytest.raises(DataError, match="train, test, all"):
        load_image_dataset(DataConfig(name="digits"), "validation")
    with pytest.raises(ConfigError, match="max_items"):
        load_image_dataset(DataConfig(name="digits", max_items=0), "train")


def test_resolve_labels(all_glyphs):
    assert resolve_labels(all_glyphs.class_names, ["A", "7", "Z"]).tolist() == [0, 33, 25]
    with pytest.raises(DataError, match="did you mean 'A'"):
        resolve_labels(all_glyphs.class_names, ["a"])
    with pytest.raises(DataError, match="valid names include: 'A', 'B'"):
        resolve_labels(all_glyphs.class_names, [""])
    with pytest.raises(DataError, match="no class names"):
        resolve_labels(all_glyphs.class_names, [])


# ----------------------------------------------------------------------------- tokenizer


def test_encode_captions():
    tokens = encode_captions(["ab", "é", "x" * 60], max_len=48)
    assert tokens.shape == (3, 48) and tokens.dtype == torch.long
    assert tokens[0, :3].tolist() == [ord("a") + 1, ord("b") + 1, 0]
    assert tokens[1, :3].tolist() == [0xC3 + 1, 0xA9 + 1, 0], "UTF-8 bytes, not characters"
    assert (tokens[2] == ord("x") + 1).all(), "long captions are truncated"
    assert tokens.max() < TEXT_VOCAB_SIZE == 257 and tokens.min() >= 0
    assert encode_captions([], max_len=4).shape == (0, 4)
    with pytest.raises(DataError, match="caption 1 is empty"):
        encode_captions(["fine", "  "])
