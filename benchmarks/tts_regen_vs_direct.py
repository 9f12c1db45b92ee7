"""Text-to-speech: regeneration (text -> mel -> Vocos-style vocoder) vs direct text -> waveform.

1. Runs ``regen compare tts/fastspeech_vocos`` at a reduced scale (see SCALE: fewer
   utterances and steps than the recipe, so that the whole benchmark fits in about 16 minutes
   on a quiet 2-core CPU); the direct baseline gets the same training wall-clock. Records
   MCD-DTW of regen, direct, Griffin-Lim and vocoder resynthesis, F0/voicing/duration errors,
   the training-inference mismatch, and the end-to-end real-time speed with per-stage times.
2. Measures time and peak resident memory of synthesizing one 30-second utterance (a single
   sentence, not split) with each trained pipeline, in a fresh process each.
3. Renderers from the TRUE mel against the outside library a user would reach for:
   ``librosa.feature.inverse.mel_to_audio`` (NNLS mel inversion + Griffin-Lim, the same 32
   iterations and momentum) vs regen's torch Griffin-Lim vs the trained vocoder: MCD-DTW and
   seconds per audio second on the held-out sentences (``--renderers`` alone re-runs it).
4. With ``--wer ASR_RUN`` (after 1-2, or alone on their folder): intelligibility, the word
   error rate of regen's own recognizer (``regen.tasks.asr.recognize.transcribe``, trained in ASR_RUN by the
   ASR benchmark) on every system's output for the same held-out sentences.

    .venv/bin/python -m benchmarks.tts_regen_vs_direct     # writes benchmarks/results/tts.json
    .venv/bin/python -m benchmarks.tts_regen_vs_direct --wer runs/asr-for-tts   # ASR_TRAIN first
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.common import renderer_from_true, run_measured, update_results, view_rows

ROOT = Path(__file__).resolve().parents[1]
# One intra-op thread: on this 2-core machine shared with three other engineers' jobs, two
# OpenMP threads made every step 10-100x slower (each parallel region waits for a thread
# the scheduler has parked), so all timings here are single-threaded.
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
COMMAND = "nice -n 5 .venv/bin/python -m benchmarks.tts_regen_vs_direct"
RECIPE = "tts/fastspeech_vocos"
VIEW_KEYS = ["mcd_db", "logf0_rmse", "vuv_error", "asr_wer", "realtime_speedup", "train_seconds"]
SCALE = [
    "pretrained_renderer=true",  # the vocoder asset (regen pretrain), shared infrastructure
    "data.num_sentences=1000",
    "data.max_seconds=4.0",
    "train.generator.steps=2500",
    "train.generator.batch_size=8",
    "train.generator.warmup_steps=50",
    "train.generator.checkpoint_every=500",
    "train.renderer.steps=2500",
    "train.renderer.batch_size=8",
    "train.renderer.warmup_steps=50",
    "train.renderer.checkpoint_every=500",
    "eval.num_utterances=16",
    "eval.report_utterances=4",
]
# The recognizer behind --wer (about 12 minutes, one thread): the ASR benchmark's small model
# trained longer, on 1,000 spoken sentences whose first 50 (the TTS test sentences here: the
# same corpus order) it never hears, and on text that excludes all 1,000.
ASR_TRAIN = (
    "OMP_NUM_THREADS=1 nice -n 5 .venv/bin/regen train asr/phonemes data.num_sentences=1000 "
    "data.max_seconds=6.0 text.max_sentences=6000 text.cmudict_words=3000 generator.dim=80 "
    "generator.depth=2 renderer.unit=word renderer.dim=128 renderer.depth=2 renderer.max_len=64 "
    "train.generator.steps=3000 train.generator.batch_size=8 train.generator.lr=0.002 "
    "train.generator.warmup_steps=100 train.generator.checkpoint_every=500 "
    "train.renderer.steps=1600 train.renderer.batch_size=128 train.renderer.lr=0.003 "
    "train.renderer.warmup_steps=50 train.renderer.checkpoint_every=400 --out runs/asr-for-tts"
)
LONG_TEXT = (
    "The quick brown fox jumps over the lazy dog, and then it runs along the river bank, "
    "past the old mill and the quiet houses, where the children play in the warm afternoon, "
    "while their parents talk about the weather, the harvest, the prices at the market, and "
    "the long winter that is surely coming, as the wise old farmer always says, when the "
    "geese fly south early and the leaves turn red before the end of summer, so we should "
    "gather wood, mend the roofs, fill the cellars with apples and potatoes, and wait for the "
    "first snow to cover the hills and the fields and the roads that lead to town"
)


def synthesize_long(run_dir: str, out: str) -> None:
    """Child process: one long utterance through a trained pipeline; writes timings as JSON."""
    import torch

    from regen.data.text_frontend import normalize_text
    from regen.runs import load_run
    from regen.tasks.tts.pipeline import SynthesisTimes, synthesize

    pipeline, _ = load_run(run_dir, task="tts")
    pipeline.conditioner.vocab  # noqa: B018  (loaded)
    text = normalize_text(LONG_TEXT)  # one sentence: commas only, no sentence split
    times = SynthesisTimes()
    with torch.inference_mode():
        start = time.perf_counter()
        synthesize(pipeline, text, "en-us", times)
        wall = time.perf_counter() - start
    Path(out).write_text(
        json.dumps(
            {
                "audio_seconds": times.audio,
                "wall_seconds": wall,
                "frontend_seconds": times.frontend,
                "generator_seconds": times.generator,
                "renderer_seconds": times.renderer,
                "realtime_speedup": times.audio / wall,
            }
        )
    )


def compare_renderers(out: Path) -> dict:
    """True mel -> waveform by librosa, by regen's Griffin-Lim and by the trained vocoder."""
    import librosa
    import numpy as np
    import torch

    from regen.data.speech import load_speech_corpus
    from regen.eval.speech_metrics import speech_distances
    from regen.renderers.griffin_lim import GriffinLimRenderer
    from regen.runs import load_run

    torch.set_num_threads(1)  # as every other timing here (THREADS)
    results = json.loads((out / "results.json").read_text())
    regen, config = load_run(out / results["recipe"], task="tts")
    mel = regen.representation
    rep = config.representation
    test = load_speech_corpus(config.data, "test")
    n = results["data"]["test_utterances_scored"]

    def with_librosa(log_mel: torch.Tensor) -> np.ndarray:
        return librosa.feature.inverse.mel_to_audio(
            log_mel[0].exp().numpy(),
            sr=mel.sample_rate,
            n_fft=rep.n_fft,
            hop_length=rep.hop,
            power=1.0,  # regen's mel holds magnitudes, not power
            n_iter=32,
            fmax=rep.fmax,
        )

    griffin_lim = GriffinLimRenderer(mel)
    renderers = {
        "librosa mel_to_audio (griffin-lim)": with_librosa,
        "regen griffin-lim (torch)": lambda m: griffin_lim.render(m)[0].numpy(),
        "regen vocoder": lambda m: regen.renderer.render(m)[0].numpy(),
    }
    rows = {}
    with torch.inference_mode():
        for name, render in renderers.items():
            seconds, audio, mcd = 0.0, 0.0, []
            for wav in test.wavs[:n]:
                true_mel = mel.encode(torch.from_numpy(wav)[None])
                start = time.perf_counter()
                out_wav = render(true_mel)
                seconds += time.perf_counter() - start
                audio += len(out_wav) / mel.sample_rate
                mcd.append(speech_distances(wav, out_wav)["mcd_db"])
            rows[name] = {
                "mcd_db": float(np.nanmean(mcd)),
                "seconds_per_audio_second": seconds / audio,
            }
    librosa_cost = rows["librosa mel_to_audio (griffin-lim)"]["seconds_per_audio_second"]
    for row in rows.values():
        row["speedup_vs_librosa"] = librosa_cost / row["seconds_per_audio_second"]
    return {"from_true_mel": rows, "sentences": n}


