"""Override values as the user meant them (issue 15, case 5)."""

from __future__ import annotations

import pytest

from regen.config import load_recipe
from regen.errors import ConfigError

RECIPE = "image/glyphs_latent_diffusion"


def test_the_issue_example_lr_1e_minus_4_loads():
    assert load_recipe(RECIPE, ["train.generator.lr=1e-4"]).train.generator.lr == 1e-4


@pytest.mark.parametrize(
    "raw, expected", [("1e-4", 1e-4), ("1E9", 1e9), ("-3e+2", -300.0), ("2.5E-3", 2.5e-3)]
)
def test_scientific_notation_is_a_float_where_the_field_is_a_float(raw, expected):
    config = load_recipe(RECIPE, [f"generator.guidance_scale={raw}"])
    assert config.generator.guidance_scale == expected
    assert isinstance(config.generator.guidance_scale, float)


def test_scientific_notation_inside_a_list_of_floats():
    from regen.tasks.asr.config import ASRRecipe

    config: ASRRecipe = load_recipe("asr/phonemes", ["eval.fractions=[1e-1, 5E-1, 1.0]"])
    assert config.eval.fractions == [0.1, 0.5, 1.0]


def test_a_float_literal_is_still_text_where_the_field_is_text():
    config = load_recipe(RECIPE, ["name=1e-4"])
    assert config.name == "1e-4"


@pytest.mark.parametrize("raw", ["1e-4", "1.5", ".inf"])
def test_a_float_is_not_silently_an_int(raw):
    with pytest.raises(ConfigError, match="'train.generator.steps' must be int"):
        load_recipe(RECIPE, [f"train.generator.steps={raw}"])


@pytest.mark.parametrize(
    "raw, message",
    [("1e999", "finite"), (".inf", "finite"), ("-.inf", "finite"), (".nan", "finite")]
    + [("nan", "must be float"), ("inf", "must be float")],
)
def test_non_finite_floats_are_refused(raw, message):
    with pytest.raises(ConfigError, match=f"'generator.guidance_scale'.*{message}") as info:
        load_recipe(RECIPE, [f"generator.guidance_scale={raw}"])
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "item",
    ["eval.num_samples=[0.5,", "generator.sampler={dpm", "name='unclosed", "name=a: b: c", "x=@y"],
)
def test_unparsable_values_are_one_line_with_the_item_and_how_to_quote(item):
    with pytest.raises(ConfigError) as info:
        load_recipe(RECIPE, [item])
    message = str(info.value)
    assert "\n" not in message and item in message and "quote" in message


def test_quoted_text_is_taken_as_text():
    config = load_recipe(RECIPE, ["name='a: b'"])
    assert config.name == "a: b"


@pytest.mark.parametrize(
    "item, message",
    [
        ("train.generator.checkpoint_every=0", "checkpoint_every' is 0"),
        ("train.generator.log_every=0", "log_every' is 0"),
        ("train.generator.batch_size=1000000000000", "batch_size' is 1000000000000"),
        ("train.generator.steps=100000000000000000000", "steps' is 100000000000000000000"),
        ("train.generator.ema_decay=1.5", "ema_decay' is 1.5"),
    ],
)
def test_train_values_that_would_fail_late_fail_at_load(item, message):
    with pytest.raises(ConfigError, match=message):
        load_recipe(RECIPE, [item])
