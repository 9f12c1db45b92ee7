"""Evaluate TTS pipelines on held-out sentences (never seen in training) and their voices.

For each test utterance the systems are:

- ``ground truth``: the held-out espeak-ng recording (the reference of every distance);
- ``griffin-lim resynthesis``: Griffin-Lim from the TRUE mel (no model; the floor of a
  mel + Griffin-Lim system);
- ``vocoder resynthesis``: the trained vocoder from the TRUE mel (renderer alone);
- ``regen``: text -> predicted mel -> renderer, end to end from text;
- ``regen + griffin-lim``: the predicted mel rendered by Griffin-Lim instead;
- ``direct``: text -> waveform.

The gap between ``vocoder resynthesis`` and ``regen`` (same renderer, true vs predicted Y')
is the training-inference mismatch of the paper. Real-time speed is audio seconds per
compute second, end to end from text (front end + generator + renderer, batch 1, on this
machine's threads); intelligibility uses ``regen.tasks.asr.recognize.transcribe`` when the ASR work exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from regen.contracts import HasTrunk, Renderer, WrapsMel, XBatch
from regen.data.speech import SpeechCorpus
from regen.data.text_frontend import clear_phoneme_cache
from regen.errors import RegenError
from regen.eval.speech_metrics import duration_error, speech_distances
from regen.modules.dsp import MelSpectrogram
from regen.pipeline import Pipeline
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.renderers.latent_mel import LatentMelRenderer
from regen.tasks.asr.recognize import transcribe  # the recognizer a user trained
from regen.tasks.tts.pipeline import SynthesisTimes, synthesize
from regen.training.logger import progress_bar

DISTANCES = ("mcd_db", "logf0_rmse", "vuv_error")


def intelligibility(asr_run: str) -> tuple[Any, str]:
    """A ``wav -> text`` function from regen's recognizer in ``asr_run``, or None and why."""
    try:
        transcribe(np.zeros(2205, np.float32), run_dir=asr_run)  # loads the recognizer once
    except RegenError as exc:
        return None, f"missing: no usable recognizer in {asr_run} ({exc})"
    return (
        lambda wav: transcribe(wav, run_dir=asr_run),
        f"word error rate of regen.tasks.asr.recognize.transcribe (recognizer in {asr_run}) against the text",
    )


def _words(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalpha() or c in " '").split())


def word_error_rate(transcribe, wavs: list[np.ndarray], texts: list[str]) -> float:
    import jiwer

    hypotheses = [_words(str(transcribe(w))) for w in wavs]
    return float(jiwer.wer([_words(t) for t in texts], hypotheses))


