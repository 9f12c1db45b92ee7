"""Every image recipe, end to end on a tiny config: train, save, load, sample."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from regen.config import load_recipe
from regen.errors import ConfigError
from regen.runs import load_run
from regen.tasks.image.train import train_pipeline
from tests.tiny import TINY

RECIPES = sorted(Path(__file__).resolve().parents[2].glob("recipes/image/*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_trains_saves_loads_and_samples(path, tmp_path):
    extra = ["generator.condition=class"]  # digits stand in for glyphs and emoji alike
    config = load_recipe(path, TINY + extra)
    pipeline, results = train_pipeline(config, tmp_path / "run", progress=False)
    assert all(r.final_loss is not None and r.final_loss == r.final_loss for r in results)
    before = pipeline.sample(["3", "5"], seed=1)
    loaded = load_run(tmp_path / "run")[0]
    after = loaded.sample(["3", "5"], seed=1)
    assert before.shape == (2, 1, 8, 8)
    torch.testing.assert_close(before, after)


def test_text_conditioned_recipe_on_real_emoji(tmp_path):
    config = load_recipe(
        "image/emoji_latent_diffusion",
        TINY + ["data.name=emoji", "data.max_items=64", "generator.condition=text"],
    )
    pipeline, _ = train_pipeline(config, tmp_path / "run", progress=False)
    images = pipeline.sample(["grinning face", "red apple"], seed=0)
    assert images.shape == (2, 3, 8, 8)


def test_caption_folder_trains_and_evaluates_text_conditioned(tmp_path):
    """A folder with metadata.jsonl captions (data.source): caption-conditional end to end."""
    from regen.tasks.image.compare import evaluate_pipeline, evaluation_data
    from tests.image_folders import write_folder

    write_folder(tmp_path / "captions", "jsonl", per_class=3)
    own = [o for o in TINY if not o.startswith("data.name")]
    source = [f"data.source={tmp_path / 'captions'}", "data.holdout_fraction=0.3"]
    config = load_recipe("image/emoji_latent_diffusion", own + source)
    assert config.generator.condition == "text"
    pipeline, _ = train_pipeline(config, tmp_path / "run", progress=False)
    assert pipeline.sample(["letter A", "letter Z"], seed=0).shape == (2, 1, 8, 8)
    _, test, classifier = evaluation_data(config)
    metrics, asked, _ = evaluate_pipeline(pipeline, test, classifier, config)
    assert set(asked) <= set(test.captions) and metrics["fid"] >= 0
    with pytest.raises(ConfigError, match="generator.condition=text"):
        train_pipeline(load_recipe("image/glyphs_latent_diffusion", own + source), tmp_path / "r2")
