"""Each stage of the regen melody pipeline scored on its own, on the held-out chorales.

- :func:`renderer_from_true`: the renderer fed the TRUE template of each held-out melody
  (``encode(y)``): what the template can carry at best, with no generator error. Its DD is
  100% by construction (the template fixes the rhythm), so PD and MD are the figures to read.
- :func:`generator_field_accuracy`: the generator's template, sampled from the lyrics, against
  the true template, field by field: how predictable from lyrics each template field is (a
  richer template is harder to predict).
"""

from __future__ import annotations

import torch

from regen.data.music import MelodySet
from regen.eval.melody_metrics import distribution_similarity, melody_distance
from regen.generators.lyrics import condition_from_data
from regen.modules.music_tables import (
    T_CADENCE,
    T_CHORD,
    T_CONTOUR,
    T_DUR,
    T_POS,
    T_REGISTER,
    TEMPLATE_COLUMNS,
    valid_mask,
)
from regen.pipeline import Pipeline

PREDICTED_FIELDS = (T_CHORD, T_CADENCE, T_POS, T_DUR, T_CONTOUR, T_REGISTER)


@torch.no_grad()
def renderer_from_true(
    pipeline: Pipeline, data: MelodySet | dict[str, MelodySet], *, seed: int = 0
) -> dict[str, float]:
    """PD, DD, MD of the renderer from the true templates of ``data`` (a compare's data dict:
    its ``scored`` or ``test`` part), against the real melodies.

    Raises:
        ValueError: ``pipeline`` is the direct baseline (it has no template to feed).
    """
    if pipeline.is_direct:
        raise ValueError("the direct pipeline has no template; give the regen pipeline")
    if isinstance(data, MelodySet):
        test = data
    else:
        test = data["scored"] if "scored" in data else data["test"]
    truth = test.melodies
    rng = torch.Generator().manual_seed(seed)
    rendered = pipeline.render(pipeline.encode(truth), generator=rng)
    metrics = distribution_similarity(rendered, truth)
    metrics["md"] = melody_distance(rendered, truth)
    return metrics


@torch.no_grad()
def generator_field_accuracy(
    pipeline: Pipeline, test: MelodySet, *, seed: int = 0
) -> dict[str, float]:
    """Share of held-out notes whose sampled template field equals the true one, per field
    the generator predicts (``position`` follows from the predicted durations). A field the
    template leaves out is all 0 on both sides and is not reported."""
    if pipeline.is_direct:
        raise ValueError("the direct pipeline has no template; give the regen pipeline")
    x = condition_from_data(test.syllables, test.melodies, test.lengths)
    sampled = pipeline.generate(x, generator=torch.Generator().manual_seed(seed))
    truth = pipeline.encode(test.melodies)
    valid = valid_mask(truth, T_DUR)
    out = {}
    for column in PREDICTED_FIELDS:
        if not truth[..., column][valid].any():
            continue  # a field the template leaves out
        hits = (sampled[..., column] == truth[..., column])[valid]
        out[TEMPLATE_COLUMNS[column]] = hits.float().mean().item()
    return out
