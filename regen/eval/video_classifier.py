"""A small 3-D CNN trained here on real clips to predict the factors that made them.

No I3D weights can be downloaded, so FVD's feature network is replaced by this classifier:
its accuracy on generated clips measures caption adherence (does the clip show the glyph,
direction and speed it was asked for?) and the Fréchet distance in its pooled features is a
*local* FVD (see :mod:`regen.eval.video_metrics`), comparable only between systems scored with
the same classifier. Trained once per dataset and step count, then cached as safetensors.
"""

from __future__ import annotations

import hashlib

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from regen.config import TrainConfig
from regen.contracts import LossOutput
from regen.data.cache import load_or_build
from regen.modules.conv import group_norm
from regen.training.loop import train_stage

FACTORS = ("glyph", "direction", "speed")
FEATURES = 64
VERSION = 2  # in the cache key: bump when the architecture or its training changes


class FactorClassifier(nn.Module):
    """Clips ``[B, T, H, W]`` in [-1, 1] -> pooled features ``[B, 64]`` -> one logit vector
    per factor. Strided 3-D convolutions keep time resolution early (motion needs it)."""

    trainable = True

    def __init__(self, classes: dict[str, int]) -> None:
        super().__init__()
        # The first layer keeps full resolution: a 12-pixel glyph halved at once loses the
        # strokes that tell letters apart. Time is halved only in the last two layers.
        widths = (8, 16, 32, 64, FEATURES)
        strides = ((1, 1, 1), (1, 2, 2), (1, 2, 2), (2, 2, 2), (2, 2, 2))
        layers: list[nn.Module] = []
        channels = 1
        for width, stride in zip(widths, strides):
            layers += [nn.Conv3d(channels, width, 3, stride=stride, padding=1)]
            layers += [group_norm(width), nn.SiLU()]
            channels = width
        self.body = nn.Sequential(*layers)
        self.heads = nn.ModuleDict({k: nn.Linear(FEATURES, n) for k, n in classes.items()})

    def features(self, clips: Tensor) -> Tensor:
        return self.body(clips.unsqueeze(1)).mean((2, 3, 4))

    def forward(self, clips: Tensor) -> dict[str, Tensor]:
        hidden = self.features(clips)
        return {k: head(hidden) for k, head in self.heads.items()}

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        logits = self(batch["y"])
        losses = {k: F.cross_entropy(logits[k], batch[k]) for k in self.heads}
        logs = {
            f"{k}_accuracy": float((logits[k].argmax(-1) == batch[k]).float().mean())
            for k in self.heads
        }
        return sum(losses.values()), logs


@torch.no_grad()
def predict(model: FactorClassifier, clips: Tensor, batch: int = 128) -> dict[str, Tensor]:
    """Predicted class per factor, int64 ``[N]`` each."""
    outs = [model(c) for c in clips.split(batch)]
    return {k: torch.cat([o[k] for o in outs]).argmax(-1) for k in model.heads}


@torch.no_grad()
def embed(model: FactorClassifier, clips: Tensor, batch: int = 128) -> Tensor:
    """Pooled features ``[N, 64]`` float64 (for Fréchet distances)."""
    return torch.cat([model.features(c) for c in clips.split(batch)]).double()


def get_factor_classifier(
    clips: Tensor, labels: dict[str, Tensor], classes: dict[str, int], *, steps: int, seed: int = 0
) -> FactorClassifier:
    """The classifier for these training clips, trained once (``steps`` of batch 32) and then
    loaded from ``$XDG_CACHE_HOME/regen``; the key hashes the clips, labels and settings."""
    digest = hashlib.sha256()
    digest.update(clips.numpy().tobytes())
    for name in FACTORS:
        digest.update(labels[name].numpy().tobytes())
    key = f"video-factors-v{VERSION}-{digest.hexdigest()[:16]}-{steps}-s{seed}"

    def build() -> tuple[dict[str, Tensor], dict]:
        torch.manual_seed(seed)
        model = FactorClassifier(classes)
        cfg = TrainConfig(
            steps=steps,
            batch_size=32,
            lr=2e-3,
            warmup_steps=min(50, steps // 10),
            ema_decay=0.0,
            seed=seed,
        )
        tensors = {"y": clips, **{k: labels[k] for k in FACTORS}}
        result = train_stage("factor-classifier", model, tensors, cfg, None, progress=False)
        return dict(model.state_dict()), {"train_seconds": result.seconds}

    state, _ = load_or_build(key, build)
    model = FactorClassifier(classes)
    model.load_state_dict(state)
    return model.eval().requires_grad_(False)