def _mean(rows: list[dict[str, float]], key: str) -> float:
    values = [r[key] for r in rows if key in r and np.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def evaluate_tts(
    pipelines: dict[str, Pipeline],
    test: SpeechCorpus,
    num_utterances: int,
    *,
    order: int = 24,
    alpha: float = 0.455,
    asr_run: str = "runs/asr_phonemes",
    progress: bool = False,
) -> tuple[dict[str, dict[str, float]], dict[str, list[np.ndarray]]]:
    """Metrics per system (means over utterances) and every system's waveforms.

    ``pipelines`` maps ``"regen"`` (a mel pipeline) and ``"direct"`` to trained pipelines.
    """
    regen = pipelines["regen"]
    # a learned Y' (mel_vae, mel_rvq) wraps the log-mel: resynthesis rows use the mel inside,
    # its mel renderer, and (as "<Y'> resynthesis") the round trip through the learned code
    rep, renderer = regen.representation, regen.renderer
    learned = rep if isinstance(rep, WrapsMel) else None
    mel = learned.mel if learned is not None else rep
    mel_renderer = renderer.mel_renderer if isinstance(renderer, LatentMelRenderer) else renderer
    griffin_lim = GriffinLimRenderer(mel)
    n = min(num_utterances, len(test))
    wavs: dict[str, list[np.ndarray]] = {"ground truth": [w for w in test.wavs[:n]]}
    wavs["griffin-lim resynthesis"] = []
    if learned is not None:
        wavs["learned y' resynthesis"] = []
    if renderer.trainable:
        wavs["vocoder resynthesis"] = []
    timing = {name: SynthesisTimes() for name in pipelines}
    durations: dict[str, list[dict[str, float]]] = {name: [] for name in pipelines}
    for name in pipelines:
        wavs[name] = []
    wavs["regen + griffin-lim"] = []
    bar = progress_bar("evaluating tts", n, 0, progress, unit="sentence")
    with torch.inference_mode():
        for i in range(n):
            bar.update(1)
            true_mel = mel.encode(torch.from_numpy(test.wavs[i])[None])
            wavs["griffin-lim resynthesis"].append(griffin_lim.render(true_mel)[0].numpy())
            if "vocoder resynthesis" in wavs:
                wavs["vocoder resynthesis"].append(mel_renderer.render(true_mel)[0].numpy())
            if learned is not None:
                round_trip = learned.decode_mel(learned.encode_mel(true_mel))
                wavs["learned y' resynthesis"].append(mel_renderer.render(round_trip)[0].numpy())
            for name, pipeline in pipelines.items():
                clear_phoneme_cache()  # each system pays for its own espeak-ng front end
                wavs[name].append(
                    synthesize(pipeline, test.texts[i], test.speakers[i], timing[name])
                )
                ids = torch.tensor([pipeline.conditioner.vocab.encode(test.phonemes[i])])
                speaker = pipeline.conditioner.speaker(test.speakers[i])
                # the trunk alone predicts durations: no second (for AR: slow) decode of Y'
                generator: HasTrunk = pipeline.generator  # every TTS generator has one
                predicted = generator.trunk(ids, speaker)[2]["durations"][0].tolist()
                hop_s = mel.hop / mel.sample_rate
                durations[name].append(duration_error(predicted, test.durations[i], hop_s))
            ids = torch.tensor([regen.conditioner.vocab.encode(test.phonemes[i])])
            speaker = regen.conditioner.speaker(test.speakers[i])
            predicted_mel = regen.generate(XBatch(ids, speakers=speaker))
            if learned is not None:
                predicted_mel = learned.decode_mel(predicted_mel)
            wavs["regen + griffin-lim"].append(griffin_lim.render(predicted_mel)[0].numpy())
    bar.close()
    metrics: dict[str, dict[str, float]] = {}
    for name, outputs in wavs.items():
        rows = [
            speech_distances(ref, out, order, alpha)
            for ref, out in zip(wavs["ground truth"], outputs)
        ]
        metrics[name] = {key: _mean(rows, key) for key in DISTANCES}
    for name, times in timing.items():
        metrics[name].update(
            {
                "duration_mae_ms": _mean(durations[name], "duration_mae_ms"),
                "length_error_pct": _mean(durations[name], "length_error_pct"),
                "realtime_speedup": times.audio / max(times.compute, 1e-9),
                "frontend_seconds_per_audio_second": times.frontend / times.audio,
                "generator_seconds_per_audio_second": times.generator / times.audio,
                "renderer_seconds_per_audio_second": times.renderer / times.audio,
            }
        )
    transcribe, _ = intelligibility(asr_run)
    for name in wavs:
        wer = word_error_rate(transcribe, wavs[name], test.texts[:n]) if transcribe else None
        metrics[name]["asr_wer"] = wer if wer is not None else float("nan")
    return metrics, wavs


def resynthesis_from_true(
    render: Callable[[torch.Tensor], torch.Tensor],
    test: SpeechCorpus,
    mel: MelSpectrogram,
    num_utterances: int,
    *,
    order: int = 24,
    alpha: float = 0.455,
    asr_run: str | None = None,
) -> dict[str, float]:
    """A mel renderer scored from the TRUE log-mel of held-out utterances (no generator).

    ``render`` maps a log-mel [1, n_mels, F] to a waveform [1, (F - 1) * hop]. Returns the
    means of ``mcd_db``, ``logf0_rmse`` and ``vuv_error`` against the recordings, the render's
    ``realtime_speedup`` (audio seconds per compute second, this machine's threads) and, when
    ``asr_run`` holds a usable recognizer, ``asr_wer`` (NaN when it does not).
    """
    n = min(num_utterances, len(test))
    outputs, seconds, audio = [], 0.0, 0.0
    with torch.inference_mode():
        for wav in test.wavs[:n]:
            true_mel = mel.encode(torch.from_numpy(wav)[None])
            start = time.perf_counter()
            outputs.append(render(true_mel)[0].numpy())
            seconds += time.perf_counter() - start
            audio += len(outputs[-1]) / mel.sample_rate
    rows = [speech_distances(ref, out, order, alpha) for ref, out in zip(test.wavs, outputs)]
    metrics = {key: _mean(rows, key) for key in DISTANCES}
    metrics["realtime_speedup"] = audio / max(seconds, 1e-9)
    transcribe = intelligibility(asr_run)[0] if asr_run else None
    metrics["asr_wer"] = (
        word_error_rate(transcribe, outputs, test.texts[:n]) if transcribe else float("nan")
    )
    return metrics


def vocoder_from_true(
    renderer: Renderer, test: SpeechCorpus, mel: MelSpectrogram, num_utterances: int, **kw
) -> dict[str, float]:
    """:func:`resynthesis_from_true` of a trained mel renderer (the vocoder, in eval mode)."""
    return resynthesis_from_true(renderer.render, test, mel, num_utterances, **kw)


def griffin_lim_from_true(
    test: SpeechCorpus, mel: MelSpectrogram, num_utterances: int, iterations: int = 32, **kw
) -> dict[str, float]:
    """:func:`resynthesis_from_true` of Griffin-Lim from the same log-mel (the untrained floor)."""
    render = GriffinLimRenderer(mel, iterations).render
    return resynthesis_from_true(render, test, mel, num_utterances, **kw)


def mismatch_gap(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    """MCD of each renderer from predicted Y' minus its MCD from true Y' (dB)."""
    gap = {}
    if "vocoder resynthesis" in metrics:
        gap["vocoder"] = metrics["regen"]["mcd_db"] - metrics["vocoder resynthesis"]["mcd_db"]
    gap["griffin-lim"] = (
        metrics["regen + griffin-lim"]["mcd_db"] - metrics["griffin-lim resynthesis"]["mcd_db"]
    )
    return gap
