"""Every built-in task is one package behind one Task, and the core finds it only that way."""

from __future__ import annotations

import pytest

from regen.config import load_with_baseline
from regen.errors import ConfigError
from regen.tasks import BUILT_IN, get_task
from tests.asr_tiny import TINY_ASR
from tests.melody_tiny import TINY_MELODY
from tests.text_tiny import TINY_TEXT
from tests.tiny import TINY
from tests.tiny_sound import TINY_SOUND
from tests.tiny_tts import TINY_TTS
from tests.video_tiny import TINY_VIDEO

HOOKS = (
    "METRIC_NOTES",
    "learned_stages",
    "load_data",
    "train",
    "probe_step_seconds",
    "describe",
    "evaluate",
    "write_report",
)
PAIRS = {
    "image": ("image/digits_latent_diffusion", TINY),
    "tts": ("tts/fastspeech_griffin_lim", TINY_TTS),
    "asr": ("asr/phonemes", TINY_ASR),
    "melody": ("melody/chorales_template", TINY_MELODY),
    "text": ("text/debian_synopsis", TINY_TEXT),
    "video": ("video/latent_tokens", TINY_VIDEO),
    "sound": ("sound/codec_tokens", TINY_SOUND),
}


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_task_names_code_that_exists(name: str) -> None:
    task = get_task(name)
    assert task.name == name and task.package == f"regen.tasks.{name}"
    for attribute in ("config", "validate", "build", "train", "report"):
        assert callable(task.load(attribute)), attribute
    hooks = task.load("compare")
    missing = [hook for hook in HOOKS if not hasattr(hooks, hook)]
    assert not missing, f"{name}'s compare hooks lack {missing}"
    if task.commands is not None:
        assert callable(task.load("commands"))


def test_unknown_task_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown task 'hologram'; known tasks: image, tts"):
        get_task("hologram")


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_baseline_is_direct_and_every_regen_pipeline_is_not(name: str) -> None:
    recipe, tiny = PAIRS[name]
    regen_cfg, direct_cfg = load_with_baseline(recipe, tiny)
    hooks = get_task(name).load("compare")
    assert hooks.learned_stages(direct_cfg) == ["generator"]
    assert "generator" in hooks.learned_stages(regen_cfg)
    build = get_task(name).load("build")
    meta = _meta(name)
    direct, regen = build(direct_cfg, meta), build(regen_cfg, meta)
    assert direct.is_direct and not regen.is_direct
    assert direct.spec == direct.generator.spec  # Y' = Y: the identity built from the generator


def _meta(name: str) -> dict:
    """What each task's trainer saves in pipeline.json for ``build``."""
    if name == "image":
        return {"image_shape": [1, 8, 8], "class_names": [str(i) for i in range(10)]}
    if name == "tts":
        from regen.data.text_frontend import PhonemeVocabulary

        return {"vocab": PhonemeVocabulary().to_dict(), "voices": ["en-us", "en-gb"]}
    if name == "text":
        return {"vocab": ["<pad>", "<unk>", " a", "/NN"]}
    if name == "video":
        return {"clip_shape": [16, 32, 32]}
    return {}
