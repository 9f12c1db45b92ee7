"""The GAN vocoder on tiny TTS recipes: train, save, load (no discriminator needed), speak;
the direct baseline's waveform decoder gets the same discriminators; bad values say so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from regen.cli import main
from regen.config import load_recipe
from regen.errors import ConfigError
from regen.runs import load_run
from regen.tasks.tts.pipeline import synthesize
from regen.tasks.tts.train import train_tts
from regen.training.logger import read_log
from tests.tiny_tts import TINY_TTS

GAN = [
    "renderer.adversarial_weight=0.5",
    "renderer.feature_weight=0.5",
    "renderer.adversarial_start=2",
    "renderer.discriminator_channels=4",
]


@pytest.mark.parametrize(
    ("recipe", "stage", "discriminators"),
    [
        ("fastspeech_vocos", "renderer", "mpd+mrd"),
        ("fastspeech_vocos", "renderer", "mpd+msd"),
        ("direct_waveform", "generator", "mpd+mrd"),
        ("vae_latent", "renderer", "mpd+mrd"),
    ],
)
def test_gan_recipe_trains_saves_loads_and_speaks(
    recipe: str, stage: str, discriminators: str, tmp_path: Path
):
    overrides = [*TINY_TTS, *GAN, f"renderer.discriminators={discriminators}"]
    config = load_recipe(f"tts/{recipe}", overrides)
    pipeline, results = train_tts(config, tmp_path, progress=False)
    records = read_log(tmp_path / "logs" / f"{stage}.jsonl")
    gan_on = [r for r in records if r["step"] > config.renderer.adversarial_start]
    assert gan_on and all({"d_loss", "adv_loss", "fm_loss"} <= set(r) for r in gan_on)
    assert all("d_loss" not in r for r in records if r["step"] <= 2)
    loaded, loaded_config = load_run(tmp_path, task="tts")
    assert loaded_config.renderer.adversarial_weight == 0.5
    wav = synthesize(loaded, "Good morning.", config.data.voices[0])
    again = synthesize(pipeline, "Good morning.", config.data.voices[0])
    assert wav.ndim == 1 and len(wav) > 0 and np.allclose(wav, again, atol=1e-5)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("renderer.adversarial_weight=-1", "adversarial_weight"),
        ("renderer.adversarial_start=-5", "adversarial_start"),
        ("renderer.discriminator_channels=0", "discriminator_channels"),
        ("renderer.discriminator_lr=0", "discriminator_lr"),
        ("renderer.discriminators=msd", "mpd\\+mrd, mpd\\+msd"),
    ],
)
def test_bad_gan_values_give_one_line_errors(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_recipe("tts/fastspeech_vocos", [override])
    assert "\n" not in str(info.value)


def test_cli_rejects_a_bad_gan_value_in_one_line(capsys, tmp_path: Path) -> None:
    code = main(["train", "tts/fastspeech_vocos", "renderer.discriminator_channels=0"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "discriminator_channels" in err and "\n" not in err
    assert "Traceback" not in err
