from __future__ import annotations

from pathlib import Path

import pytest

from regen.config import apply_overrides, dump_yaml, from_dict, load_recipe
from regen.errors import ConfigError
from regen.tasks.image.config import RecipeConfig

RECIPES = sorted(Path(__file__).resolve().parents[2].glob("recipes/image/*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_every_recipe_loads_and_round_trips(path):
    config = load_recipe(path)
    assert config.name == path.stem
    import yaml

    assert from_dict(RecipeConfig, yaml.safe_load(dump_yaml(config))) == config


def test_recipe_by_name_and_overrides():
    config = load_recipe(
        "image/glyphs_latent_diffusion",
        ["train.generator.steps=7", "generator.sampler=dpm", "representation.kl_weight=0.5"],
    )
    assert config.train.generator.steps == 7
    assert config.generator.sampler == "dpm"
    assert config.representation.kl_weight == 0.5


def test_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError, match="unknown config key 'generator.depht'.*depth"):
        load_recipe("image/glyphs_latent_diffusion", ["generator.depht=3"])


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match="'train.generator.steps' must be int"):
        load_recipe("image/glyphs_latent_diffusion", ["train.generator.steps=many"])


def test_invalid_choice_and_incompatible_stages():
    with pytest.raises(ConfigError, match="choose one of"):
        load_recipe("image/glyphs_latent_diffusion", ["generator.sampler=euler"])
    with pytest.raises(ConfigError, match="autoregressive"):
        load_recipe("image/glyphs_latent_diffusion", ["representation.kind=vq"])


def test_unknown_recipe_lists_known_ones():
    with pytest.raises(ConfigError, match="glyphs_latent_diffusion"):
        load_recipe("image/nope")


def test_override_syntax_error():
    with pytest.raises(ConfigError, match="key.sub=value"):
        apply_overrides({}, ["generator.depth"])


def test_ints_accepted_for_floats_but_not_bools_for_ints():
    assert (
        from_dict(RecipeConfig, {"representation": {"kl_weight": 1}}).representation.kl_weight
        == 1.0
    )
    with pytest.raises(ConfigError):
        from_dict(RecipeConfig, {"seed": True})


def test_recipe_names_its_task_and_unknown_tasks_list_the_known_ones(tmp_path):
    assert load_recipe("image/glyphs_latent_diffusion").task == "image"
    path = tmp_path / "odd.yaml"
    path.write_text("task: weather\nname: odd\n")
    with pytest.raises(ConfigError, match="unknown task 'weather'; known tasks: .*image"):
        load_recipe(path)
    path.write_text("- a list, not a mapping\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_recipe(path)


def test_a_compare_pair_needs_a_direct_baseline_of_the_same_task(tmp_path):
    from regen.config import load_with_baseline

    regen_cfg, direct_cfg = load_with_baseline("tts/fastspeech_vocos", [])
    assert direct_cfg.is_direct and direct_cfg.task == regen_cfg.task == "tts"
    with pytest.raises(ConfigError, match="is a direct recipe; compare the regeneration"):
        load_with_baseline("asr/characters", [])
    source = Path(__file__).resolve().parents[2] / "recipes"
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text(
        (source / "tts/fastspeech_vocos.yaml").read_text().replace("direct_waveform", "odd")
    )
    (tmp_path / "odd.yaml").write_text((source / "asr/characters.yaml").read_text())
    with pytest.raises(ConfigError, match="odd.yaml is not a direct tts recipe"):
        load_with_baseline(mixed, [])


def test_an_override_the_baseline_cannot_take_says_it_is_the_baseline():
    from regen.config import load_with_baseline

    # a regeneration-only setting reaches the direct baseline too (overrides apply to both)
    with pytest.raises(ConfigError, match="baseline direct_waveform.yaml: .*generator.kind flow"):
        load_with_baseline("tts/fastspeech_vocos", ["generator.kind=flow"])
