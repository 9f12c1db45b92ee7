"""Image metrics in the feature space of regen's domain classifier.

FID and KID come from torchmetrics with the classifier as a custom feature extractor,
precision/recall follow Kynkäänniemi et al. (2019), conditional accuracy is the classifier's
accuracy on generated images against the labels they were generated for, and PSNR measures
reconstructions. Images are float tensors ``[N, C, H, W]`` in ``[-1, 1]`` throughout.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor, nn
from torchmetrics.functional.image import peak_signal_noise_ratio
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from regen.errors import ConfigError, DataError
from regen.eval.classifier import DomainClassifier, accuracy, embed

FEATURES_DESCRIPTION = (
    "FID, KID, precision and recall are computed on the penultimate-layer activations of a small "
    "CNN classifier that regen trained on this dataset's real training images (no Inception "
    "weights), so they compare systems on this dataset only, not with published FID values."
)

METRIC_SEED = 0  # KID draws random subsets; a fixed seed makes reports reproducible


class _FeatureExtractor(nn.Module):
    """Wraps a feature function for torchmetrics: float64 features on CPU, no gradients.

    CPU float64 keeps torchmetrics' running sums exact and on the device its states live
    on, wherever the feature function runs.
    """

    def __init__(self, feature_fn: Callable[[Tensor], Tensor], num_features: int) -> None:
        super().__init__()
        self.feature_fn = feature_fn
        self.num_features = num_features  # read by FrechetInceptionDistance

    @torch.no_grad()
    def forward(self, images: Tensor) -> Tensor:
        return self.feature_fn(images).detach().to("cpu", torch.float64)


def fid_kid(
    real: Tensor,
    fake: Tensor,
    feature_fn: Callable[[Tensor], Tensor],
    *,
    kid_subset_size: int = 100,
    batch_size: int = 256,
) -> dict[str, float]:
    """Fréchet and kernel distances between two image sets in the space of ``feature_fn``.

    Args:
        real: reference images ``[N, C, H, W]`` in ``[-1, 1]``.
        fake: generated images ``[M, C, H, W]`` in ``[-1, 1]``.
        feature_fn: images ``[B, C, H, W]`` -> features ``[B, D]``; it receives CPU float32
            batches and moves them itself if it runs elsewhere.
        kid_subset_size: images per KID subset (100 subsets); lowered to ``min(N, M)``.
        batch_size: images per call of ``feature_fn``.

    Returns:
        ``{"fid", "kid", "kid_std"}``: FID is the squared Fréchet distance of Gaussians fitted
        to the features (0 for identical sets); KID is the unbiased polynomial-kernel MMD²
        averaged over random subsets, with its standard deviation over subsets. Both are in
        squared feature units, so they compare only within one feature space.
    """
    _check_pair(real, fake)
    num_features = int(feature_fn(real[:2].float()).shape[-1])
    extractor = _FeatureExtractor(feature_fn, num_features)
    subset = min(kid_subset_size, len(real), len(fake))
    # sync_on_compute=False: metrics are computed by one process; under torchrun the default
    # would wait for every rank to join the reduction.
    fid = FrechetInceptionDistance(feature=extractor, normalize=True, sync_on_compute=False)
    with warnings.catch_warnings():  # "KID keeps all features in memory": intended here
        warnings.simplefilter("ignore", UserWarning)
        kid = KernelInceptionDistance(
            feature=extractor, subset_size=subset, normalize=True, sync_on_compute=False
        )
    for images, is_real in ((real, True), (fake, False)):
        for chunk in images.float().split(batch_size):
            fid.update(chunk, real=is_real)
            kid.update(chunk, real=is_real)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(METRIC_SEED)
        kid_mean, kid_std = kid.compute()
    return {"fid": float(fid.compute()), "kid": float(kid_mean), "kid_std": float(kid_std)}


def precision_recall(real_features: Tensor, fake_features: Tensor, k: int = 3) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019) of feature sets.

    Each set's manifold is the union of balls around its points whose radius is the distance
    to the point's ``k``-th nearest neighbour within the set. Precision is the fraction of
    fake points inside the real manifold (fidelity); recall is the fraction of real points
    inside the fake manifold (coverage).

    Args:
        real_features: ``[N, D]``.
        fake_features: ``[M, D]``.
        k: neighbourhood size; needs ``k < min(N, M)``.

    Returns:
        ``{"precision", "recall"}``, each in ``[0, 1]``.
    """
    real, fake = real_features.double().cpu(), fake_features.double().cpu()
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise DataError(
            f"precision/recall need feature matrices [N, D] and [M, D] with the same D, got "
            f"{list(real.shape)} and {list(fake.shape)}"
        )
    if k < 1 or k >= min(len(real), len(fake)):
        raise ConfigError(
            f"precision/recall with k={k} need more than k samples in each set, got "
            f"{len(real)} real and {len(fake)} fake; raise eval.num_samples"
        )
    return {
        "precision": _fraction_inside(fake, real, k),
        "recall": _fraction_inside(real, fake, k),
    }


