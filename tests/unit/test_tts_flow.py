"""The flow-matching TTS generator: OT-CFM math, Euler sampling, seeds, masking, specs."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from regen.cli import main
from regen.config import load_recipe
from regen.contracts import XBatch, YSpec
from regen.errors import ConfigError
from regen.generators.fastspeech import LOG_SILENCE
from regen.generators.flow_matching import FlowMatchingGenerator, interpolate
from regen.modules.frame_velocity import FrameVelocityNet
from regen.representations.mel import MelSpectrogram
from regen.tasks.tts.config import AcousticModelConfig, validate
from tests.unit.test_tts_models import _batch

SMALL = AcousticModelConfig(
    dim=32, encoder_layers=1, decoder_layers=1, dropout=0.0, flow_dim=32, flow_layers=2
)


def _generator(channels: int = 80, cfg: AcousticModelConfig = SMALL) -> FlowMatchingGenerator:
    torch.manual_seed(0)
    spec = YSpec("continuous", (channels, None), downsampling=256, name="test")
    return FlowMatchingGenerator(spec, cfg, vocab_size=16, num_speakers=2)


def _phonemes() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([[5, 6, 7, 8], [9, 10, 11, 0]]), torch.tensor([0, 1])


def test_interpolation_and_velocity_target_match_a_hand_computation() -> None:
    x0, x1 = torch.full((1, 1, 1), 2.0), torch.full((1, 1, 1), 5.0)
    x_t, u = interpolate(x0, x1, torch.tensor([0.5]), sigma_min=0.1)
    # (1 - (1 - 0.1) * 0.5) * 2 + 0.5 * 5 = 0.55 * 2 + 2.5; u = 5 - 0.9 * 2
    assert x_t.item() == pytest.approx(3.6) and u.item() == pytest.approx(3.2)
    start, _ = interpolate(x0, x1, torch.tensor([0.0]), sigma_min=0.1)
    end, _ = interpolate(x0, x1, torch.tensor([1.0]), sigma_min=0.1)
    assert start.item() == pytest.approx(2.0) and end.item() == pytest.approx(5.0 + 0.1 * 2.0)
    # u is the time derivative of the path
    t, dt = torch.tensor([0.3]), 1e-3
    ahead, _ = interpolate(x0, x1, t + dt, sigma_min=0.1)
    here, u = interpolate(x0, x1, t, sigma_min=0.1)
    assert ((ahead - here) / dt).item() == pytest.approx(u.item(), rel=1e-3)


class _Constant(torch.nn.Module):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, x_t, t, mu, cond, valid) -> torch.Tensor:
        return torch.full_like(x_t, self.value)


@pytest.mark.parametrize("steps", [1, 3, 10])
def test_euler_solver_integrates_the_velocity_forward_in_time(steps: int) -> None:
    gen = _generator(channels=4).eval()
    gen.velocity = _Constant(0.7)  # dx/dt = 0.7 for t in [0, 1]: x1 = x0 + 0.7 exactly
    x, speakers = _phonemes()
    frames, valid, _ = gen.trunk(x, speakers, pace=1.0)
    out = gen.solve(frames, valid, steps=steps, temperature=0.0)
    start = gen.to_prior(frames).transpose(1, 2)  # x0 = mu when the noise is off
    assert torch.allclose(out[0], start[0] + 0.7, atol=1e-5)


def test_sampling_is_reproducible_under_a_seed_and_differs_across_seeds() -> None:
    gen = _generator().eval()
    x, speakers = _phonemes()

    def draw(seed: int | None) -> torch.Tensor:
        rng = None if seed is None else torch.Generator().manual_seed(seed)
        return gen.sample(XBatch(x, speakers=speakers), generator=rng)

    first, again, other = draw(1), draw(1), draw(2)
    assert torch.equal(first, again) and not torch.allclose(first, other)
    assert torch.equal(draw(None), draw(None))  # no generator: seeded with 0, deterministic
    # temperature 0 removes the noise: every seed gives the same Y'
    cold = [
        gen.sample(x, generator=torch.Generator().manual_seed(s), temperature=0.0) for s in (1, 2)
    ]
    assert torch.equal(cold[0], cold[1])


def test_padded_frames_do_not_affect_valid_ones() -> None:
    torch.manual_seed(0)
    net = FrameVelocityNet(channels=3, cond_dim=5, dim=16, layers=2)
    torch.nn.init.normal_(net.out.weight)  # the zero-initialised head would hide everything
    x_t, mu, cond = torch.randn(2, 3, 9), torch.randn(2, 3, 9), torch.randn(2, 5, 9)
    valid = torch.arange(9)[None] < torch.tensor([[9], [6]])
    t = torch.tensor([0.2, 0.8])
    out = net(x_t, t, mu, cond, valid)
    garbage = ~valid[:, None]
    noisy = [torch.where(garbage, 100 * torch.randn_like(v), v) for v in (x_t, mu)]
    cond_noisy = torch.where(~valid[:, None], 100 * torch.randn_like(cond), cond)
    again = net(noisy[0], t, noisy[1], cond_noisy, valid)
    assert torch.allclose(out, again, atol=1e-5)
    assert out[1, :, 6:].abs().max() == 0  # padded frames give zero velocity
    alone = net(x_t[1:, :, :6], t[1:], mu[1:, :, :6], cond[1:, :, :6], valid[1:, :6])
    assert torch.allclose(out[1:, :, :6], alone, atol=1e-5)  # padding == item alone


def test_training_loss_ignores_padded_target_frames_and_learns() -> None:
    mel = MelSpectrogram()
    gen = _generator()
    batch = _batch(mel)
    torch.manual_seed(1)
    loss, logs = gen.training_loss(batch)
    assert {"flow_mse", "prior_l1", "duration_loss"} <= set(logs)
    assert bool(gen.stats_ready) and gen.y_std.min() > 0
    padded = dict(batch, y_prime=batch["y_prime"].clone())
    padded["y_prime"][1, :, int(batch["frames"][1]) :] = 1e3
    torch.manual_seed(1)
    assert torch.allclose(gen.training_loss(padded)[0], loss)
    optimizer = torch.optim.AdamW(gen.parameters(), lr=3e-3)
    first = float(loss.detach())
    for _ in range(40):
        loss, logs = gen.training_loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < 0.7 * first


@pytest.mark.parametrize("channels", [80, 16])  # log-mel and the mel-VAE latent
def test_sample_shapes_follow_the_spec_and_durations(channels: int) -> None:
    gen = _generator(channels).eval()
    x, speakers = _phonemes()
    y, durations = gen.predict(x, speakers)
    assert y.shape == (2, channels, int(durations.sum(1).max()))
    gen.spec.check(y, "test")
    assert (y[1, :, int(durations[1].sum()) :] == LOG_SILENCE).all()  # silence past the end


def test_pipeline_builds_flow_over_mel_and_mel_vae_and_refuses_codes(capsys) -> None:
    from regen.data.text_frontend import PhonemeVocabulary
    from regen.tasks.tts.pipeline import PhonemeConditioner, build_tts_pipeline

    conditioner = PhonemeConditioner(PhonemeVocabulary(), ["en-us", "en-gb"])
    for recipe, channels in (("tts/fastspeech_flow", 80), ("tts/vae_flow", 4)):
        config = load_recipe(recipe, ["representation.latent_channels=4", "generator.dim=32"])
        gen = build_tts_pipeline(config, conditioner).generator
        assert isinstance(gen, FlowMatchingGenerator) and gen.spec.shape == (channels, None)
    config = load_recipe("tts/fastspeech_flow")
    with pytest.raises(ConfigError, match="generator.kind flow needs a continuous"):
        validate(replace(config, representation=replace(config.representation, kind="mel_rvq")))
    discrete = YSpec("discrete", (2, None), dtype="int64", vocab_size=16)
    with pytest.raises(ConfigError, match="generator.kind fastspeech"):
        FlowMatchingGenerator(discrete, SMALL, vocab_size=16, num_speakers=2)
    # from the command line: exit status 2 and one line
    assert main(["train", "tts/fastspeech_flow", "representation.kind=mel_rvq"]) == 2
    err = capsys.readouterr().err
    assert "generator.kind flow" in err and len(err.strip().splitlines()) == 1
