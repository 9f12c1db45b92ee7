"""Melody recipes load, and values the types allow but the task does not are refused."""

from __future__ import annotations

import pytest

from regen.config import load_recipe
from regen.errors import ConfigError


def test_recipes_load_with_their_task():
    config = load_recipe("melody/chorales_template")
    assert config.task == "melody" and not config.is_direct
    assert load_recipe("melody/chorales_direct").is_direct


@pytest.mark.parametrize(
    "override,message",
    [
        ("representation.kind=vq", "choose template or identity"),
        ("renderer.kind=identity", "goes with renderer.kind identity"),
        ("data.folk_collections=[nope]", "unknown folk collection 'nope'"),
        ("renderer.low=80", "at least an octave"),
        ("data.paired_fraction=0", "paired_fraction"),
        ("data.chorale_repeat=0", "chorale_repeat"),
        ("generator.heads=3", "divisible by heads"),
        ("data.colour=red", "unknown config key 'data.colour'"),
    ],
)
def test_bad_melody_values_are_refused(override, message):
    with pytest.raises(ConfigError, match=message):
        load_recipe("melody/chorales_template", [override])
