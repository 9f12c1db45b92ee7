"""Image metrics and the domain classifier, on scikit-learn's 8x8 digits."""

from __future__ import annotations

import json
import math

import pytest
import torch
from sklearn.datasets import load_digits

import regen.eval.classifier
from regen.errors import CheckpointError, ConfigError, DataError
from regen.eval.classifier import DomainClassifier, get_domain_classifier, random_shift
from regen.eval.image_metrics import (
    FEATURES_DESCRIPTION,
    conditional_accuracy,
    evaluate_images,
    fid_kid,
    precision_recall,
    psnr,
)

STEPS, BATCH = 300, 64  # about 3 s on one CPU core; the library default is 600 x 128


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # These models are tiny: a second intra-op thread only spins against other processes.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits() -> dict[str, torch.Tensor]:
    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1) / 8.0 - 1.0
    labels = torch.tensor(data.target, dtype=torch.int64)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    train, test = order[:1400], order[1400:]
    return {"x": images[train], "y": labels[train], "x_test": images[test], "y_test": labels[test]}


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("classifiers")


@pytest.fixture(scope="module")
def classifier(digits, cache_root) -> DomainClassifier:
    return get_domain_classifier(
        digits["x"],
        digits["y"],
        10,
        key="digits",
        steps=STEPS,
        batch_size=BATCH,
        cache_root=cache_root,
        heldout=(digits["x_test"], digits["y_test"]),
    )


def test_classifier_learns_digits_and_records_accuracy(classifier, digits, cache_root):
    assert not classifier.training
    assert not any(p.requires_grad for p in classifier.parameters())
    assert classifier.record["heldout_accuracy"] >= 0.93
    assert classifier.record["train_accuracy"] >= 0.93
    (sidecar,) = cache_root.glob("digits-*.json")
    assert (
        json.loads(sidecar.read_text())["heldout_accuracy"] == classifier.record["heldout_accuracy"]
    )
    assert len(list(cache_root.glob("digits-*.safetensors"))) == 1
    assert classifier.features(digits["x"][:5]).shape == (5, 128)


def test_cache_round_trip_gives_identical_logits_without_training(
    classifier, digits, cache_root, monkeypatch
):
    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier should have been loaded")

    monkeypatch.setattr(regen.eval.classifier, "train_stage", no_training)
    again = get_domain_classifier(
        digits["x"],
        digits["y"],
        10,
        key="digits",
        steps=STEPS,
        batch_size=BATCH,
        cache_root=cache_root,
    )
    assert torch.equal(again(digits["x_test"]), classifier(digits["x_test"]))
    assert again.record == classifier.record
    # A different seed or different data is a different cache entry, so it must train.
    with pytest.raises(AssertionError, match="cached classifier"):
        get_domain_classifier(
            digits["x"], digits["y"], 10, key="digits", steps=STEPS, seed=1, cache_root=cache_root
        )
    with pytest.raises(AssertionError, match="cached classifier"):
        get_domain_classifier(
            digits["x"][:-1], digits["y"][:-1], 10, key="digits", steps=STEPS, cache_root=cache_root
        )


def test_corrupted_cache_names_the_file(digits, tmp_path):
    small = {"images": digits["x"][:64], "labels": digits["y"][:64]}
    get_domain_classifier(**small, num_classes=10, key="tiny", steps=2, cache_root=tmp_path)
    (weights,) = tmp_path.glob("tiny-*.safetensors")
    weights.write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="delete it to retrain") as info:
        get_domain_classifier(**small, num_classes=10, key="tiny", steps=2, cache_root=tmp_path)
    assert str(weights) in str(info.value)


def test_bad_labels_are_a_data_error(digits, tmp_path):
    with pytest.raises(DataError, match="num_classes"):
        get_domain_classifier(digits["x"], digits["y"], 5, key="d", cache_root=tmp_path)


def test_random_shift_translates_by_whole_pixels():
    images = torch.full((32, 1, 9, 9), -1.0)
    images[:, :, 4, 4] = 1.0
    shifted = random_shift(images, max_shift=2)
    assert torch.equal(random_shift(images, max_shift=0), images)
    for image in shifted:
        hot = (image[0] == 1.0).nonzero()
        assert len(hot) == 1 and (hot[0] - 4).abs().max() <= 2
    assert len({tuple((img[0] == 1.0).nonzero()[0].tolist()) for img in shifted}) > 1


