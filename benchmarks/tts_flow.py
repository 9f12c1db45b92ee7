"""TTS generators at equal training wall-clock: FastSpeech regression vs flow matching.

Both generators share the FastSpeech trunk and Y' (80-band log-mel) and are rendered by the
same Griffin-Lim renderer (no training), so the comparison isolates the generator:

1. Equal training compute: the regression generator gets ``BUDGET_SECONDS`` worth of steps;
   the flow generator gets as many fewer steps as its step costs more (measured with the two
   stepping alternately, so that other jobs' load weighs on both alike). Actual wall-clock
   of each is recorded beside it.
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
BUDGET_SECONDS = 160.0  # generator training wall-clock, each system
LOOP_OVERHEAD = 1.6  # loop seconds per probed bare-step second (batching, EMA, logging)
TEST_UTTERANCES = 16
FLOW_STEPS = (2, 5, 10, 20)
TEMPERATURES = (0.0, 0.3, 1.0)  # at the default flow_steps (0.667: the steps sweep's 10)
SCALE = [
    "data.num_sentences=1000",
    "data.max_seconds=4.0",
    "train.generator.batch_size=8",
    "train.generator.warmup_steps=50",
    "train.generator.checkpoint_every=100000",
    "renderer.kind=griffin_lim",
]
SYSTEMS = {"regression": "tts/fastspeech_griffin_lim", "flow": "tts/fastspeech_flow"}


def step_cost_ratio(configs: dict, corpus, rounds: int = 8) -> float:
    """Seconds per optimizer step of the flow generator over the regression one's.

    The two generators take steps alternately and the medians are compared, so load from
    other jobs on the shared machine weighs on both alike (separate probes did not: one
    disturbed probe gave the flow half the regression's wall-clock)."""
    from regen.data.text_frontend import PhonemeVocabulary
    from regen.tasks.tts.pipeline import PhonemeConditioner, build_tts_pipeline
    from regen.tasks.tts.train import generator_tensors
    from regen.training.probe import timed_step

    models, times = {}, {name: [] for name in configs}
    for name, config in configs.items():
        conditioner = PhonemeConditioner(PhonemeVocabulary(), config.data.voices)
        generator = build_tts_pipeline(config, conditioner).generator.train()
        tensors = generator_tensors(config, corpus, conditioner)
        models[name] = (generator, tensors, torch.optim.AdamW(generator.parameters()))
    g = torch.Generator().manual_seed(0)
    for _ in range(rounds + 1):  # the first round warms up
        idx = torch.randint(len(corpus.wavs), (8,), generator=g)
        for name, (generator, tensors, optimizer) in models.items():
            batch = {k: v[idx] for k, v in tensors.items()}
            times[name].append(timed_step(generator, optimizer, batch))
    return float(np.median(times["flow"][1:]) / np.median(times["regression"][1:]))


def train(name: str, config, corpus, out: Path) -> tuple:
    """Train ``config``'s generator; the pipeline and its training figures."""
    from regen.tasks.tts.train import train_tts

    pipeline, results = train_tts(config, out / name, progress=False, data=corpus)
    stage = results[0]
    return pipeline, {
        "recipe": SYSTEMS[name],
        "steps": stage.steps,
        "train_seconds": stage.seconds,
        "seconds_per_step": stage.seconds / stage.steps,
        "final_loss": stage.final_loss,
    }


def score(pipeline, test, n: int, **sampling) -> dict[str, float]:
    """Means over ``n`` held-out utterances: distances, durations, real-time speed."""
    from regen.contracts import XBatch
    from regen.eval.speech_metrics import duration_error, speech_distances
    from regen.tasks.tts.pipeline import SynthesisTimes, synthesize

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
                    y_prime = pipeline.generate(XBatch(ids, speakers=speaker), **sampling)
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
    from regen.tasks.tts.pipeline import SynthesisTimes, mel_of, synthesize

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
    train_set = load_speech_corpus(data_cfg, "train")
    test = load_speech_corpus(data_cfg, "test")
    n = min(args.utterances, len(test))
    from regen.tasks.tts.compare import TTSData, probe_step_seconds

    configs = {name: load_recipe(recipe, SCALE) for name, recipe in SYSTEMS.items()}
    ratio = step_cost_ratio(configs, train_set)
    regression_steps = max(
        1,
        int(
            args.budget
            / (
                probe_step_seconds(configs["regression"], TTSData(train_set, train_set))
                * LOOP_OVERHEAD
            )
        ),
    )
    steps = {"regression": regression_steps, "flow": max(1, round(regression_steps / ratio))}
    systems, metrics = {}, {}
    for name, recipe in SYSTEMS.items():
        config = load_recipe(recipe, [*SCALE, f"train.generator.steps={steps[name]}"])
        pipeline, systems[name] = train(name, config, train_set, args.out)
        metrics[name] = score(pipeline, test, n)
        print(name, systems[name], metrics[name], flush=True)
    flow, flow_config = pipeline, config
    sweep = {str(k): score(flow, test, n, steps=k) for k in FLOW_STEPS}
    temperatures = {str(k): score(flow, test, n, temperature=k) for k in TEMPERATURES}
    temperatures[str(flow_config.generator.temperature)] = sweep[
        str(flow_config.generator.flow_steps)
    ]
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
        "flow_over_regression_step_cost": ratio,
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
        "flow_over_regression_step_cost": ratio,
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
