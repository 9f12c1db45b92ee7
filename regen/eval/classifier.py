"""The domain classifier: regen's own stand-in for Inception in image metrics.

No pretrained feature network can be downloaded, so regen trains a small CNN on the real
training images of a dataset, caches its weights, and uses

* its penultimate activations as the feature space of FID, KID and precision/recall, and
* its predicted class as the judge of conditional fidelity (accuracy on generated samples).

Numbers computed in this space compare systems trained on the same dataset with the same
classifier; they are not comparable with Inception-based FID values in papers.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from regen.config import TrainConfig
from regen.contracts import LossOutput
from regen.data.cache import cache_dir
from regen.errors import CheckpointError, DataError
from regen.training.loop import train_stage

if TYPE_CHECKING:
    from regen.data.image_set import MappedImages

# Rows read at once when hashing or scoring a training split: a memory-mapped split of a
# user's own images (MappedImages) is streamed in chunks of this many, never read whole.
READ_ROWS = 4096

CACHE_VERSION = 1  # bump when the architecture or training recipe changes


def _conv_block(channels_in: int, channels_out: int, stride: int) -> nn.Sequential:
    """Conv, norm, SiLU; the output size is exactly ``input size // stride``."""
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, kernel_size=stride + 2, stride=stride, padding=1),
        # BatchNorm, not GroupNorm: in eval mode its fixed statistics leave out-of-domain
        # inputs (noise, washed-out samples) far from the real features, where per-image
        # normalisation would rescale them to look typical (noise precision 0.03 vs 0.53).
        nn.BatchNorm2d(channels_out),
        nn.SiLU(),
    )


