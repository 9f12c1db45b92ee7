"""GAN vocoder: discriminator shapes, LSGAN/feature-matching losses, gradient isolation in the
loop, and exact resume with the discriminator's optimizer."""

from __future__ import annotations

import pytest
import torch

from regen.config import TrainConfig
from regen.errors import CheckpointError
from regen.losses.adversarial import (
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)
from regen.losses.discriminators import PERIODS, WaveformDiscriminators
from regen.losses.spectral import RESOLUTIONS
from regen.renderers.vocoder import VocosVocoder
from regen.representations.mel import MelSpectrogram
from regen.tasks.tts.config import VocoderConfig
from regen.training import checkpoint as ckpt
from regen.training.logger import read_log
from regen.training.loop import log_path, train_stage
from tests.unit.toy_models import killed_after

HOP = 256
CFG = dict(steps=6, batch_size=4, lr=1e-3, warmup_steps=2, log_every=1, checkpoint_every=3)


def tiny_vocoder(**gan) -> VocosVocoder:
    cfg = VocoderConfig(dim=16, layers=1, intermediate=32, discriminator_channels=4)
    for key, value in {"adversarial_weight": 0.5, **gan}.items():
        setattr(cfg, key, value)
    return VocosVocoder(MelSpectrogram(), cfg)


def crops(n: int = 8, frames: int = 8) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    t = torch.arange(frames * HOP) / 22050
    pitch = 100 + 200 * torch.rand(n, 1, generator=g)
    wav = 0.3 * torch.sin(2 * torch.pi * pitch * t) + 0.01 * torch.randn(n, len(t), generator=g)
    return {"wav": wav}


@pytest.mark.parametrize("kind", ["mpd+mrd", "mpd+msd"])
@pytest.mark.parametrize("length", [1001, 2047, 4097])
def test_every_discriminator_scores_odd_lengths_with_feature_maps(length: int, kind: str) -> None:
    disc = WaveformDiscriminators(channels=4, kind=kind)
    scores = disc(torch.randn(3, length))
    assert len(scores) == len(PERIODS) + (len(RESOLUTIONS) if kind == "mpd+mrd" else 3)
    for logits, features in scores:
        assert logits.ndim == 2 and logits.shape[0] == 3 and logits.shape[1] > 0
        assert len(features) >= 5 and all(f.shape[0] == 3 for f in features)
        assert torch.isfinite(logits).all()
    # the last feature map is the logits themselves, before flattening
    assert all(torch.equal(f[-1].flatten(1), logits) for logits, f in scores)


def test_least_squares_losses_and_feature_matching() -> None:
    ones, zeros = torch.ones(2, 5), torch.zeros(2, 5)
    maps = [torch.full((2, 3), 2.0)]
    perfect = discriminator_loss([(ones, maps)], [(zeros, maps)])
    fooled = discriminator_loss([(zeros, maps)], [(ones, maps)])
    assert perfect.item() == 0.0 and fooled.item() == 2.0
    assert generator_adversarial_loss([(ones, maps)]).item() == 0.0
    assert generator_adversarial_loss([(zeros, maps)]).item() == 1.0
    moved = [torch.full((2, 3), 2.5)]
    assert feature_matching_loss([(ones, maps)], [(ones, moved)]).item() == pytest.approx(0.5)
    assert feature_matching_loss([(ones, maps)], [(ones, maps)]).item() == 0.0


def test_discriminator_is_outside_the_inference_weights_and_render() -> None:
    vocoder = tiny_vocoder()
    state = vocoder.state_dict()
    assert not any("discriminator" in k for k in state)
    assert set(state) == set(tiny_vocoder(adversarial_weight=0.0).state_dict())
    assert tiny_vocoder(adversarial_weight=0.0).adversary is None
    disc_params = {id(p) for p in vocoder.adversary.discriminator.parameters()}
    assert disc_params and not disc_params & {id(p) for p in vocoder.parameters()}


