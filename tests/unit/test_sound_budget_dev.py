"""The sound task's equal-budget probes and its dev-split choice of sampling options."""

from __future__ import annotations

import pytest
import torch

from regen.config import load_recipe
from regen.errors import ConfigError
from regen.eval.audio_classifier import train_attribute_classifier
from regen.tasks.sound.build import build_sound_pipeline, mel_of
from regen.tasks.sound.corpus import ATTRIBUTES, SoundCorpus
from regen.tasks.sound.dev_sampling import choose_sampling, dev_split
from regen.tasks.sound.evaluate import ATTRIBUTE_CLASSES
from regen.tasks.sound.probe import probe_step_seconds
from regen.tasks.sound.train import SoundData
from tests.tiny_sound import TINY_SOUND


def corpus(pieces: list[str], seconds: float = 1.0) -> SoundCorpus:
    n, g = len(pieces), torch.Generator().manual_seed(0)
    return SoundCorpus(
        audio=0.1 * torch.randn(n, int(16000 * seconds), generator=g),
        attributes={k: torch.randint(len(v), (n,), generator=g) for k, v in ATTRIBUTES.items()},
        captions=[f"a tune on a flute number {i}" for i in range(n)],
        pieces=pieces,
        sample_rate=16000,
    )


def test_dev_split_keeps_only_tunes_no_scored_clip_shares() -> None:
    test = corpus(["a", "b", "a", "c", "b", "d", "c", "e"])
    dev = dev_split(test, scored=3, size=10)  # the scored clips play tunes a and b
    assert dev.pieces == ["c", "d", "c", "e"]
    assert dev_split(test, scored=3, size=2).pieces == ["c", "d"]
    assert dev_split(corpus(["a", "a", "a"]), scored=2, size=4) is None


@pytest.mark.parametrize("kind", ["griffin_lim", "vocoder"])
def test_probe_times_each_learned_stage(kind: str) -> None:
    config = load_recipe("sound/codec_tokens", [*TINY_SOUND, f"renderer.kind={kind}"])
    direct = load_recipe("sound/direct", TINY_SOUND)
    data = SoundData(corpus([f"t{i}" for i in range(6)]), corpus(["u", "v"]))
    for cfg, stage in [(config, "representation"), (config, "generator"), (direct, "generator")]:
        assert probe_step_seconds(cfg, data, stage) > 0
    if kind == "vocoder":
        assert probe_step_seconds(config, data, "renderer") > 0
    else:  # Griffin-Lim learns nothing: there is no step to time
        with pytest.raises(ConfigError, match="renderer"):
            probe_step_seconds(config, data, "renderer")


def test_choose_sampling_keeps_the_setting_with_the_best_dev_adherence() -> None:
    config = load_recipe("sound/codec_tokens", TINY_SOUND)
    pipeline = build_sound_pipeline(config).eval()
    dev = corpus([f"d{i}" for i in range(3)])
    mel = mel_of(config)
    classifier = train_attribute_classifier(
        mel, dev.audio, dev.attributes, ATTRIBUTE_CLASSES, steps=2, batch_size=3, crop_frames=32
    )
    grid = {"guidance_scale": [0.0, 1.0, 3.0], "temperature": [0.5, 1.0]}
    chosen, rows = choose_sampling(pipeline, dev, classifier, mel, grid, seed=0)
    assert len(rows) == 6
    assert [(r["guidance_scale"], r["temperature"]) for r in rows][:2] == [(0.0, 0.5), (0.0, 1.0)]
    best = max(r["adherence"] for r in rows)
    first_best = next(r for r in rows if r["adherence"] == best)
    assert chosen == {k: first_best[k] for k in grid}
    assert all(r["local_fad"] >= 0 and 0 <= r["adherence_family"] <= 1 for r in rows)


def test_dev_grid_is_validated() -> None:
    with pytest.raises(ConfigError, match="guidance_grid"):
        load_recipe("sound/codec_tokens", [*TINY_SOUND, "eval.guidance_grid=[-1.0]"])
    with pytest.raises(ConfigError, match="dev_clips"):
        load_recipe("sound/codec_tokens", [*TINY_SOUND, "eval.dev_clips=-1"])
