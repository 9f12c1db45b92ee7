"""Every melody recipe, end to end on a tiny config: train, save, load, sample."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from regen.config import load_recipe
from regen.generators.lyrics import condition_from_data
from regen.runs import load_run
from regen.tasks.melody.train import generate_melodies, train_melody
from tests.melody_tiny import TINY_MELODY, one_torch_thread  # noqa: F401

RECIPES = sorted(Path(__file__).resolve().parents[2].glob("recipes/melody/*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_melody_recipe_trains_saves_loads_and_samples(path, tmp_path):
    config = load_recipe(path, TINY_MELODY)
    pipeline, results = train_melody(config, tmp_path / "run", progress=False)
    assert results and all(r.final_loss == r.final_loss for r in results)  # not NaN
    from regen.tasks.melody.train import melody_splits

    test = melody_splits(config)["test"]
    x = condition_from_data(test.syllables, test.melodies, test.lengths)[:3]
    before, templates = generate_melodies(pipeline, x, seed=3)
    loaded, _ = load_run(tmp_path / "run", task="melody")
    after, _ = generate_melodies(loaded, x, seed=3)
    assert torch.equal(before, after)
    assert (templates is None) == config.is_direct
    lengths = (x[..., 0] > 0).sum(1)
    assert torch.equal((before[..., 1] > 0).sum(1), lengths)  # one note per syllable
