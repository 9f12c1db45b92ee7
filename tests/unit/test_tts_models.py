"""TTS building blocks: length regulator, FastSpeech generator, vocoder, direct generator."""

from __future__ import annotations

import pytest
import torch

from regen.contracts import XBatch
from regen.generators.direct_waveform import DirectWaveformGenerator
from regen.generators.fastspeech import FastSpeechGenerator, length_regulate
from regen.losses.spectral import WaveformLoss, multi_resolution_stft_loss
from regen.modules.dsp import waveform_spec
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.renderers.vocoder import VocosVocoder
from regen.representations.identity import IdentityRepresentation
from regen.representations.mel import MelSpectrogram
from regen.tasks.tts.config import AcousticModelConfig, VocoderConfig

SMALL = AcousticModelConfig(dim=32, encoder_layers=1, decoder_layers=1, dropout=0.0)
VOCODER = VocoderConfig(dim=32, layers=1, intermediate=64)


def _batch(mel: MelSpectrogram, waveform: bool = False) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.tensor([[5, 6, 7, 8, 0], [9, 10, 11, 0, 0]])
    durations = torch.tensor([[3, 0, 4, 5, 0], [6, 2, 3, 0, 0]])
    frames = durations.sum(1)
    wav = torch.randn(2, int(frames.max() - 1) * mel.hop, generator=g) * 0.1
    batch = {
        "x": x,
        "durations": durations,
        "pitch": torch.randn(2, 5, generator=g) * (x != 0),
        "energy": torch.randn(2, 5, generator=g) * (x != 0),
        "speakers": torch.tensor([0, 1]),
        "frames": frames,
    }
    batch["y_prime"] = wav if waveform else mel.encode(wav)
    return batch


def test_length_regulator_repeats_each_phoneme_by_its_duration() -> None:
    hidden = torch.arange(6, dtype=torch.float32).view(1, 3, 2)  # phoneme i has values 2i, 2i+1
    out, valid = length_regulate(hidden, torch.tensor([[2, 0, 3]]))
    assert out.shape == (1, 5, 2) and valid.all()
    assert out[0, :, 0].tolist() == [0, 0, 4, 4, 4]
    out, valid = length_regulate(hidden.repeat(2, 1, 1), torch.tensor([[1, 1, 1], [2, 2, 0]]))
    assert valid.sum(1).tolist() == [3, 4] and out[0, 3].abs().sum() == 0


def test_fastspeech_learns_a_batch_and_predicts_durations() -> None:
    torch.manual_seed(0)
    mel = MelSpectrogram()
    gen = FastSpeechGenerator(mel.spec, SMALL, vocab_size=16, num_speakers=2)
    batch = _batch(mel)
    optimizer = torch.optim.AdamW(gen.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        loss, logs = gen.training_loss(batch)
        first = first if first is not None else float(loss.detach())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < 0.5 * first
    assert {"mel_l1", "duration_loss", "pitch_loss", "energy_loss"} <= set(logs)
    gen.eval()
    out, durations = gen.predict(batch["x"], batch["speakers"])
    assert out.shape[:2] == (2, 80) and durations.shape == batch["x"].shape
    assert (durations[batch["x"] == 0] == 0).all()
    # after fitting one batch, the predicted durations are close to the targets
    assert (durations - batch["durations"]).abs().float().mean() < 1.5
    # evaluation reads durations from the trunk alone (no second decode): the same ones
    with torch.no_grad():
        trunk_durations = gen.trunk(batch["x"], batch["speakers"])[2]["durations"]
    assert torch.equal(trunk_durations, durations)
    mel.spec.check(gen.sample(XBatch(batch["x"], speakers=batch["speakers"])), "test")


def test_vocoder_renders_frames_to_samples_and_trains_on_waveforms() -> None:
    mel = MelSpectrogram()
    vocoder = VocosVocoder(mel, VOCODER)
    y_prime = torch.randn(2, 80, 11)
    assert vocoder.render(y_prime).shape == (2, 10 * 256)
    crops = {"wav": torch.randn(3, 16 * 256) * 0.1}
    loss, logs = vocoder.training_loss(crops)
    loss.backward()
    assert torch.isfinite(loss) and logs["mel_l1"] > 0
    assert vocoder.spec == mel.spec and vocoder.trainable


def test_waveform_loss_is_zero_only_for_identical_audio() -> None:
    wav = torch.randn(2, 4096) * 0.1
    assert float(multi_resolution_stft_loss(wav, wav)) == pytest.approx(0.0, abs=1e-6)
    loss, _ = WaveformLoss(MelSpectrogram(), 1.0, 1.0)(wav * 0.5, wav)
    assert float(loss) > 0.1


def test_direct_generator_trains_on_waveform_crops_and_samples_audio() -> None:
    mel = MelSpectrogram()
    rep = IdentityRepresentation(waveform_spec())
    cfg = AcousticModelConfig(dim=32, encoder_layers=1, decoder_layers=1, waveform_crop_frames=10)
    gen = DirectWaveformGenerator(rep.spec, cfg, VOCODER, mel, 16, 2)
    batch = _batch(mel, waveform=True)
    loss, logs = gen.training_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and "stft_loss" in logs and "duration_loss" in logs
    wav = gen.eval().sample(XBatch(batch["x"], speakers=batch["speakers"]))
    assert wav.ndim == 2 and wav.shape[0] == 2 and wav.abs().max() <= 1
    rep.spec.check(wav, "test")


def test_griffin_lim_renderer_keeps_the_representation_spec() -> None:
    mel = MelSpectrogram()
    renderer = GriffinLimRenderer(mel, iterations=2)
    assert renderer.spec == mel.spec and not renderer.trainable
    assert renderer.render(torch.full((1, 80, 5), -5.0)).shape == (1, 4 * 256)