class DomainClassifier(nn.Module):
    """A small CNN classifier over images in ``[-1, 1]``.

    A patch stem brings images larger than 16 pixels down to 16, strided convolutions halve
    the resolution until it is at most 4 pixels (channels grow from ``width // 2`` to
    ``2 * width``), global average pooling gives one vector, a hidden layer of
    ``feature_dim`` units gives the features and a linear layer gives the logits.

    Args:
        image_shape: ``(C, H, W)`` of the images it sees.
        num_classes: number of labels.
        width: base number of channels.
        feature_dim: size of the penultimate layer used as the metric feature space.
    """

    trainable = True

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        num_classes: int,
        width: int = 64,
        feature_dim: int = 128,
    ) -> None:
        super().__init__()
        channels, height, width_px = image_shape
        self.image_shape = tuple(image_shape)
        self.num_classes = num_classes
        self.feature_dim = feature_dim
        # torchmetrics' FID reads this instead of probing the network with a dummy image.
        self.num_features = feature_dim
        # How it was trained (steps, seconds, accuracies); filled by get_domain_classifier.
        self.record: dict[str, float | int | str] = {}

        # Large images are first cut into overlapping patches down to 16 pixels, and each
        # further halving is one strided convolution: this keeps a 64x64 classifier cheap
        # enough to train on CPU in minutes while the features still see every pixel.
        size = max(height, width_px)
        patch = max(1, size // 16)
        ch = max(width // 2, 8)
        layers = [_conv_block(channels, ch, stride=patch), _conv_block(ch, ch, stride=1)]
        size //= patch
        while size > 4:
            out = min(ch * 2, width * 2)
            layers.append(_conv_block(ch, out, stride=2))
            ch, size = out, size // 2
        layers.append(_conv_block(ch, ch, stride=1))
        self.body = nn.Sequential(*layers)
        self.embed = nn.Sequential(nn.Linear(ch, feature_dim), nn.SiLU())
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: Tensor) -> Tensor:
        """Images ``[B, C, H, W]`` in ``[-1, 1]`` -> penultimate activations ``[B, feature_dim]``."""
        return self.embed(self.body(x).mean(dim=(2, 3)))

    def forward(self, x: Tensor) -> Tensor:
        """Images ``[B, C, H, W]`` in ``[-1, 1]`` -> logits ``[B, num_classes]``."""
        return self.head(self.features(x))

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        """Cross-entropy on ``batch["y"]`` (images) and ``batch["label"]`` (int64 ``[B]``).

        In training mode each image is shifted by up to ``max(1, H // 16)`` pixels so the
        features do not hinge on exact pixel positions, which generated images rarely match.
        """
        images, labels = batch["y"], batch["label"].long()
        if self.training:
            images = random_shift(images, max(1, images.shape[-2] // 16))
        logits = self(images)
        loss = F.cross_entropy(logits, labels)
        accuracy = (logits.argmax(dim=1) == labels).float().mean()
        return loss, {"accuracy": float(accuracy)}


def random_shift(images: Tensor, max_shift: int) -> Tensor:
    """Translate each image by its own random integer offset in ``[-max_shift, max_shift]``.

    Borders are extended (``padding_mode="border"``), which suits both dark and light
    backgrounds.
    """
    batch, _, height, width = images.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (batch, 2), device=images.device)
    theta = torch.zeros(batch, 2, 3, device=images.device, dtype=images.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    # affine_grid works in [-1, 1] coordinates: one pixel is 2 / size.
    theta[:, 0, 2] = shifts[:, 0] * 2.0 / width
    theta[:, 1, 2] = shifts[:, 1] * 2.0 / height
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="nearest", padding_mode="border", align_corners=False)


@torch.no_grad()
def _batched(
    fn: Callable[[Tensor], Tensor],
    device: torch.device,
    images: Tensor | MappedImages,
    batch_size: int,
) -> Tensor:
    return torch.cat(
        [fn(chunk.to(device, torch.float32)).cpu() for chunk in images.split(batch_size)]
    )


def embed(classifier: DomainClassifier, images: Tensor, batch_size: int = 512) -> Tensor:
    """Features ``[N, feature_dim]`` (on CPU) of images ``[N, C, H, W]`` on any device."""
    device = next(classifier.parameters()).device
    return _batched(classifier.features, device, images, batch_size)


def predict(
    classifier: DomainClassifier, images: Tensor | MappedImages, batch_size: int = 512
) -> Tensor:
    """Predicted labels ``[N]`` (int64, on CPU) for images ``[N, C, H, W]`` in ``[-1, 1]``."""
    device = next(classifier.parameters()).device
    return _batched(classifier, device, images, batch_size).argmax(dim=1)


def accuracy(
    classifier: DomainClassifier,
    images: Tensor | MappedImages,
    labels: Tensor,
    batch_size: int = 512,
) -> float:
    """Fraction of ``images`` whose predicted label equals ``labels`` (in ``[0, 1]``)."""
    predicted = predict(classifier, images, batch_size)
    return float((predicted == labels.cpu().long()).float().mean())


def get_domain_classifier(
    images: Tensor | MappedImages,
    labels: Tensor,
    num_classes: int,
    *,
    key: str,
    steps: int = 600,
    batch_size: int = 128,
    seed: int = 0,
    cache_root: Path | None = None,
    heldout: tuple[Tensor, Tensor] | None = None,
    progress: bool = False,
) -> DomainClassifier:
    """The classifier for a dataset, trained once and then loaded from the cache.

    Args:
        images: real training images ``[N, C, H, W]``, float in ``[-1, 1]``: a tensor, or a
            memory-mapped split (:class:`regen.data.image_set.MappedImages`), which is read
            a batch or ``READ_ROWS`` rows at a time.
        labels: their classes ``[N]``, integers in ``[0, num_classes)``.
        num_classes: number of classes.
        key: dataset name used in the cache file name, e.g. ``"glyphs32"``.
        steps: optimizer steps of ``batch_size`` images.
        seed: seed of the initialisation and batch order.
        cache_root: folder of the cache; default ``$XDG_CACHE_HOME/regen/classifiers``.
        heldout: optional ``(images, labels)`` whose accuracy is recorded beside the weights.
        progress: show the training progress bar.

    The cache file name hashes ``key``, shapes, ``steps``, ``batch_size``, ``seed`` and the
    bytes of ``images``/``labels``, so a changed dataset never reuses a stale classifier.
    Weights are safetensors; a JSON sidecar holds train and held-out accuracy, which are
    also in ``classifier.record``.

    Training runs through :func:`regen.training.loop.train_stage` (AdamW, warmup + cosine,
    no EMA) on the default device; under torchrun every rank must call this (DDP).

    Returns:
        the classifier on CPU, in eval mode, with ``requires_grad`` off.
    """
    _check_inputs(images, labels, num_classes)
    if heldout is not None:
        _check_inputs(*heldout, num_classes)
    image_shape = tuple(int(d) for d in images.shape[1:])
    root = Path(cache_root) if cache_root is not None else cache_dir() / "classifiers"
    stem = _cache_stem(images, labels, num_classes, key, steps, batch_size, seed)
    weights, sidecar = root / f"{stem}.safetensors", root / f"{stem}.json"

    model = _new_classifier(image_shape, num_classes, seed)
    if weights.is_file() and sidecar.is_file():
        try:
            model.load_state_dict(load_file(weights))
            model.record = json.loads(sidecar.read_text())
        except (SafetensorError, RuntimeError, ValueError) as exc:
            raise CheckpointError(
                f"cached classifier {weights} is unreadable ({exc.__class__.__name__}); "
                "delete it to retrain"
            ) from exc
        return _frozen(model)

    cfg = TrainConfig(
        steps=steps,
        batch_size=min(batch_size, len(images)),
        lr=2e-3,
        weight_decay=1e-4,
        warmup_steps=min(50, steps // 10),
        ema_decay=0.0,  # a short supervised run; the live weights are what we evaluate
        seed=seed,
    )
    result = train_stage(
        f"classifier-{key}",
        model,
        {"y": images.float() if isinstance(images, Tensor) else images, "label": labels.long()},
        cfg,
        None,
        progress=progress,
    )
    model = _frozen(model)
    record: dict[str, float | int | str] = {
        "key": key,
        "steps": steps,
        "batch_size": cfg.batch_size,
        "seed": seed,
        "train_seconds": round(result.seconds, 3),
        "train_accuracy": accuracy(model, images, labels, batch_size=READ_ROWS),
    }
    if heldout is not None:
        record["heldout_accuracy"] = accuracy(model, *heldout)
    model.record = record
    _write_cache(model, weights, sidecar)
    return model


def _check_inputs(images: Tensor | MappedImages, labels: Tensor, num_classes: int) -> None:
    floating = images.is_floating_point() if isinstance(images, Tensor) else True  # mapped: float
    if images.ndim != 4 or not floating:
        raise DataError(
            f"classifier images must be float [N, C, H, W] in [-1, 1], got {images.dtype} "
            f"{list(images.shape)}"
        )
    if labels.shape != (len(images),):
        raise DataError(
            f"classifier labels must have shape [{len(images)}] to match the images, got "
            f"{list(labels.shape)}"
        )
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise DataError(
            f"classifier labels must lie in [0, {num_classes}), got "
            f"[{int(labels.min())}, {int(labels.max())}]; check num_classes"
        )


def _cache_stem(
    images: Tensor | MappedImages,
    labels: Tensor,
    num_classes: int,
    key: str,
    steps: int,
    batch_size: int,
    seed: int,
) -> str:
    digest = hashlib.sha256()
    description = {
        "version": CACHE_VERSION,
        "key": key,
        "shape": list(images.shape),
        "num_classes": num_classes,
        "steps": steps,
        "batch_size": batch_size,
        "seed": seed,
    }
    digest.update(json.dumps(description, sort_keys=True).encode())
    # Chunk by chunk, so a mapped split is never read whole; the bytes fed are those of the
    # whole tensor, so a tensor and a mapped split of the same images share a cache entry.
    for chunk in images.split(READ_ROWS):
        digest.update(chunk.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    digest.update(labels.detach().to("cpu", torch.int64).contiguous().numpy().tobytes())
    safe_key = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)
    return f"{safe_key}-{steps}steps-seed{seed}-{digest.hexdigest()[:16]}"


def _new_classifier(image_shape: tuple[int, ...], num_classes: int, seed: int) -> DomainClassifier:
    # A private RNG stream so the initial weights depend on ``seed`` only, not on the caller.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return DomainClassifier(image_shape, num_classes)  # type: ignore[arg-type]


def _frozen(model: DomainClassifier) -> DomainClassifier:
    model = model.cpu().eval()
    model.requires_grad_(False)
    return model


def _write_cache(model: DomainClassifier, weights: Path, sidecar: Path) -> None:
    # Write-then-rename: parallel ranks or a killed run never leave half a file behind.
    weights.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp{os.getpid()}"
    tmp_weights, tmp_sidecar = Path(f"{weights}{suffix}"), Path(f"{sidecar}{suffix}")
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, tmp_weights)
    tmp_sidecar.write_text(json.dumps(model.record, indent=2, sort_keys=True))
    os.replace(tmp_weights, weights)
    os.replace(tmp_sidecar, sidecar)
