"""The iSTFT head of the vocoder and the direct baseline: phase modes and their invariants."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from regen.config import TrainConfig
from regen.data.speech import SpeechCorpus
from regen.modules.dsp import griffin_lim
from regen.modules.waveform_decoder import (
    PHASE_MODES,
    WaveformDecoder,
    accumulated_phase,
    bin_rotation,
)
from regen.renderers.vocoder import VocosVocoder
from regen.representations.mel import MelSpectrogram
from regen.tasks.tts.config import VocoderConfig
from regen.tasks.tts.evaluate import griffin_lim_from_true, resynthesis_from_true
from regen.training.loop import train_stage

N_FFT, HOP = 1024, 256


def test_bin_rotation_is_the_phase_advance_of_a_tone_in_torch_stft() -> None:
    # a cosine at bin k's centre frequency: its STFT phase at bin k advances by exactly the
    # rotation the accumulated head starts from (same sign and scale as torch.stft)
    k, frames = 37, 12
    t = torch.arange((frames - 1) * HOP, dtype=torch.float64)
    tone = torch.cos(2 * math.pi * k * t / N_FFT + 0.3)
    window = torch.hann_window(N_FFT, dtype=torch.float64)
    spec = torch.stft(tone, N_FFT, HOP, window=window, center=True, return_complex=True)
    measured = torch.angle(spec[k, 2:-2] / spec[k, 2])  # skip reflect-padded edge frames
    expected = bin_rotation(N_FFT // 2 + 1, frames, N_FFT, HOP)[k, 2:-2].double()
    expected = expected - expected[0]
    wrapped = torch.angle(torch.polar(torch.ones_like(measured), measured - expected))
    assert wrapped.abs().max() < 1e-6


def test_accumulated_phase_sums_deviations_on_top_of_the_bin_rotation() -> None:
    advance = torch.zeros(1, 5, 4)
    advance[0, 2] = 0.1
    phase = accumulated_phase(advance, 8, 2)
    rotation = bin_rotation(5, 4, 8, 2)
    assert torch.allclose(phase[0, 2] - rotation[2], torch.tensor([0.1, 0.2, 0.3, 0.4]))
    assert torch.equal(phase[0, 3], rotation[3])
    # exact for long utterances: integer arithmetic keeps every value below 2 pi
    assert float(bin_rotation(513, 20_000, N_FFT, HOP).max()) < 2 * math.pi


@pytest.mark.parametrize("phase", PHASE_MODES)
def test_decoder_frames_to_samples_in_every_phase_mode(phase: str) -> None:
    decoder = WaveformDecoder(80, 16, 1, 32, N_FFT, HOP, phase)
    wav = decoder(torch.randn(2, 80, 9))
    assert wav.shape == (2, 8 * HOP) and wav.abs().max() <= 1.0
    assert decoder.spectrum(torch.randn(1, 80, 9)).shape == (1, N_FFT // 2 + 1, 9)


def test_decoder_rejects_an_unknown_phase_mode() -> None:
    with pytest.raises(ValueError, match="phase"):
        WaveformDecoder(80, 16, 1, 32, N_FFT, HOP, "random")


def test_accumulated_vocoder_overfits_a_tone_and_keeps_it_periodic() -> None:
    # a 220 Hz tone: after a short fit the spectral loss falls well below its start, and the
    # rendered waveform repeats at the tone's period (what the absolute head fails to learn)
    torch.manual_seed(0)
    mel = MelSpectrogram()
    sr, f0, frames = mel.sample_rate, 220.0, 24
    t = torch.arange((frames - 1) * HOP) / sr
    wav = (0.3 * torch.sin(2 * math.pi * f0 * t))[None].repeat(4, 1)
    cfg = VocoderConfig(dim=32, layers=1, intermediate=64, phase="accumulated")
    vocoder = VocosVocoder(mel, cfg)
    with torch.no_grad():
        before = float(vocoder.training_loss({"wav": wav})[0])
    train = TrainConfig(steps=150, batch_size=4, lr=2e-3, warmup_steps=5, ema_decay=0.0)
    train_stage("renderer", vocoder, {"wav": wav}, train, None, progress=False)
    with torch.no_grad():
        after = float(vocoder.training_loss({"wav": wav})[0])
        out = vocoder.render(mel.encode(wav[:1]))[0, 2 * HOP : -2 * HOP]
    assert after < 0.3 * before
    lag = round(sr / f0)
    a, b = out[:-lag], out[lag:]
    assert float(a @ b / (a.norm() * b.norm())) > 0.8


def _corpus(wavs: list[np.ndarray]) -> SpeechCorpus:
    n = len(wavs)
    return SpeechCorpus(["a b"] * n, [["a"]] * n, [[1]] * n, ["v"] * n, wavs, 22050, "test", [])


def test_resynthesis_from_true_scores_renderers_against_the_recording() -> None:
    # a voiced-like signal (harmonics of 150 Hz with a moving envelope): rendering the
    # recording itself scores 0 dB, Griffin-Lim a small positive MCD, white noise a large one
    mel = MelSpectrogram()
    t = np.arange(86 * 256) / 22050  # whole frames: the render is exactly the recording
    wav = sum(np.sin(2 * np.pi * 150 * h * t) / h for h in range(1, 20))
    wav = (0.2 * wav * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    test = _corpus([wav])
    frames_to_wav = lambda m: torch.from_numpy(wav[: (m.shape[-1] - 1) * mel.hop])[None]  # noqa: E731
    exact = resynthesis_from_true(frames_to_wav, test, mel, 4)
    floor = griffin_lim_from_true(test, mel, 4, iterations=8)
    quiet = resynthesis_from_true(lambda m: 0.05 * torch.randn_like(frames_to_wav(m)), test, mel, 4)
    assert exact["mcd_db"] == pytest.approx(0.0, abs=1e-6) and np.isnan(exact["asr_wer"])
    assert 0 < floor["mcd_db"] < quiet["mcd_db"]
    assert exact["realtime_speedup"] > 0


def test_magnitude_prior_vocoder_starts_from_the_pseudo_inverse_magnitude() -> None:
    # with the head's weights at zero the network adds nothing: the render is the mel's
    # pseudo-inverse magnitude with every bin rotating at its centre frequency
    mel = MelSpectrogram()
    cfg = VocoderConfig(dim=16, layers=1, intermediate=32, phase="accumulated")
    vocoder = VocosVocoder(mel, replace(cfg, magnitude_prior=True))
    torch.nn.init.zeros_(vocoder.decoder.head.weight)
    y_prime = mel.encode(torch.randn(1, 20 * HOP) * 0.1)
    frames = y_prime.shape[-1]
    spectrum = torch.polar(mel.magnitude(y_prime), bin_rotation(N_FFT // 2 + 1, frames, N_FFT, HOP))
    window = torch.hann_window(N_FFT)
    expected = torch.istft(spectrum, N_FFT, HOP, window=window, length=(frames - 1) * HOP)
    assert torch.allclose(vocoder.render(y_prime), expected.clamp(-1, 1), atol=1e-5)
    # without the prior the same zero head renders a quiet start (e^-4 magnitudes)
    plain = VocosVocoder(mel, cfg)
    torch.nn.init.zeros_(plain.decoder.head.weight)
    assert plain.render(y_prime).abs().max() < 0.1 * expected.abs().max()


def test_griffin_lim_from_a_given_phase_starts_where_that_phase_is() -> None:
    torch.manual_seed(0)
    wav = torch.randn(1, 4096) * 0.1
    window = torch.hann_window(1024)
    spectrum = torch.stft(wav, 1024, 256, window=window, return_complex=True)
    exact = griffin_lim(spectrum.abs(), 1024, 256, iterations=0, phase=spectrum.angle())
    assert torch.allclose(exact, wav[:, : exact.shape[-1]].clamp(-1, 1), atol=1e-4)
    random_start = griffin_lim(spectrum.abs(), 1024, 256, iterations=0)
    assert not torch.allclose(random_start, exact, atol=1e-2)


def test_refine_iterations_change_only_rendering() -> None:
    mel = MelSpectrogram()
    cfg = replace(VocoderConfig(), dim=16, layers=1, intermediate=32, magnitude_prior=True)
    torch.manual_seed(0)
    vocoder = VocosVocoder(mel, cfg).eval()
    y_prime = mel.encode(torch.randn(1, 8192) * 0.1)
    plain = vocoder.render(y_prime)
    assert torch.equal(plain, vocoder._decode(y_prime))
    vocoder.refine_iterations = 4
    refined = vocoder.render(y_prime)
    assert refined.shape == plain.shape and torch.isfinite(refined).all()
    assert not torch.allclose(refined, plain, atol=1e-4)