def _fraction_inside(points: Tensor, manifold: Tensor, k: int, chunk: int = 2048) -> float:
    """Fraction of ``points`` inside at least one k-NN ball of ``manifold``."""
    # kthvalue(k + 1): the nearest "neighbour" of each manifold point is itself, at 0.
    radii = torch.cat(
        [
            torch.cdist(block, manifold).kthvalue(k + 1, dim=1).values
            for block in manifold.split(chunk)
        ]
    )
    inside = torch.cat(
        [(torch.cdist(block, manifold) <= radii).any(dim=1) for block in points.split(chunk)]
    )
    return float(inside.double().mean())


def conditional_accuracy(classifier: DomainClassifier, images: Tensor, labels: Tensor) -> float:
    """Fraction of generated ``images`` that ``classifier`` assigns to their intended ``labels``.

    Args:
        classifier: the domain classifier of the dataset.
        images: ``[N, C, H, W]`` in ``[-1, 1]``, on any device.
        labels: ``[N]`` the class each image was generated for.
    """
    if labels.shape != (len(images),):
        raise DataError(
            f"conditional accuracy needs one label per image: {len(images)} images, labels of "
            f"shape {list(labels.shape)}"
        )
    return accuracy(classifier, images, labels)


def psnr(reference: Tensor, estimate: Tensor) -> float:
    """Peak signal-to-noise ratio in dB for images in ``[-1, 1]`` (data range 2).

    Computed per image over all its pixels and channels, then averaged over the batch;
    ``inf`` when some image is reproduced exactly.
    """
    if reference.shape != estimate.shape:
        raise DataError(
            f"psnr needs images of equal shape, got {list(reference.shape)} and "
            f"{list(estimate.shape)}"
        )
    dims = tuple(range(1, reference.dim())) if reference.dim() > 1 else None
    value = peak_signal_noise_ratio(
        estimate.double().cpu(), reference.double().cpu(), data_range=2.0, dim=dims
    )
    return float(value)


def evaluate_images(
    real: Tensor, fake: Tensor, fake_labels: Tensor | None, classifier: DomainClassifier
) -> dict[str, float]:
    """All image metrics of generated ``fake`` images against held-out ``real`` ones.

    Args:
        real: real images ``[N, C, H, W]`` in ``[-1, 1]`` (not the classifier's training set,
            so the classifier has no advantage on them).
        fake: generated images ``[M, C, H, W]`` in ``[-1, 1]``.
        fake_labels: ``[M]`` the class each fake image was generated for, or ``None`` when
            they were asked for by held-out captions (no class to score: no ``accuracy``).
        classifier: the dataset's domain classifier (see ``get_domain_classifier``).

    Returns:
        ``fid``, ``kid``, ``kid_std``, ``precision``, ``recall``, ``accuracy``; see
        :data:`FEATURES_DESCRIPTION` for the feature space.
    """
    feature_fn = partial(embed, classifier)
    metrics = fid_kid(real, fake, feature_fn)
    metrics.update(precision_recall(feature_fn(real), feature_fn(fake)))
    if fake_labels is not None:
        metrics["accuracy"] = conditional_accuracy(classifier, fake, fake_labels)
    return metrics


def _check_pair(real: Tensor, fake: Tensor) -> None:
    if real.dim() != 4 or real.shape[1:] != fake.shape[1:]:
        raise DataError(
            f"real and generated images must both be [N, C, H, W] with equal C, H, W, got "
            f"{list(real.shape)} and {list(fake.shape)}"
        )
    if min(len(real), len(fake)) < 2:
        raise ConfigError(
            f"FID/KID need at least 2 images per set, got {len(real)} real and {len(fake)} "
            "generated; raise eval.num_samples"
        )
