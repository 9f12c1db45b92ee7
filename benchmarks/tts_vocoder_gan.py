"""Does the GAN help the vocoder? Resynthesis from the TRUE log-mel, spectral-only vs GAN, at
equal training wall-clock.

Two Vocos-style vocoders (the ``tts/fastspeech_vocos`` renderer) are trained on the same
unpaired speech crops of the small corpus (``data.num_sentences=1000 data.max_seconds=4.0``):

- ``spectral``: multi-resolution STFT + mel L1 only (the recipe's default);
- ``gan``: the same, then (after ``adversarial_start`` spectral-only warm-up steps, about half
  of the budget) multi-period + multi-resolution STFT discriminators, LSGAN + feature matching.

A GAN step costs several spectral steps, so each system gets the steps that fit in
``BUDGET_SECONDS`` of training (see ``main`` for how the time is matched), not the same
steps. Both then resynthesize the held-out utterances from their true log-mel; scored with
regen's MCD-DTW / log-F0 RMSE / V/UV error against the recording (Griffin-Lim beside them),
plus the render real-time factor and two fine-structure numbers the MCD does not see:
energy above 4 kHz relative to the recording (dB) and the log-spectral distance above 4 kHz.

    OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python -m benchmarks.tts_vocoder_gan
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import numpy as np
import torch

from benchmarks.common import update_results
from regen.config import TrainConfig, load_recipe
from regen.data.speech import load_speech_corpus
from regen.eval.speech_metrics import speech_distances
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.renderers.vocoder import VocosVocoder
from regen.tasks.tts.data import waveform_segments
from regen.tasks.tts.pipeline import mel_of
from regen.tasks.tts.pretrain import CROPS_PER_UTTERANCE
from regen.training.loop import train_stage

COMMAND = "OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python -m benchmarks.tts_vocoder_gan"
SCALE = ["data.num_sentences=1000", "data.max_seconds=4.0"]
BUDGET_SECONDS = 240.0  # training wall-clock of each system
PILOT_STEPS = 20
WARMUP_FRACTION = 0.5  # of the GAN system's budget spent spectral-only before the GAN
GAN = {"adversarial_weight": 0.1, "feature_weight": 0.2, "discriminator_channels": 8}
TRAIN = dict(batch_size=8, lr=5e-4, warmup_steps=50, log_every=50, checkpoint_every=10**9)
HIGH_HZ = 4000.0


def seconds_per_step(vocoder_cfg, mel, crops, adversarial: bool) -> float:
    """Wall-clock per step of PILOT_STEPS steps, after two untimed steps (lazy set-up)."""
    cfg = replace(vocoder_cfg, **GAN) if adversarial else vocoder_cfg
    model = VocosVocoder(mel, cfg)
    train_stage("pilot", model, crops, TrainConfig(steps=2, **TRAIN), None, progress=False)
    start = time.perf_counter()
    cfg = TrainConfig(steps=PILOT_STEPS, **TRAIN)
    train_stage("pilot", model, crops, cfg, None, progress=False)
    return (time.perf_counter() - start) / PILOT_STEPS


def high_band(reference: np.ndarray, generated: np.ndarray, sample_rate: int) -> dict:
    """Energy above HIGH_HZ vs the reference (dB) and log-spectral distance there (dB), on
    1024-sample Hann frames every 256 samples."""
    n = min(len(reference), len(generated))
    window = np.hanning(1024)
    ref, gen = (
        np.abs(np.fft.rfft(np.lib.stride_tricks.sliding_window_view(w[:n], 1024)[::256] * window))
        for w in (reference, generated)
    )
    band = np.fft.rfftfreq(1024, 1 / sample_rate) >= HIGH_HZ
    ref, gen = ref[:, band], gen[:, band]
    ref_db, gen_db = 20 * np.log10(ref + 1e-5), 20 * np.log10(gen + 1e-5)
    return {
        "high_band_energy_db": float(10 * np.log10(((gen**2).sum() + 1e-12) / (ref**2).sum())),
        "high_band_lsd_db": float(np.sqrt(((ref_db - gen_db) ** 2).mean(1)).mean()),
    }


def score(name, render, test, mel, n: int) -> dict:
    rows, seconds, audio = [], 0.0, 0.0
    with torch.inference_mode():
        for wav in test.wavs[:n]:
            true_mel = mel.encode(torch.from_numpy(wav)[None])
            start = time.perf_counter()
            out = render(true_mel)[0].numpy()
            seconds += time.perf_counter() - start
            audio += len(out) / mel.sample_rate
            rows.append({**speech_distances(wav, out), **high_band(wav, out, mel.sample_rate)})
    means = {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}
    print(f"{name}: {means}", flush=True)
    return {**means, "realtime_speedup": audio / seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS)
    parser.add_argument("--utterances", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    config = load_recipe("tts/fastspeech_vocos", SCALE)
    mel = mel_of(config)
    train, test = (load_speech_corpus(config.data, split) for split in ("train", "test"))
    samples = config.renderer.segment_frames * config.representation.hop
    crops = waveform_segments(train.wavs, samples, CROPS_PER_UTTERANCE, config.seed)
    # Equal wall-clock on a machine whose load changes: the spectral run gets the steps that
    # a pilot says fit in the budget; the GAN run is then sized on the spectral run's ACTUAL
    # seconds (its warm-up at the spectral run's actual pace, its GAN steps at a pilot taken
    # right before it), so both aim at the same measured time.
    step_s = {"spectral": seconds_per_step(config.renderer, mel, crops, adversarial=False)}
    steps = {"spectral": int(args.budget / step_s["spectral"])}
    metrics, training = {}, {}

    def fit(name: str, cfg) -> None:
        torch.manual_seed(config.seed)
        vocoder = VocosVocoder(mel, cfg)
        train_cfg = TrainConfig(steps=steps[name], **TRAIN)
        result = train_stage(name, vocoder, crops, train_cfg, None, progress=True)
        training[name] = {"steps": steps[name], "seconds": result.seconds}
        training[name]["final_logs"] = result.last_logs
        metrics[f"vocoder {name}"] = score(name, vocoder.render, test, mel, args.utterances)

    fit("spectral", config.renderer)
    spent = training["spectral"]["seconds"]
    step_s["spectral_actual"] = spent / steps["spectral"]
    step_s["gan"] = seconds_per_step(config.renderer, mel, crops, adversarial=True)
    warmup = int(WARMUP_FRACTION * spent / step_s["spectral_actual"])
    steps["gan"] = warmup + int((1 - WARMUP_FRACTION) * spent / step_s["gan"])
    print(f"seconds/step {step_s}, steps {steps}, GAN from step {warmup}", flush=True)
    fit("gan", replace(config.renderer, **GAN, adversarial_start=warmup))
    griffin_lim = GriffinLimRenderer(mel, config.renderer.griffin_lim_iterations)
    metrics["griffin-lim"] = score("griffin-lim", griffin_lim.render, test, mel, args.utterances)
    spectral, gan = metrics["vocoder spectral"], metrics["vocoder gan"]
    summary = {
        "mcd_spectral_db": spectral["mcd_db"],
        "mcd_gan_db": gan["mcd_db"],
        "mcd_griffin_lim_db": metrics["griffin-lim"]["mcd_db"],
        "logf0_rmse_spectral": spectral["logf0_rmse"],
        "logf0_rmse_gan": gan["logf0_rmse"],
        "vuv_error_spectral": spectral["vuv_error"],
        "vuv_error_gan": gan["vuv_error"],
        "high_band_lsd_spectral_db": spectral["high_band_lsd_db"],
        "high_band_lsd_gan_db": gan["high_band_lsd_db"],
        "realtime_speedup_vocoder": spectral["realtime_speedup"],
        "training_seconds_spectral": training["spectral"]["seconds"],
        "training_seconds_gan": training["gan"]["seconds"],
        "steps_spectral": steps["spectral"],
        "steps_gan": steps["gan"],
        "gan_from_step": warmup,
        "gan_step_cost_x_spectral": step_s["gan"] / step_s["spectral_actual"],
        "gan_helps_mcd": gan["mcd_db"] < spectral["mcd_db"],
        "scale": " ".join(SCALE),
        "threads": torch.get_num_threads(),
        "command": COMMAND,
    }
    data = {
        "metrics": metrics,
        "training": training,
        "seconds_per_step": step_s,
        "gan_config": GAN,
        "train_config": TRAIN,
        "test_utterances_scored": min(args.utterances, len(test)),
        "train_crops": len(crops["wav"]),
    }
    path = update_results("tts_vocoder_gan", "vocoder_resynthesis", data, summary)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