def test_fid_kid_separate_noise_from_real(classifier, digits):
    real, test = digits["x"][:600], digits["x_test"]
    noise = torch.rand(400, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    same = fid_kid(real, real, classifier.features)
    split = fid_kid(real, test, classifier.features)
    far = fid_kid(real, noise, classifier.features)
    assert abs(same["fid"]) < 1e-3
    # KID is unbiased: near 0 for equal distributions, up to its subset noise (kid_std).
    assert abs(same["kid"]) < 2 * same["kid_std"] and abs(split["kid"]) < 2 * split["kid_std"]
    assert far["fid"] > 20 * split["fid"] > 0
    assert far["kid"] > 20 * split["kid_std"] > 0
    # KID draws random subsets: its result must not depend on the caller's RNG state.
    torch.manual_seed(123)
    assert fid_kid(real, test, classifier.features) == split


def test_fid_kid_checks_inputs(digits):
    flat = lambda x: x.flatten(1)  # noqa: E731
    with pytest.raises(DataError, match="equal C, H, W"):
        fid_kid(digits["x"], digits["x"][:, :, :4], flat)
    with pytest.raises(ConfigError, match="at least 2"):
        fid_kid(digits["x"], digits["x"][:1], flat)


def test_precision_recall_of_identical_and_disjoint_sets():
    features = torch.randn(300, 16, generator=torch.Generator().manual_seed(0))
    assert precision_recall(features, features) == {"precision": 1.0, "recall": 1.0}
    far = precision_recall(features, features + 100.0)
    assert far == {"precision": 0.0, "recall": 0.0}
    # Fakes collapsed onto one real point: precise but with almost no recall (mode collapse).
    collapsed = precision_recall(features, features[:1].repeat(300, 1))
    assert collapsed["precision"] == 1.0 and collapsed["recall"] < 0.05
    with pytest.raises(ConfigError, match="num_samples"):
        precision_recall(features[:3], features, k=3)


def test_psnr_known_values():
    reference = torch.zeros(2, 1, 4, 4)
    assert psnr(reference, reference + 0.1) == pytest.approx(10 * math.log10(4 / 0.01))
    # per-image PSNR averaged over the batch: 26.02 dB and 20.00 dB
    estimate = torch.cat([reference[:1] + 0.1, reference[:1] + 0.2])
    expected = (10 * math.log10(4 / 0.01) + 10 * math.log10(4 / 0.04)) / 2
    assert psnr(reference, estimate) == pytest.approx(expected)
    assert psnr(reference, reference) == math.inf
    with pytest.raises(DataError, match="equal shape"):
        psnr(reference, reference[:1])


def test_conditional_accuracy(classifier, digits):
    images, labels = digits["x_test"], digits["y_test"]
    assert conditional_accuracy(classifier, images, labels) == pytest.approx(
        classifier.record["heldout_accuracy"]
    )
    assert conditional_accuracy(classifier, images, (labels + 1) % 10) < 0.1
    with pytest.raises(DataError, match="one label per image"):
        conditional_accuracy(classifier, images, labels[:-1])


def test_evaluate_images_ranks_real_above_noise(classifier, digits):
    real, fake, fake_labels = digits["x_test"], digits["x"][:400], digits["y"][:400]
    noise = torch.rand(400, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1
    good = evaluate_images(real, fake, fake_labels, classifier)
    bad = evaluate_images(real, noise, fake_labels, classifier)
    assert set(good) == {"fid", "kid", "kid_std", "precision", "recall", "accuracy"}
    assert good["fid"] < bad["fid"] and good["kid"] < bad["kid"]
    assert good["precision"] > 0.8 and good["recall"] > 0.8
    assert bad["precision"] < 0.5 and bad["recall"] < 0.5
    assert bad["accuracy"] < 0.5 < 0.9 < good["accuracy"]
    assert "classifier" in FEATURES_DESCRIPTION


def test_classifier_trains_on_a_memory_mapped_split_a_chunk_at_a_time(tmp_path, monkeypatch):
    """A user's store-backed training split is never read whole, and the cache entry is the
    one the same images as a tensor would hit (the hash runs chunk by chunk)."""
    from regen.data.image_set import MappedImages, images_from_pixels
    from regen.data.store import ShardedArray

    pixels = torch.randint(0, 256, (40, 8, 8, 1), dtype=torch.uint8).numpy()
    labels = torch.arange(40) % 2
    reads: list[int] = []

    class CountingImages(MappedImages):
        def __getitem__(self, index):
            rows = super().__getitem__(index)
            reads.append(len(rows) if rows.dim() == 4 else 1)
            return rows

    monkeypatch.setattr(regen.eval.classifier, "READ_ROWS", 16)
    mapped = CountingImages(ShardedArray([pixels[:25], pixels[25:]]))
    kwargs = {"key": "mapped", "steps": 3, "batch_size": 8, "cache_root": tmp_path}
    trained = get_domain_classifier(mapped, labels, 2, **kwargs)
    assert reads and max(reads) <= 16, f"read {max(reads)} of 40 rows at once"

    def no_training(*args, **kwargs):
        raise AssertionError("the tensor of the same images should reuse the cache entry")

    monkeypatch.setattr(regen.eval.classifier, "train_stage", no_training)
    again = get_domain_classifier(images_from_pixels(pixels), labels, 2, **kwargs)
    probe = images_from_pixels(pixels[:4])
    assert torch.equal(again(probe), trained(probe))
