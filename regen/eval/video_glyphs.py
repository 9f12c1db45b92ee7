"""Per-frame glyph recognition with the image task's domain classifier.

The 3-D factor classifier reads motion well but a 12-pixel glyph that moves is hard to name
from pooled video features, so the glyph is read frame by frame instead: each frame is
cropped around its ink (one glyph per clip), scaled to 32x32, and classified by a
:class:`regen.eval.classifier.DomainClassifier` trained (and cached) on the glyph sprites of
the training fonts, rendered at the clips' glyph size and scaled the same way. From the
per-frame predictions come:

* per-frame glyph accuracy: frames showing the asked glyph;
* the clip's glyph: the most frequent per-frame prediction (used by caption adherence);
* temporal consistency: frames agreeing with the clip's own most frequent prediction, i.e.
  whether the glyph keeps its identity across frames (1 = it never changes).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from regen.data.glyphs import CHARACTERS, load_glyphs
from regen.data.splits import held_out_groups
from regen.eval.classifier import DomainClassifier, get_domain_classifier, predict

SIDE = 32  # the classifier's input side


def scale_up(images: Tensor) -> Tensor:
    """``[N, 1, s, s]`` -> ``[N, 1, 32, 32]`` (bilinear)."""
    return F.interpolate(images, size=(SIDE, SIDE), mode="bilinear", align_corners=False)


def frame_crops(clips: Tensor, glyph_size: int) -> Tensor:
    """``[N, T, H, W]`` -> ``[N*T, 1, 32, 32]``: a ``glyph_size`` window centred on each
    frame's ink box (the frame centre when a frame has no ink), scaled to 32x32."""
    n, t, h, w = clips.shape
    frames = clips.reshape(n * t, h, w)
    padded = F.pad(frames, (glyph_size,) * 4, value=-1.0)  # windows may cross the border
    ink = (frames > 0).numpy()
    crops = []
    for index in range(n * t):
        rows, cols = np.nonzero(ink[index])
        cy = (rows.min() + rows.max() + 1) / 2 if len(rows) else h / 2
        cx = (cols.min() + cols.max() + 1) / 2 if len(cols) else w / 2
        top = int(round(cy - glyph_size / 2)) + glyph_size
        left = int(round(cx - glyph_size / 2)) + glyph_size
        crops.append(padded[index, top : top + glyph_size, left : left + glyph_size])
    return scale_up(torch.stack(crops)[:, None])


def get_glyph_classifier(
    glyph_size: int, holdout_fraction: float, steps: int = 600
) -> DomainClassifier:
    """The domain classifier of the training fonts' sprites at ``glyph_size`` (cached)."""
    sprites = load_glyphs(glyph_size)
    test_fonts = held_out_groups(sprites.groups, holdout_fraction)
    train = torch.tensor([g not in test_fonts for g in sprites.groups])
    return get_domain_classifier(
        scale_up(sprites.images[train]),
        sprites.labels[train],
        len(CHARACTERS),
        key=f"video-glyph-sprites-{glyph_size}",
        steps=steps,
    )


def frame_glyphs(
    classifier: DomainClassifier, clips: Tensor, glyph_size: int
) -> tuple[Tensor, Tensor]:
    """Per-frame predicted glyph ``[N, T]`` and each clip's most frequent one ``[N]``."""
    n, t = clips.shape[:2]
    per_frame = predict(classifier, frame_crops(clips, glyph_size)).view(n, t)
    return per_frame, per_frame.mode(1).values


def glyph_scores(
    classifier: DomainClassifier, clips: Tensor, asked: Tensor, glyph_size: int
) -> tuple[dict[str, float], Tensor]:
    """Per-frame glyph accuracy and temporal consistency, and each clip's glyph ``[N]``."""
    per_frame, clip_glyph = frame_glyphs(classifier, clips, glyph_size)
    scores = {
        "frame_glyph_accuracy": float((per_frame == asked[:, None]).float().mean()),
        "temporal_consistency": float((per_frame == clip_glyph[:, None]).float().mean()),
    }
    return scores, clip_glyph
