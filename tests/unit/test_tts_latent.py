"""Learned speech Y' (RQ6): mel VAE latent, mel RVQ codes, the code classifier, the renderer."""

from __future__ import annotations

import pytest
import torch

from regen.contracts import XBatch
from regen.errors import SpecMismatchError
from regen.generators.fastspeech_codes import FastSpeechCodeGenerator
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.renderers.latent_mel import LatentMelRenderer
from regen.representations.mel import MelSpectrogram
from regen.representations.mel_rvq import MelRVQ
from regen.representations.mel_vae import MelVAE
from regen.tasks.tts.config import AcousticModelConfig, TTSRepresentationConfig
from tests.tiny_tts import phoneme_batch

REP = TTSRepresentationConfig(
    latent_channels=4, hidden=32, layers=1, codebook_size=16, num_quantizers=2
)
SMALL = AcousticModelConfig(dim=32, encoder_layers=1, decoder_layers=1, dropout=0.0)
HOP = 256


def _speech_like(n: int, frames: int, seed: int = 0) -> torch.Tensor:
    """[n, (frames - 1) * hop] gliding harmonic tones with a slow loudness envelope."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange((frames - 1) * HOP) / 22050
    f0 = 100 + 150 * torch.rand(n, 1, generator=g) + 40 * torch.sin(2 * torch.pi * 3 * t)
    phase = 2 * torch.pi * torch.cumsum(f0.expand(n, -1), 1) / 22050
    wav = sum(torch.sin(k * phase) / k for k in range(1, 6))
    envelope = 0.5 + 0.5 * torch.sin(2 * torch.pi * (2 + torch.rand(n, 1, generator=g)) * t)
    return 0.2 * wav * envelope + 0.003 * torch.randn(wav.shape, generator=g)


def _reconstruction_error(rep, wav: torch.Tensor) -> float:
    rep.eval()
    with torch.no_grad():
        log_mel = rep.mel.encode(wav)
        error = (rep.decode_mel(rep.encode_mel(log_mel)) - log_mel).abs().mean()
    rep.train()
    return float(error)


def _fit(model, batch: dict, steps: int, lr: float = 3e-3) -> dict:
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss, logs = model.training_loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return logs


@pytest.mark.parametrize("kind", ["vae", "rvq"])
def test_learned_representation_shapes_spec_and_reconstruction_improves(kind: str) -> None:
    torch.manual_seed(0)
    mel = MelSpectrogram()
    rep = MelVAE(mel, REP) if kind == "vae" else MelRVQ(mel, REP)
    wav = _speech_like(4, 17)
    before = _reconstruction_error(rep, wav)
    logs = _fit(rep, {"wav": wav}, 80)
    assert _reconstruction_error(rep, wav) < 0.7 * before
    assert logs["mel_l1"] > 0
    y_prime = rep.encode(wav)
    rep.spec.check(y_prime, "test")
    assert y_prime.shape == (4, REP.latent_channels if kind == "vae" else 2, 17)
    assert rep.spec.downsampling == HOP
    if kind == "rvq":
        assert y_prime.dtype == torch.int64 and rep.spec.vocab_size == REP.codebook_size
    # decode goes all the way back to a waveform (Griffin-Lim) of the mel's length
    assert rep.decode(y_prime).shape == (4, 16 * HOP)


def test_vae_calibration_gives_unit_variance_latents() -> None:
    torch.manual_seed(0)
    rep = MelVAE(MelSpectrogram(), REP).eval()
    wav = _speech_like(6, 33, seed=1)
    rep.calibrate(wav, batch_size=4)
    z = rep.encode(wav)
    assert torch.allclose(z.mean(dim=(0, 2)), torch.zeros(4), atol=1e-4)
    assert torch.allclose(z.std(dim=(0, 2)), torch.ones(4), atol=1e-3)
    # calibration is undone by decode_mel: the decoded mel does not depend on it
    fresh = MelVAE(MelSpectrogram(), REP).eval()
    fresh.load_state_dict(
        {k: v for k, v in rep.state_dict().items()}
        | {"shift": torch.zeros(4), "scale": torch.ones(4)}
    )
    log_mel = rep.mel.encode(wav)
    assert torch.allclose(
        rep.decode_mel(rep.encode_mel(log_mel)),
        fresh.decode_mel(fresh.encode_mel(log_mel)),
        atol=1e-4,
    )


def test_code_generator_learns_codes_and_samples_within_spec() -> None:
    torch.manual_seed(0)
    rep = MelRVQ(MelSpectrogram(), REP).eval()
    gen = FastSpeechCodeGenerator(rep.spec, SMALL, vocab_size=16, num_speakers=2)
    x = torch.tensor([[5, 6, 7, 0], [9, 10, 11, 12]])
    durations = torch.tensor([[3, 4, 5, 0], [2, 3, 3, 4]])
    codes = torch.randint(0, REP.codebook_size, (2, 2, 12))
    batch = phoneme_batch(x, durations, codes)
    first = gen.training_loss(batch)[1]["code_ce"]
    logs = _fit(gen, batch, 50, lr=5e-3)
    assert logs["code_ce"] < 0.5 * first and logs["code_accuracy"] > 0.5
    sampled = gen.sample(XBatch(x, speakers=batch["speakers"]))
    rep.spec.check(sampled, "test")
    assert sampled.shape[:2] == (2, 2)
    with pytest.raises(SpecMismatchError):
        rep.spec.check(sampled + REP.codebook_size, "test")


def test_latent_renderer_decodes_then_renders_and_trains_only_the_mel_renderer() -> None:
    mel = MelSpectrogram()
    rep = MelVAE(mel, REP).eval()
    renderer = LatentMelRenderer(rep.spec, rep.decode_mel, GriffinLimRenderer(mel, 4))
    assert not renderer.trainable and list(renderer.parameters()) == []
    assert renderer.render(torch.randn(1, 4, 9)).shape == (1, 8 * HOP)


@pytest.mark.parametrize(
    "override, message",
    [
        ("representation.codebook_size=1", "codebook_size"),
        ("representation.latent_channels=0", "latent_channels"),
        ("representation.kind=mel_vq", "mel_rvq"),
    ],
)
def test_bad_learned_representation_settings_are_one_line_config_errors(
    override: str, message: str
) -> None:
    from regen.config import load_recipe
    from regen.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        load_recipe("tts/vae_latent", [override])


def test_griffin_lim_renders_a_two_frame_utterance() -> None:
    # an undertrained duration predictor yields the 2-frame minimum; stft needs > n_fft / 2
    mel = MelSpectrogram()
    wav = GriffinLimRenderer(mel, 2).render(torch.full((1, 80, 2), -3.0))
    assert wav.shape == (1, HOP) and torch.isfinite(wav).all()
    assert MelSpectrogram().encode(wav).shape == (1, 80, 2)  # and its mel can be measured