def test_gradients_reach_only_the_discriminator_in_d_step_and_only_g_in_g_step(tmp_path):
    torch.manual_seed(0)
    vocoder = tiny_vocoder()
    phase = {"now": None}
    seen: dict[str, set[str]] = {"D": set(), "G": set()}
    disc = vocoder.adversary.discriminator
    for owner, module in (("disc", disc), ("gen", vocoder.decoder)):
        for p in module.parameters():
            p.register_hook(lambda grad, owner=owner: seen[phase["now"]].add(owner))
    d_loss, g_loss = vocoder.discriminator_loss, vocoder.training_loss

    def d_step(batch):
        phase["now"] = "D"
        return d_loss(batch)

    def g_step(batch):
        phase["now"] = "G"
        return g_loss(batch)

    vocoder.discriminator_loss, vocoder.training_loss = d_step, g_step
    result = train_stage("renderer", vocoder, crops(), TrainConfig(**CFG), tmp_path / "r")
    assert seen == {"D": {"disc"}, "G": {"gen"}}
    assert {"d_loss", "adv_loss", "fm_loss", "stft_loss", "mel_l1"} <= set(result.last_logs)
    # the inference file holds the generator only, and loads into a GAN-less vocoder
    plain = tiny_vocoder(adversarial_weight=0.0)
    ckpt.load_weights(plain, tmp_path / "r")
    assert all(torch.equal(v, vocoder.state_dict()[k]) for k, v in plain.state_dict().items())


def test_warm_up_steps_train_without_the_discriminator(tmp_path):
    vocoder = tiny_vocoder(adversarial_start=4)
    before = {k: v.clone() for k, v in vocoder.adversary.discriminator.state_dict().items()}
    train_stage("renderer", vocoder, crops(), TrainConfig(**CFG), tmp_path / "w", progress=False)
    records = read_log(log_path(tmp_path / "w"))
    assert ["d_loss" in r for r in records] == [False] * 4 + [True] * 2
    assert ["adv_loss" in r for r in records] == [False] * 4 + [True] * 2
    after = vocoder.adversary.discriminator.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_resume_with_a_discriminator_matches_uninterrupted(tmp_path, monkeypatch):
    """Kill at step 5 (checkpoint at 3, after the GAN switched on at 2), resume: same run."""
    torch.manual_seed(0)
    straight = tiny_vocoder(adversarial_start=2)
    init = {k: v.clone() for k, v in straight.state_dict().items()}
    d_init = {k: v.clone() for k, v in straight.adversary.discriminator.state_dict().items()}
    torch.manual_seed(1)
    train_stage("renderer", straight, crops(), TrainConfig(**CFG), tmp_path / "a", progress=False)
    reference = read_log(log_path(tmp_path / "a"))

    def fresh() -> VocosVocoder:
        model = tiny_vocoder(adversarial_start=2)
        model.load_state_dict(init)
        model.adversary.discriminator.load_state_dict(d_init)
        return model

    torch.manual_seed(1)
    with killed_after(monkeypatch, VocosVocoder, 5):
        train_stage("renderer", fresh(), crops(), TrainConfig(**CFG), tmp_path / "b")
    assert ckpt.load_trainer_state(tmp_path / "b").step == 3
    resumed = tiny_vocoder(adversarial_start=2)  # other random init: all of it is restored
    cfg = TrainConfig(**CFG)
    train_stage("renderer", resumed, crops(), cfg, tmp_path / "b", resume=True, progress=False)
    assert read_log(log_path(tmp_path / "b")) == reference
    for a, b in (
        (straight, resumed),
        (straight.adversary.discriminator, resumed.adversary.discriminator),
    ):
        for key, value in a.state_dict().items():
            assert torch.equal(value, b.state_dict()[key]), key


def test_resuming_a_gan_less_checkpoint_with_the_gan_on_says_so(tmp_path):
    cfg = TrainConfig(**{**CFG, "steps": 3})
    train_stage("renderer", tiny_vocoder(adversarial_weight=0.0), crops(), cfg, tmp_path / "p")
    more = TrainConfig(**CFG)
    with pytest.raises(CheckpointError, match="without a discriminator"):
        train_stage("renderer", tiny_vocoder(), crops(), more, tmp_path / "p", resume=True)
