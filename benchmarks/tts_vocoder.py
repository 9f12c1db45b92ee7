"""The TTS vocoder's learning curve from the TRUE log-mel, with Griffin-Lim as the floor line.

The ``tts/fastspeech_vocos`` renderer (its recipe's ``renderer`` and ``train.renderer``
sections, i.e. the one-time pretraining on unpaired speech crops) is trained once; every
``train.renderer.eval_every`` steps it resynthesizes the first ``--utterances`` held-out
utterances from their true 80-band log-mel, scored with regen's MCD-DTW (c1..c24, see
:mod:`regen.eval.speech_metrics`), log-F0 RMSE and V/UV error against the recordings. Curve
points use the live weights; the final point uses the weights ``render`` gets (EMA).
Griffin-Lim (``renderer.griffin_lim_iterations``) renders the same log-mels of the same
sentences. WER needs a recognizer trained with ``regen train asr/phonemes`` (``--asr-run``);
without one it is NaN. Two untrained oracles split the vocoder's error into magnitude and phase
(:func:`oracle_floors`). The results file is rewritten at every curve point
(``summary.complete`` is false until the end), so a stopped long run keeps its curve.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.tts_vocoder
    # quick check (seconds; writes tts_vocoder_quick.json):
    .venv/bin/python -m benchmarks.tts_vocoder --quick
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from benchmarks.common import update_results
from regen.config import load_recipe
from regen.data.speech import load_speech_corpus
from regen.eval.speech_metrics import speech_distances
from regen.modules.waveform_decoder import bin_rotation
from regen.renderers.vocoder import VocosVocoder
from regen.tasks.tts.data import waveform_segments
from regen.tasks.tts.evaluate import griffin_lim_from_true, resynthesis_from_true
from regen.tasks.tts.pipeline import mel_of
from regen.tasks.tts.train import CROPS_PER_UTTERANCE
from regen.training.loop import train_stage

COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.tts_vocoder"
# the corpus of the other vocoder benchmarks (tts_vocoder_gan); the held-out sentences are
# the test split's first --utterances
SCALE = ["data.num_sentences=1000", "data.max_seconds=4.0", "train.renderer.eval_every=1000"]
QUICK = [
    "data.num_sentences=80",
    "data.max_seconds=3.0",
    "train.renderer.steps=20",
    "train.renderer.eval_every=10",
    "train.renderer.batch_size=4",
    "renderer.dim=32",
    "renderer.intermediate=64",
    "renderer.layers=1",
]


def oracle_floors(test, mel, n: int, order: int, alpha: float) -> dict[str, dict[str, float]]:
    """Where a mel vocoder's MCD goes, from oracles that need no training: the pseudo-inverse
    magnitude (the magnitude prior) with the recording's TRUE phase, and the TRUE magnitude
    with the untrained accumulated head's phase (each bin rotating at its centre frequency)."""
    window = torch.hann_window(mel.n_fft)
    rows: dict[str, list[dict[str, float]]] = {
        "prior_magnitude_true_phase": [],
        "true_magnitude_rotation_phase": [],
    }
    for wav in test.wavs[:n]:
        x = torch.from_numpy(wav)[None]
        spec = torch.stft(x, mel.n_fft, mel.hop, window=window, return_complex=True)
        length = (spec.shape[-1] - 1) * mel.hop
        rotation = bin_rotation(spec.shape[-2], spec.shape[-1], mel.n_fft, mel.hop)
        prior = mel.magnitude(mel.encode(x))
        for key, oracle in (
            ("prior_magnitude_true_phase", torch.polar(prior, spec.angle())),
            ("true_magnitude_rotation_phase", torch.polar(spec.abs(), rotation)),
        ):
            out = torch.istft(oracle, mel.n_fft, mel.hop, window=window, length=length)
            rows[key].append(speech_distances(wav, out[0].numpy(), order, alpha))
    return {
        key: {m: float(np.nanmean([r[m] for r in values])) for m in values[0]}
        for key, values in rows.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("overrides", nargs="*", help="recipe overrides, key.sub=value")
    parser.add_argument("--utterances", type=int, default=16)
    parser.add_argument("--asr-run", default=None, help="a trained asr/phonemes run for WER")
    parser.add_argument("--quick", action="store_true", help="tiny scale, for a CI check")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    overrides = [*SCALE, *(QUICK if args.quick else []), *args.overrides]
    config = load_recipe("tts/fastspeech_vocos", overrides)
    n = 2 if args.quick else args.utterances
    mel = mel_of(config)
    train, test = (load_speech_corpus(config.data, split) for split in ("train", "test"))
    samples = config.renderer.segment_frames * config.representation.hop
    crops = waveform_segments(train.wavs, samples, CROPS_PER_UTTERANCE, config.seed)
    score_kw = {
        "order": config.eval.mcd_order,
        "alpha": config.eval.mcd_alpha,
        "asr_run": args.asr_run,
    }
    iterations = config.renderer.griffin_lim_iterations
    floor = griffin_lim_from_true(test, mel, n, iterations, **score_kw)
    oracles = oracle_floors(test, mel, n, config.eval.mcd_order, config.eval.mcd_alpha)
    print({"griffin_lim": floor, "oracles": oracles}, flush=True)
    name = "tts_vocoder_quick" if args.quick else "tts_vocoder"
    curve: list[dict] = []
    start = time.perf_counter()

    def write(latest: dict[str, float], done: bool, result=None) -> None:
        """Results so far: a long run that is stopped still leaves its curve behind."""
        summary = {
            "complete": done,
            "mcd_vocoder_db": latest["mcd_db"],
            "mcd_griffin_lim_db": floor["mcd_db"],
            "vuv_error_vocoder": latest["vuv_error"],
            "vuv_error_griffin_lim": floor["vuv_error"],
            "logf0_rmse_vocoder": latest["logf0_rmse"],
            "logf0_rmse_griffin_lim": floor["logf0_rmse"],
            "wer_vocoder": latest["asr_wer"],
            "wer_griffin_lim": floor["asr_wer"],
            "vocoder_beats_griffin_lim_mcd": latest["mcd_db"] <= floor["mcd_db"],
            "realtime_speedup_vocoder": latest["realtime_speedup"],
            "realtime_speedup_griffin_lim": floor["realtime_speedup"],
            "steps": latest.get("step", config.train.renderer.steps),
            "parameters": sum(p.numel() for p in vocoder.parameters()),
            "overrides": " ".join(overrides),
            "threads": torch.get_num_threads(),
            "command": " ".join(
                [
                    COMMAND,
                    *(["--quick"] if args.quick else []),
                    f"--utterances {n}",
                    *args.overrides,
                ]
            ),
        }
        data = {
            "learning_curve": curve,
            "griffin_lim": {**floor, "iterations": iterations},
            "oracles": oracles,
            "test_utterances_scored": min(n, len(test)),
            "train_crops": len(crops["wav"]),
        }
        if result is not None:
            summary["training_seconds"] = result.seconds
            data.update({"final_ema": latest, "final_logs": result.last_logs})
        path = update_results(name, "vocoder_from_true_mel", data, summary)
        print(f"wrote {path}", flush=True)

    def eval_fn(model: VocosVocoder) -> dict[str, float]:
        model.eval()
        point = resynthesis_from_true(model.render, test, mel, n, **score_kw)
        model.train()
        step = (len(curve) + 1) * config.train.renderer.eval_every  # eval_fn runs on multiples
        curve.append({"step": step, **point, "wall_seconds": time.perf_counter() - start})
        print(curve[-1], flush=True)
        write(curve[-1], done=False)
        return {"mcd_db": point["mcd_db"]}

    torch.manual_seed(config.seed)
    vocoder = VocosVocoder(mel, config.renderer)
    result = train_stage(
        "renderer", vocoder, crops, config.train.renderer, None, eval_fn=eval_fn, progress=False
    )
    final = resynthesis_from_true(vocoder.render, test, mel, n, **score_kw)
    print({"final": final}, flush=True)
    write(final, done=True, result=result)


if __name__ == "__main__":
    main()
