"""TTS generators at equal training wall-clock: FastSpeech regression vs flow matching.

Both generators share the FastSpeech trunk and Y' (80-band log-mel) and are rendered by the
same Griffin-Lim renderer (no training), so the comparison isolates the generator:

1. Probes the seconds per optimizer step of each generator, then trains each for
   ``BUDGET_SECONDS`` of wall-clock (steps = budget / step time) on the small corpus.
2. Scores held-out utterances (sentences never seen in training) against the espeak-ng
   recording of the same sentence and speaker: MCD-DTW, log-F0 RMSE, V/UV error
   (regen.eval.speech_metrics), phoneme duration error, and the real-time speed.
3. From the ONE trained flow model: MCD vs ``flow_steps`` (2/5/10/20 Euler steps), vs the
   sampling temperature (0/0.3/0.667/1 at 10 steps), and of its prior mean mu alone.
4. End-to-end real-time speed of the flow generator with a Vocos-style vocoder of the
   recipe's size (speed does not depend on the weights, so it is not trained here).

    nice -n 5 .venv/bin/python -m benchmarks.tts_flow     # writes benchmarks/results/tts_flow.json
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

# one intra-op thread, as benchmarks/tts_regen_vs_direct.py (set before torch is imported)
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.common import update_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "nice -n 5 .venv/bin/python -m benchmarks.tts_flow"
BUDGET_SECONDS = 200.0  # generator training wall-clock, each system
LOOP_OVERHEAD = 1.5  # first guess of loop seconds per probed step second (then measured)
TEST_UTTERANCES = 16
FLOW_STEPS = (2, 5, 10, 20)
TEMPERATURES = (0.0, 0.3, 0.667, 1.0)  # at the default flow_steps
SCALE = [
    "data.num_sentences=1000",
    "data.max_seconds=4.0",
    "train.generator.batch_size=8",
    "train.generator.warmup_steps=50",
    "train.generator.checkpoint_every=100000",
    "renderer.kind=griffin_lim",
]
SYSTEMS = {"regression": "tts/fastspeech_griffin_lim", "flow": "tts/fastspeech_flow"}


def train_at_budget(
    name: str, recipe: str, corpus, out: Path, budget: float, overhead: float
) -> tuple:
    """Train ``recipe``'s generator for about ``budget`` seconds; the pipeline and its stats.

    Steps = budget / (probed step seconds x ``overhead``), the loop's cost beyond the bare
    step (batching, EMA, logging) measured on the first system and reused for the second, so
    that both get the same wall-clock."""
    from regen.config import load_recipe
    from regen.eval.tts_compare import probe_step_seconds
    from regen.training.tts_stages import train_tts

    config = load_recipe(recipe, SCALE)
    # best of two probes: one disturbed by another engineer's job would skew the budget
    step_seconds = min(probe_step_seconds(config, corpus) for _ in range(2))
    steps = max(1, int(budget / (step_seconds * overhead)))
    config = load_recipe(recipe, [*SCALE, f"train.generator.steps={steps}"])
    pipeline, results = train_tts(config, out / name, progress=False, data=corpus)
    stage = results[0]
    return (
        pipeline,
        config,
        {
            "recipe": recipe,
            "probe_step_seconds": step_seconds,
            "steps": stage.steps,
            "train_seconds": stage.seconds,
            "final_loss": stage.final_loss,
            "loop_overhead": stage.seconds / (stage.steps * step_seconds),
        },
    )


def score(pipeline, test, n: int, **sampling) -> dict[str, float]:
    """Means over ``n`` held-out utterances: distances, durations, real-time speed."""
    from regen.eval.speech_metrics import duration_error, speech_distances
    from regen.tts_pipeline import SynthesisTimes, synthesize

    rows, durations, times = [], [], SynthesisTimes()
    hop_s = 256 / 22050
    for i in range(n):
        if sampling:  # the sweep: Y' with overridden sampling, then the pipeline's renderer
            ids = torch.tensor([pipeline.conditioner.vocab.encode(test.phonemes[i])])
            speaker = pipeline.conditioner.speaker(test.speakers[i])
            start = time.perf_counter()
            with torch.inference_mode():
                if sampling.get("prior_only"):  # the flow model's mu alone, no ODE
                    frames = pipeline.generator.trunk(ids, speaker)[0]
                    y_prime = pipeline.generator.to_prior(frames).transpose(1, 2)
                else:
                    y_prime = pipeline.generate(ids, speakers=speaker, **sampling)
                times.generator += time.perf_counter() - start
                wav = pipeline.render(y_prime)[0].numpy()
            times.audio += len(wav) / 22050
        else:
            wav = synthesize(pipeline, test.texts[i], test.speakers[i], times)
            ids = torch.tensor([pipeline.conditioner.vocab.encode(test.phonemes[i])])
            speaker = pipeline.conditioner.speaker(test.speakers[i])
            predicted = pipeline.generator.predict(ids, speaker)[1][0].tolist()
            durations.append(duration_error(predicted, test.durations[i], hop_s))
        rows.append(speech_distances(test.wavs[i], wav))
    out = {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}
    out["generator_realtime_speedup"] = times.audio / max(times.generator, 1e-9)
    if durations:
        out["duration_mae_ms"] = float(np.mean([d["duration_mae_ms"] for d in durations]))
        out["realtime_speedup_griffin_lim"] = times.audio / max(times.compute, 1e-9)
    return out


def vocoder_speed(pipeline, config, test, n: int) -> dict[str, float]:
    """End-to-end speed (front end + flow generator + Vocos-style vocoder) on ``n`` sentences."""
    from regen.pipeline import Pipeline
    from regen.renderers.vocoder import VocosVocoder
    from regen.tts_pipeline import SynthesisTimes, mel_of, synthesize

    vocoder = VocosVocoder(mel_of(config), config.renderer).eval()
    with_vocoder = Pipeline(
        pipeline.representation, pipeline.generator, vocoder, conditioner=pipeline.conditioner
    )
    times = SynthesisTimes()
    for i in range(n):
        synthesize(with_vocoder, test.texts[i], test.speakers[i], times)
    return {
        "realtime_speedup": times.audio / times.compute,
        "generator_seconds_per_audio_second": times.generator / times.audio,
        "renderer_seconds_per_audio_second": times.renderer / times.audio,
        "frontend_seconds_per_audio_second": times.frontend / times.audio,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-tts-flow")
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, help="smoke tests")
    parser.add_argument("--utterances", type=int, default=TEST_UTTERANCES)
    parser.add_argument("--dry", action="store_true", help="do not write the results file")
    args = parser.parse_args()
    from regen.config import load_recipe
    from regen.data.speech import load_speech_corpus

    torch.set_num_threads(1)
    data_cfg = load_recipe(SYSTEMS["flow"], SCALE).data
    train, test = load_speech_corpus(data_cfg, "train"), load_speech_corpus(data_cfg, "test")
    n = min(args.utterances, len(test))
    systems, metrics = {}, {}
    budget, overhead = args.budget, LOOP_OVERHEAD
    for name, recipe in SYSTEMS.items():
        pipeline, config, stats = train_at_budget(name, recipe, train, args.out, budget, overhead)
        # the next system gets the wall-clock this one really took, at its measured overhead
        budget, overhead = stats["train_seconds"], stats["loop_overhead"]
        systems[name] = stats
        metrics[name] = score(pipeline, test, n)
        print(name, stats, metrics[name], flush=True)
    flow, flow_config = pipeline, config
    sweep = {str(k): score(flow, test, n, steps=k) for k in FLOW_STEPS}
    temperatures = {str(k): score(flow, test, n, temperature=k) for k in TEMPERATURES}
    prior = score(flow, test, n, prior_only=True)
    e2e = vocoder_speed(flow, flow_config, test, n)
    gl = {
        "griffin-lim resynthesis": score_resynthesis(flow, test, n),
    }
    reg, fl = metrics["regression"], metrics["flow"]
    summary = {
        "mcd_regression_db": reg["mcd_db"],
        "mcd_flow_db": fl["mcd_db"],
        "logf0_rmse_regression": reg["logf0_rmse"],
        "logf0_rmse_flow": fl["logf0_rmse"],
        "vuv_error_regression": reg["vuv_error"],
        "vuv_error_flow": fl["vuv_error"],
        "duration_mae_ms_regression": reg["duration_mae_ms"],
        "duration_mae_ms_flow": fl["duration_mae_ms"],
        "mcd_flow_db_by_steps": {k: v["mcd_db"] for k, v in sweep.items()},
        "mcd_flow_db_by_temperature": {k: v["mcd_db"] for k, v in temperatures.items()},
        "mcd_flow_prior_mean_only_db": prior["mcd_db"],
        "mcd_griffin_lim_resynthesis_db": gl["griffin-lim resynthesis"],
        "realtime_speedup_flow_vocoder": e2e["realtime_speedup"],
        "generator_realtime_speedup_regression": reg["generator_realtime_speedup"],
        "generator_realtime_speedup_flow": fl["generator_realtime_speedup"],
        "train_seconds": {k: v["train_seconds"] for k, v in systems.items()},
        "train_steps": {k: v["steps"] for k, v in systems.items()},
        "renderer": "griffin-lim, 32 iterations (no training), the same for both",
        "test_utterances": n,
        "scale": " ".join(SCALE),
        "threads": 1,
        "command": COMMAND,
    }
    data = {
        "systems": systems,
        "metrics": metrics,
        "flow_steps_sweep": sweep,
        "flow_temperature_sweep": temperatures,
        "flow_prior_mean_only": prior,
        "end_to_end_with_vocoder": e2e,
        "budget_seconds_each": args.budget,
    }
    if args.dry:
        print(summary)
        return
    path = update_results("tts_flow", "regression_vs_flow", data, summary)
    print(f"wrote {path}")


def score_resynthesis(pipeline, test, n: int) -> float:
    """MCD-DTW of Griffin-Lim from the TRUE log-mel: the renderer's own floor."""
    from regen.eval.speech_metrics import speech_distances

    mcd = []
    with torch.inference_mode():
        for i in range(n):
            true_mel = pipeline.representation.encode(torch.from_numpy(test.wavs[i])[None])
            wav = pipeline.render(true_mel)[0].numpy()
            mcd.append(speech_distances(test.wavs[i], wav)["mcd_db"])
    return float(np.nanmean(mcd))


if __name__ == "__main__":
    main()
