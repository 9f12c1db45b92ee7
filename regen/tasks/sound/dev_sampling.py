"""Pick the LM's guidance scale and temperature on a dev split, never on the scored clips.

The dev split is the held-out clips whose tunes none of the scored clips share: the LM never
heard them in training and no reported figure is computed on them. Every setting of the grid
generates the dev captions (batched, the same seeds for every setting), the attribute
classifier scores them, and the setting with the highest mean adherence is kept (the first
in grid order on a tie); the local FAD against the dev clips is recorded beside it.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch

from regen.eval.audio_classifier import AttributeClassifier, clip_outputs
from regen.eval.audio_metrics import adherence, frechet_distance
from regen.modules.dsp import MelSpectrogram
from regen.pipeline import Pipeline
from regen.tasks.sound.corpus import SoundCorpus

BATCH = 16  # dev captions per generate call


def dev_split(test: SoundCorpus, scored: int, size: int) -> SoundCorpus | None:
    """Up to ``size`` held-out clips after the first ``scored`` whose tunes no scored clip
    shares; ``None`` when there are none (a tiny corpus)."""
    taken = set(test.pieces[:scored])
    index = [i for i in range(scored, len(test)) if test.pieces[i] not in taken][:size]
    return test.subset(index) if index else None


def choose_sampling(
    pipeline: Pipeline,
    dev: SoundCorpus,
    classifier: AttributeClassifier,
    mel: MelSpectrogram,
    grid: dict[str, list[float]],
    seed: int,
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The sampling options of ``grid`` (name -> values) with the best dev adherence, and
    one row per setting: its options, dev adherence per attribute and dev local FAD."""
    reference, _ = clip_outputs(classifier, mel, dev.audio)
    names = list(grid)
    rows = []
    for values in itertools.product(*(grid[name] for name in names)):
        options = dict(zip(names, values, strict=True))
        wavs = []
        with torch.inference_mode():
            for start in range(0, len(dev), BATCH):
                x = pipeline.conditioner.encode(dev.captions[start : start + BATCH])
                rng = torch.Generator().manual_seed(seed + start)
                y_prime = pipeline.generate(x, generator=rng, **options)
                wavs.append(pipeline.render(y_prime, generator=rng).clamp(-1, 1))
        length = min(w.shape[1] for w in wavs)
        audio = torch.cat([w[:, :length] for w in wavs])
        features, predicted = clip_outputs(classifier, mel, audio)
        rows.append(
            {
                **options,
                **adherence(predicted, dev.attributes),
                "local_fad": frechet_distance(features, reference),
            }
        )
    best = max(range(len(rows)), key=lambda i: (rows[i]["adherence"], -i))
    return {name: rows[best][name] for name in names}, rows
