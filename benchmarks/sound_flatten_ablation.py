"""Ablation of the code pattern: MusicGen's delay pattern vs flattening, on 2 codec levels.

Reuses the codec and vocoder trained by ``benchmarks.sound_regen_vs_direct`` (its run folder
must exist): quantizer dropout lets the first 2 of its 4 levels decode alone, so both
language models predict the same 2-level codes [B, 2, F] of the same clips. Each trains for
the same wall-clock (steps from a timed probe of each), then is scored on held-out tunes:

- teacher-forced cross-entropy per code (nats; the chain-rule likelihood of the true codes);
- caption adherence and local FAD of the generated audio (2 levels -> codec decoder ->
  vocoder), with the local attribute classifier of the main benchmark's recipe;
- generation speed at batch 1 (the delay pattern takes F + 1 steps, flattening 2F).

With ``--steps N`` both train N steps instead (equal training samples: flattening then
spends about twice the compute), written as ``flatten_ablation_equal_steps``; a timed
probe on a shared machine can hand the two very different step counts.

    nice -n 10 env OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.sound_flatten_ablation
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from benchmarks.common import update_results  # noqa: E402
from regen.contracts import YSpec  # noqa: E402
from regen.eval.audio_classifier import clip_outputs  # noqa: E402
from regen.eval.audio_metrics import adherence, frechet_distance  # noqa: E402
from regen.generators.codes_lm import CaptionCodeLM  # noqa: E402
from regen.runs import load_run  # noqa: E402
from regen.tasks.sound.build import clip_frames, mel_of  # noqa: E402
from regen.tasks.sound.evaluate import attribute_classifier  # noqa: E402
from regen.tasks.sound.train import load_sound_data  # noqa: E402
from regen.training.loop import train_stage  # noqa: E402
from regen.training.probe import best_step_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "nice -n 10 env OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.sound_flatten_ablation"
LEVELS = 2


def codes_of(pipeline, audio: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return torch.cat([pipeline.encode(c) for c in audio.split(32)])[:, :LEVELS].clone()


def held_out_ce(lm: CaptionCodeLM, x: torch.Tensor, codes: torch.Tensor) -> float:
    lm.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(x), 16):
            loss, _ = lm.training_loss(
                {"x": x[start : start + 16], "y_prime": codes[start : start + 16]}
            )
            total += float(loss) * len(x[start : start + 16])
    return total / len(x)


def batches(tensors: dict, size: int):
    """A function giving random training batches of ``tensors`` (seeded)."""
    g = torch.Generator().manual_seed(0)

    def batch() -> dict:
        index = torch.randint(len(tensors["x"]), (size,), generator=g)
        return {k: v[index] for k, v in tensors.items()}

    return batch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--run", type=Path, default=ROOT / "runs" / "bench-sound" / "sound_codec_tokens"
    )
    parser.add_argument(
        "--seconds", type=float, default=150.0, help="training wall-clock of each LM"
    )
    parser.add_argument("--clips", type=int, default=32, help="held-out captions generated")
    parser.add_argument("--steps", type=int, default=0, help="equal steps instead of time")
    args = parser.parse_args()
    torch.set_num_threads(1)
    wall = time.perf_counter()
    pipeline, config = load_run(args.run)
    data = load_sound_data(config)
    train_x = pipeline.conditioner.encode(data.train.captions)
    test = data.test.subset(list(range(min(args.clips, len(data.test)))))
    test_x = pipeline.conditioner.encode(test.captions)
    train_codes, test_codes = codes_of(pipeline, data.train.audio), codes_of(pipeline, test.audio)
    spec = YSpec("discrete", (LEVELS, None), dtype="int64", vocab_size=pipeline.spec.vocab_size)
    mel = mel_of(config)
    classifier = attribute_classifier(config, data)
    reference, _ = clip_outputs(classifier, mel, test.audio)
    rows = {}
    tensors = {"x": train_x, "y_prime": train_codes}
    train_cfg = config.train.generator
    for pattern in ("delay", "flatten"):
        gen_cfg = dataclasses.replace(config.generator, pattern=pattern)
        torch.manual_seed(config.seed)
        lm = CaptionCodeLM(spec, gen_cfg, clip_frames(config))
        step = best_step_seconds(lm.train(), batches(tensors, train_cfg.batch_size))
        steps = args.steps or max(1, int(args.seconds / step))
        result = train_stage(
            pattern, lm, tensors, dataclasses.replace(train_cfg, steps=steps), None, progress=True
        )
        outputs, seconds = [], 0.0
        with torch.inference_mode():
            for i in range(len(test_x)):
                start = time.perf_counter()
                codes = lm.sample(test_x[i : i + 1], generator=torch.Generator().manual_seed(i))
                wav = pipeline.renderer.render(codes)
                seconds += time.perf_counter() - start
                outputs.append(wav[0].clamp(-1, 1))
        audio = torch.stack(outputs)
        features, predicted = clip_outputs(classifier, mel, audio)
        rows[pattern] = {
            "steps": steps,
            "train_seconds": result.seconds,
            "step_seconds_probe": step,
            "heldout_ce_nats_per_code": held_out_ce(lm, test_x, test_codes),
            **adherence(predicted, test.attributes),
            "local_fad": frechet_distance(features, reference),
            "realtime_speedup_batch_1": audio.numel() / config.data.sample_rate / seconds,
        }
        print(pattern, rows[pattern], flush=True)
    section = "flatten_ablation_equal_steps" if args.steps else "flatten_ablation"
    summary = {
        section: {
            "levels": LEVELS,
            "budget": f"{args.steps} steps each" if args.steps else f"{args.seconds:g} s each (probe)",
            "held_out_clips": len(test_x),
            **{p: {k: rows[p][k] for k in ("heldout_ce_nats_per_code", "adherence", "local_fad",
                                            "realtime_speedup_batch_1", "steps",
                                            "train_seconds")} for p in rows},
            "wall_clock_seconds": round(time.perf_counter() - wall, 1),
            "command": COMMAND + (f" --steps {args.steps}" if args.steps else ""),
        }
    }  # fmt: skip
    path = update_results("sound", section, {"rows": rows}, summary)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
