"""An audio attribute classifier trained here on real clips: the ears of the sound metrics.

No pretrained audio network (VGGish, PANNs, CLAP) can be downloaded, so regen trains a small
one on the real training clips to predict what a caption states (instrument family, mode,
meter, tempo band). Its accuracy on generated clips, against the attributes of the captions
they were generated from, is caption adherence; its penultimate features are the space of
the local Fréchet audio distance (:mod:`regen.eval.audio_metrics`).

    log-mel [B, n_mels, F] ─standardise─▶ 3 dilated 1-D convs (GELU) ─mean & std over time─▶
        Linear + GELU ─▶ features [B, feature_dim] ─▶ one linear head per attribute

It trains on random crops (about two seconds) and scores whole clips; pooling over time
makes it indifferent to length.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from regen.modules.dsp import MelSpectrogram


class AttributeClassifier(nn.Module):
    """Log-mel [B, n_mels, F] -> logits per attribute, and penultimate features."""

    def __init__(
        self, n_mels: int, classes: dict[str, int], width: int = 96, feature_dim: int = 32
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_mels, 1))
        self.register_buffer("std", torch.ones(n_mels, 1))
        self.convs = nn.ModuleList(
            nn.Conv1d(n_mels if i == 0 else width, width, 5, padding=2 * 2**i, dilation=2**i)
            for i in range(3)
        )
        self.embed = nn.Linear(2 * width, feature_dim)
        self.heads = nn.ModuleDict({name: nn.Linear(feature_dim, n) for name, n in classes.items()})

    def features(self, log_mel: torch.Tensor) -> torch.Tensor:
        """[B, n_mels, F] -> [B, feature_dim] (the local FAD's feature space)."""
        h = (log_mel - self.mean) / self.std
        for conv in self.convs:
            h = F.gelu(conv(h))
        pooled = torch.cat([h.mean(-1), h.std(-1, unbiased=False)], 1)
        return F.gelu(self.embed(pooled))

    def forward(self, log_mel: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.features(log_mel)
        return {name: head(features) for name, head in self.heads.items()}


def train_attribute_classifier(
    mel: MelSpectrogram,
    audio: torch.Tensor,
    labels: dict[str, torch.Tensor],
    classes: dict[str, int],
    *,
    steps: int,
    batch_size: int,
    crop_frames: int,
    seed: int = 0,
) -> AttributeClassifier:
    """Fit on real clips ``audio`` [N, T] with int64 ``labels`` [N] per attribute."""
    torch.manual_seed(seed)
    with torch.no_grad():
        mels = torch.cat([mel.encode(chunk) for chunk in audio.split(64)])  # [N, n_mels, F]
    model = AttributeClassifier(mel.n_mels, classes)
    model.mean.copy_(mels.mean((0, 2))[:, None])
    model.std.copy_(mels.std((0, 2))[:, None].clamp_min(1e-3))
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 2e-3, total_steps=max(steps, 1))
    crop = min(crop_frames, mels.shape[-1])
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        index = torch.randint(len(mels), (batch_size,), generator=g)
        start = int(torch.randint(mels.shape[-1] - crop + 1, (1,), generator=g))
        logits = model(mels[index, :, start : start + crop])
        loss = sum(F.cross_entropy(logits[k], labels[k][index]) for k in classes)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


@torch.no_grad()
def clip_outputs(
    model: AttributeClassifier, mel: MelSpectrogram, audio: torch.Tensor, batch_size: int = 32
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Features [N, feature_dim] and predicted class ids per attribute for whole clips."""
    features, predictions = [], []
    for chunk in audio.split(batch_size):
        feature = model.features(mel.encode(chunk))  # once: the heads read the same features
        features.append(feature)
        predictions.append({k: head(feature).argmax(-1) for k, head in model.heads.items()})
    joined = {k: torch.cat([p[k] for p in predictions]) for k in predictions[0]}
    return torch.cat(features), joined
