"""The text renderer asset's cache key: what training reads, not how a compare decodes."""

from __future__ import annotations

from regen.config import load_recipe
from regen.tasks.text.build import load_text_data
from regen.tasks.text.renderer_asset import renderer_job
from regen.training.renderer_assets import asset_key
from tests.text_tiny import TINY_TEXT


def test_decoding_settings_keep_the_key_and_training_settings_change_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def key(*overrides: str) -> str:
        config = load_recipe("text/debian_synopsis", [*TINY_TEXT, *overrides])
        return asset_key(renderer_job(config, load_text_data(config)))

    base = key()
    decoded = ("renderer.beam=1", "renderer.spell_from_source=true", "renderer.no_repeat_words=4")
    assert key(*decoded) == base
    assert key("renderer.dim=64") != base
    assert key("train.renderer.steps=13") != base
    assert key("representation.kind=words") != base