def word_error_rates(out: Path, asr_run: str) -> None:
    """Re-synthesize the held-out sentences with the trained runs in ``out``; WER per system."""
    from regen.data.speech import load_speech_corpus
    from regen.runs import load_run
    from regen.tasks.tts.evaluate import evaluate_tts, intelligibility

    transcribe, recognizer = intelligibility(asr_run)
    if transcribe is None:
        raise SystemExit(f"no intelligibility measured: {recognizer}")
    results = json.loads((out / "results.json").read_text())
    regen, config = load_run(out / results["recipe"], task="tts")
    direct, _ = load_run(out / results["baseline"], task="tts")
    test = load_speech_corpus(config.data, "test")
    n = results["data"]["test_utterances_scored"]
    metrics, _ = evaluate_tts({"regen": regen, "direct": direct}, test, n, asr_run=asr_run)
    wer = {name: values["asr_wer"] for name, values in metrics.items()}
    summary = {
        f"asr_wer_{name.replace(' ', '_').replace('+', 'plus')}": v for name, v in wer.items()
    }
    data = {
        "word_error_rate": wer,
        "recognizer": recognizer,
        "sentences": n,
        "recognizer_command": ASR_TRAIN,
        "command": f"{COMMAND} --wer {asr_run}",
    }
    update_results("tts", "intelligibility", data, summary)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-tts")
    parser.add_argument("--long", nargs=2, metavar=("RUN_DIR", "JSON"), help=argparse.SUPPRESS)
    parser.add_argument("--wer", metavar="ASR_RUN", help="only measure intelligibility")
    parser.add_argument(
        "--renderers", action="store_true", help="only compare renderers (librosa vs regen)"
    )
    parser.add_argument(
        "--recipe", default=RECIPE, help=f"the regeneration recipe to compare (default {RECIPE})"
    )
    parser.add_argument(
        "overrides", nargs="*", help="key=value overrides applied after SCALE (both systems)"
    )
    args = parser.parse_args()
    if args.long:
        synthesize_long(*args.long)
        return
    if args.wer:
        word_error_rates(args.out, args.wer)
        return
    if args.renderers:
        save_renderers(args.out)
        return
    regen = [sys.executable, "-m", "regen.cli"]
    compare = run_measured(
        [*regen, "compare", args.recipe, *SCALE, *args.overrides, "--out", str(args.out)], THREADS
    )
    results = json.loads((args.out / "results.json").read_text())
    metrics = results["metrics"]
    long_utterance = {}
    for label, name in (("regen", results["recipe"]), ("direct", results["baseline"])):
        out_json = args.out / f"long-{label}.json"
        measured = run_measured(
            [sys.executable, "-m", "benchmarks.tts_regen_vs_direct", "--long",
             str(args.out / name), str(out_json)],
            THREADS,
        )  # fmt: skip
        long_utterance[label] = {
            **json.loads(out_json.read_text()),
            "process_peak_rss_mib": measured["peak_rss_mib"],
        }
    regen_m, direct_m = metrics["regen"], metrics["direct"]
    summary = {
        **view_rows(results, VIEW_KEYS),
        "renderer_from_true": {
            **renderer_from_true(results),
            "griffin_lim_mcd_db": metrics["griffin-lim resynthesis"]["mcd_db"],
            "griffin_lim_asr_wer": metrics["griffin-lim resynthesis"]["asr_wer"],
            "vocoder_asr_wer": metrics["vocoder resynthesis"]["asr_wer"],
        },
        "compare_wall_seconds": round(compare["seconds"]),
        "realtime_speedup": regen_m["realtime_speedup"],
        "realtime_speedup_direct": direct_m["realtime_speedup"],
        "mcd_regen_db": regen_m["mcd_db"],
        "mcd_direct_db": direct_m["mcd_db"],
        "mcd_griffin_lim_resynthesis_db": metrics["griffin-lim resynthesis"]["mcd_db"],
        "mcd_vocoder_resynthesis_db": metrics["vocoder resynthesis"]["mcd_db"],
        "mcd_regen_griffin_lim_db": metrics["regen + griffin-lim"]["mcd_db"],
        "mismatch_gap_db": results["mismatch_gap_db"],
        "peak_rss_mib_30s_utterance_regen": long_utterance["regen"]["process_peak_rss_mib"],
        "peak_rss_mib_30s_utterance_direct": long_utterance["direct"]["process_peak_rss_mib"],
        "targets": "realtime_speedup >= 20, mcd_regen_db <= 4.0 (issue 4)",
        "recipe": args.recipe,
        "scale": " ".join([*SCALE, *args.overrides]),
        "threads": 1,
        "command": " ".join(
            [
                COMMAND,
                *(["--recipe", args.recipe] if args.recipe != RECIPE else []),
                *args.overrides,
            ]
        ),
    }
    data = {
        "compare_wall_seconds": compare["seconds"],
        "compare_peak_rss_mib": compare["peak_rss_mib"],
        "metrics": metrics,
        "stages": results["stages"],
        "data": results["data"],
        "intelligibility": results["intelligibility"],
        "long_utterance": long_utterance,
        "report": str(args.out / "report.html"),
    }
    path = update_results("tts", "regen_vs_direct", data, summary)
    save_renderers(args.out)
    print(f"wrote {path}")


def save_renderers(out: Path) -> None:
    rows = compare_renderers(out)
    by_name = rows["from_true_mel"]
    summary = {
        "renderer_speedup_vs_librosa_griffin_lim": by_name["regen griffin-lim (torch)"][
            "speedup_vs_librosa"
        ],
        "vocoder_speedup_vs_librosa_griffin_lim": by_name["regen vocoder"]["speedup_vs_librosa"],
        "mcd_librosa_griffin_lim_db": by_name["librosa mel_to_audio (griffin-lim)"]["mcd_db"],
    }
    command = f"{COMMAND} --renderers"
    update_results("tts", "renderers_vs_librosa", {**rows, "command": command}, summary)


if __name__ == "__main__":
    main()
