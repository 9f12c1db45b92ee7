"""TTS over residual-VQ codes: autoregressive (generator.kind ar) vs non-autoregressive generator.

One mel_rvq representation (4 x 256 codes over the log-mel) is trained ONCE on speech crops and
shared by both generators, which then train on the same (phonemes -> codes) tensors for the
same wall-clock (steps set from a timed probe of each). Every waveform is rendered by
Griffin-Lim from the representation's decoded mel (no renderer training), so the comparison
isolates the generator. Scored on held-out sentences:

- teacher-forced cross-entropy (nats) and accuracy per level on the held-out codes (true
  durations; for the AR model this is the chain-rule likelihood given the true past);
- free-running code accuracy per level with true durations (AR greedy vs NAR argmax);
- MCD-DTW, log-F0 RMSE, V/UV error end to end from text (predicted durations) against the
  held-out recording, for AR greedy, AR sampled (temperature/top-k of the recipe), NAR, and
  the oracle (true codes -> decoder -> Griffin-Lim);
- generator real-time factor (seconds of audio per second of generator compute, batch 1,
  one thread) and the end-to-end one with Griffin-Lim; the AR generator's ms per frame at
  3 s and at 30 s of frames (the bounded attention window keeps it flat).

    nice -n 5 .venv/bin/python -m benchmarks.tts_codes_ar   # writes benchmarks/results/tts_codes_ar.json
    nice -n 5 .venv/bin/python -m benchmarks.tts_codes_ar generator.ar_code_noise=0.2  # an ablation
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.tts_regen_vs_direct import THREADS

os.environ.update(THREADS)  # before torch starts its thread pool
torch.set_num_threads(1)

from benchmarks.common import update_results  # noqa: E402
from regen.config import load_recipe  # noqa: E402
from regen.data.speech import load_speech_corpus  # noqa: E402
from regen.data.text_frontend import PhonemeVocabulary, clear_phoneme_cache  # noqa: E402
from regen.eval.speech_metrics import speech_distances  # noqa: E402
from regen.generators.codes_ar import level_scores  # noqa: E402
from regen.tasks.tts.data import waveform_segments  # noqa: E402
from regen.tasks.tts.evaluate import DISTANCES  # noqa: E402
from regen.tasks.tts.pipeline import (  # noqa: E402
    PhonemeConditioner,
    SynthesisTimes,
    build_tts_pipeline,
    synthesize,
)
from regen.tasks.tts.pretrain import CROPS_PER_UTTERANCE  # noqa: E402
from regen.tasks.tts.train import encode_log_mels, generator_tensors  # noqa: E402
from regen.training.loop import train_stage  # noqa: E402
from regen.training.probe import best_step_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "nice -n 5 .venv/bin/python -m benchmarks.tts_codes_ar"
SCALE = [
    "data.num_sentences=1000",
    "data.max_seconds=4.0",
    "renderer.kind=griffin_lim",
    "train.representation.steps=800",
    "train.representation.batch_size=16",
    "train.representation.warmup_steps=50",
    "train.representation.checkpoint_every=400",
    "train.generator.batch_size=8",
    "train.generator.warmup_steps=50",
    "eval.num_utterances=16",
]
GENERATOR_SECONDS = 150.0  # training wall-clock of EACH generator (the NAR's probe-set steps;
# the AR's steps then use the NAR's measured pace / probe ratio, as the machine is shared)


def probe_seconds(generator, tensors: dict, batch_size: int) -> float:
    """Seconds per optimizer step of ``generator`` on ``tensors`` (best of 3 after a warm-up);
    on a copy, so the generator itself starts training untouched."""
    generator = copy.deepcopy(generator).train()
    g = torch.Generator().manual_seed(0)

    def next_batch() -> dict:
        idx = torch.randint(len(tensors["x"]), (batch_size,), generator=g)
        return {k: v[idx] for k, v in tensors.items()}

    return best_step_seconds(generator, next_batch)


def held_out_scores(name: str, generator, tensors: dict) -> dict[str, list[float]]:
    """Teacher-forced CE / accuracy per level and free-running accuracy (true durations)."""
    ce_sum = acc_sum = free_sum = 0.0
    weight = 0
    generator.eval()
    with torch.no_grad():
        for start in range(0, len(tensors["x"]), 16):
            batch = {k: v[start : start + 16] for k, v in tensors.items()}
            states, valid, _ = generator.trunk(batch["x"], batch["speakers"], batch)
            target = batch["y_prime"][..., : states.shape[1]].long().transpose(1, 2)
            if name == "ar":
                logits = generator.logits(states, target)
                free = generator.generate_codes(states, valid, temperature=0).transpose(1, 2)
            else:
                logits = generator.logits(states)
                free = logits.argmax(-1)
            ce, acc = level_scores(logits, target, valid)
            free_logits = torch.nn.functional.one_hot(free, logits.shape[-1]).float()
            _, free_acc = level_scores(free_logits, target, valid)
            n = int(valid.sum())
            ce_sum, acc_sum, free_sum = ce_sum + ce * n, acc_sum + acc * n, free_sum + free_acc * n
            weight += n
    return {
        "teacher_forced_ce_per_level": (ce_sum / weight).tolist(),
        "teacher_forced_accuracy_per_level": (acc_sum / weight).tolist(),
        "free_running_accuracy_per_level": (free_sum / weight).tolist(),
    }


def ms_per_frame(generator, frames: int) -> float:
    """AR generation time per frame (ms) for ``frames`` aligned states (random, batch 1)."""
    states = torch.randn(1, frames, generator.cfg.dim)
    valid = torch.ones(1, frames, dtype=torch.bool)
    with torch.inference_mode():
        start = time.perf_counter()
        generator.generate_codes(states, valid)
    return 1000 * (time.perf_counter() - start) / frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-tts-codes-ar")
    parser.add_argument("--seconds", type=float, default=GENERATOR_SECONDS)
    parser.add_argument("--smoke", action="store_true", help="print, do not write the JSON")
    parser.add_argument("overrides", nargs="*", help="extra key=value (an ablation section)")
    args = parser.parse_args()
    wall = time.perf_counter()
    config = load_recipe("tts/rvq_codes_ar", [*SCALE, *args.overrides])
    nar_config = dataclasses.replace(
        config, generator=dataclasses.replace(config.generator, kind="fastspeech")
    )
    train = load_speech_corpus(config.data, "train")
    test = load_speech_corpus(config.data, "test")
    conditioner = PhonemeConditioner(PhonemeVocabulary(), config.data.voices)
    pipelines = {
        "ar": build_tts_pipeline(config, conditioner),
        "nar": build_tts_pipeline(nar_config, conditioner),
    }
    rep = pipelines["ar"].representation
    samples = config.renderer.segment_frames * config.representation.hop
    crops = waveform_segments(train.wavs, samples, CROPS_PER_UTTERANCE, config.seed)
    rep_result = train_stage(
        "representation", rep, crops, config.train.representation, args.out / "representation"
    )
    rep.eval()
    pipelines["nar"].representation.load_state_dict(rep.state_dict())  # one shared code
    pipelines["nar"].representation.eval()
    tensors = {}
    for split, corpus in (("train", train), ("test", test)):
        tensors[split] = generator_tensors(config, corpus, conditioner)
        tensors[split]["y_prime"] = encode_log_mels(rep, tensors[split]["y_prime"])
    stages, held_out = {}, {}
    batch_size = config.train.generator.batch_size
    overhead = 1.0  # actual / probed seconds per step of the first generator trained
    for name in ("nar", "ar"):  # NAR first: its real pace calibrates the AR's step count
        generator = pipelines[name].generator
        step_seconds = probe_seconds(generator, tensors["train"], batch_size)
        steps = max(1, int(args.seconds / (step_seconds * overhead)))
        cfg = dataclasses.replace(config.train.generator, steps=steps, checkpoint_every=steps)
        torch.manual_seed(config.seed)
        result = train_stage(name, generator, tensors["train"], cfg, args.out / name)
        if name == "nar":
            overhead = result.seconds / (steps * step_seconds)
        stages[name] = {
            "steps": result.steps,
            "seconds": result.seconds,
            "probe_seconds_per_step": step_seconds,
            "final_logs": result.last_logs,
        }
        held_out[name] = held_out_scores(name, generator.eval(), tensors["test"])
    # end to end from text (predicted durations), rendered by Griffin-Lim
    ar = pipelines["ar"].generator
    greedy_cfg = dataclasses.replace(ar.cfg, temperature=0.0)
    sampled_cfg = ar.cfg
    systems = {"oracle": None, "nar": "nar", "ar_greedy": "ar", "ar_sampled": "ar"}
    n = min(config.eval.num_utterances, len(test))
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in systems}
    times = {name: SynthesisTimes() for name in systems if systems[name]}
    with torch.inference_mode():
        for i in range(n):
            reference = test.wavs[i]
            true_mel = rep.mel.encode(torch.from_numpy(reference)[None])
            oracle = pipelines["ar"].renderer.render(rep.encode_mel(true_mel))[0].numpy()
            rows["oracle"].append(speech_distances(reference, oracle))
            for name, kind in systems.items():
                if kind is None:
                    continue
                if kind == "ar":
                    ar.cfg = greedy_cfg if name == "ar_greedy" else sampled_cfg
                clear_phoneme_cache()
                wav = synthesize(pipelines[kind], test.texts[i], test.speakers[i], times[name])
                rows[name].append(speech_distances(reference, wav))
    ar.cfg = sampled_cfg
    metrics = {
        name: {key: float(np.nanmean([r[key] for r in values])) for key in DISTANCES}
        for name, values in rows.items()
    }
    for name, t in times.items():
        metrics[name]["generator_realtime_speedup"] = t.audio / t.generator
        metrics[name]["end_to_end_realtime_speedup_griffin_lim"] = t.audio / t.compute
    frame_rate = rep.mel.sample_rate / rep.mel.hop
    long_frames = {"3s": int(3 * frame_rate), "30s": int(30 * frame_rate)}
    per_frame = {k: ms_per_frame(ar, f) for k, f in long_frames.items()}
    summary = {
        "mcd_ar_greedy_db": metrics["ar_greedy"]["mcd_db"],
        "mcd_ar_sampled_db": metrics["ar_sampled"]["mcd_db"],
        "mcd_nar_db": metrics["nar"]["mcd_db"],
        "mcd_oracle_codes_db": metrics["oracle"]["mcd_db"],
        "held_out_ce_ar_per_level": held_out["ar"]["teacher_forced_ce_per_level"],
        "held_out_ce_nar_per_level": held_out["nar"]["teacher_forced_ce_per_level"],
        "free_running_accuracy_ar_per_level": held_out["ar"]["free_running_accuracy_per_level"],
        "free_running_accuracy_nar_per_level": held_out["nar"]["free_running_accuracy_per_level"],
        "generator_realtime_speedup_ar": metrics["ar_sampled"]["generator_realtime_speedup"],
        "generator_realtime_speedup_nar": metrics["nar"]["generator_realtime_speedup"],
        "end_to_end_realtime_speedup_ar_griffin_lim": metrics["ar_sampled"][
            "end_to_end_realtime_speedup_griffin_lim"
        ],
        "ar_ms_per_frame_3s_vs_30s": per_frame,
        "generator_train_seconds_each": args.seconds,
        "renderer": f"griffin-lim, {config.renderer.griffin_lim_iterations} iterations",
        "scale": " ".join(SCALE),
        "threads": 1,
        "command": COMMAND,
    }
    data = {
        "metrics": metrics,
        "held_out_codes": held_out,
        "stages": stages,
        "representation_stage": {"steps": rep_result.steps, "seconds": rep_result.seconds},
        "data": {"train_utterances": len(train), "test_utterances_scored": n},
        "sampling": {"temperature": sampled_cfg.temperature, "top_k": sampled_cfg.top_k},
        "ar_context_frames": ar.cfg.ar_context,
        "total_wall_seconds": time.perf_counter() - wall,
        "note": "machine shared with two other engineers' jobs while measured",
    }
    if args.smoke:
        print(summary, data["stages"])
        return
    if args.overrides:  # an ablation: its own section, the summary stays the recipe's
        data["command"] = " ".join([COMMAND, *args.overrides])
        section = "ar_vs_nar " + " ".join(args.overrides)
        path = update_results("tts_codes_ar", section, data, {})
    else:
        path = update_results("tts_codes_ar", "ar_vs_nar", data, summary)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
