"""Batch-1 generation speed of a finished sound benchmark run, with the current code.

Loads the regen and direct pipelines of a ``benchmarks.sound_regen_vs_direct`` run folder and
generates one held-out caption at a time, the measures interleaved round by round
(:func:`benchmarks.common.interleaved`) so load that comes and goes falls on all alike:

- ``regen``: as the benchmark samples (the dev-chosen guidance and temperature), through
  :meth:`regen.modules.transformer.Transformer.decode_step`;
- ``regen, module-call decode``: the same, each step through ``Transformer.forward`` (the
  decode loop before ``decode_step``), to show what that change buys;
- ``direct``: the baseline.

Records audio seconds per compute second, the median seconds per clip, and the 1-minute load
average before and after; writes ``benchmarks/results/sound_speed.json``.

    OMP_NUM_THREADS=1 nice .venv/bin/python -m benchmarks.sound_speed runs/bench-sound
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from benchmarks.common import interleaved, update_results  # noqa: E402
from benchmarks.sound_regen_vs_direct import one_clip  # noqa: E402
from regen.modules.transformer import Transformer  # noqa: E402
from regen.runs import load_run  # noqa: E402
from regen.tasks.sound.train import load_sound_data  # noqa: E402

FAST = Transformer.decode_step


def module_call_step(self, x, key_valid, cache, weights=None):  # noqa: ANN001, ANN201
    """The step as it ran before ``decode_step``: ``forward`` on one position."""
    return self(x[:, None], key_valid, cache)[:, 0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path, help="a sound_regen_vs_direct --out folder")
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = json.loads((args.run / "results.json").read_text())
    labels = {p["label"]: args.run / p["recipe_name"] for p in results["pipelines"]}
    sampling = (results.get("dev_sampling") or {}).get("chosen", {})
    regen, config = load_run(labels["regen"])
    direct, _ = load_run(labels["direct"])
    captions = load_sound_data(config).test.captions[: args.rounds]
    audio: dict[str, float] = {}

    def measure(name: str, pipeline, options: dict, step) -> Callable[[], float]:  # noqa: ANN001
        turn = iter(range(10**9))

        def once() -> float:
            i = next(turn)
            Transformer.decode_step = step
            try:
                seconds, clip = one_clip(pipeline, config, captions[i % len(captions)], i, options)
            finally:
                Transformer.decode_step = FAST
            audio[name] = audio.get(name, 0.0) + clip
            return seconds

        return once

    measures = {
        "regen": measure("regen", regen, sampling, FAST),
        "regen, module-call decode": measure("regen, module-call decode", regen, sampling,
                                             module_call_step),
        "direct": measure("direct", direct, {}, FAST),
    }  # fmt: skip
    for once in measures.values():  # warm-up, untimed
        once()
    audio.clear()
    before = os.getloadavg()[0]
    seconds = interleaved(measures, args.rounds, "batch-1 speed")
    summary = {
        "run": str(args.run),
        "sampling": sampling,
        "rounds": args.rounds,
        "realtime_speedup_batch_1": {k: audio[k] / sum(v) for k, v in seconds.items()},
        "seconds_per_clip_median": {k: sorted(v)[len(v) // 2] for k, v in seconds.items()},
        "load_average_1min": {"before": before, "after": os.getloadavg()[0]},
        "griffin_lim_iterations": config.renderer.griffin_lim_iterations,
        "command": "OMP_NUM_THREADS=1 nice .venv/bin/python -m benchmarks.sound_speed "
        + str(args.run),
    }
    print(json.dumps(summary, indent=1))
    print(f"wrote {update_results('sound_speed', 'speed', {'seconds': seconds}, summary)}")


if __name__ == "__main__":
    main()
