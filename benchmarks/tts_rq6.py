"""RQ6 on speech at benchmark scale: explicit mel vs learned continuous vs learned discrete Y'.

Trains the three TTS Y' recipes with the SAME generator steps on the benchmark corpus
(``benchmarks.tts_regen_vs_direct.SCALE``'s data), each rendered by Griffin-Lim so that no
renderer training hides the Y' choice (a learned Y' goes through its own decoder to the mel
first), and scores them on the same held-out sentences: MCD-DTW, log-F0 RMSE, V/UV error,
the learned Y' round trip (true speech -> Y' -> mel -> Griffin-Lim), and, if a recognizer
was trained (``ASR_TRAIN`` of the TTS benchmark), word error rate. Each recipe runs in its
own process, two at a time (one torch thread each).

    nice -n 5 .venv/bin/python -m benchmarks.tts_rq6     # benchmarks/results/tts_rq6.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import run_measured, update_results
from benchmarks.tts_regen_vs_direct import THREADS

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "nice -n 5 .venv/bin/python -m benchmarks.tts_rq6"
RECIPES = {"mel": "fastspeech_vocos", "mel_vae": "vae_latent", "mel_rvq": "rvq_codes"}
SCALE = [
    "data.num_sentences=1000",
    "data.max_seconds=4.0",
    "renderer.kind=griffin_lim",
    "train.representation.steps=800",
    "train.representation.batch_size=16",
    "train.representation.warmup_steps=50",
    "train.representation.checkpoint_every=400",
    "train.generator.steps=2500",
    "train.generator.batch_size=8",
    "train.generator.warmup_steps=50",
    "train.generator.checkpoint_every=500",
]
UTTERANCES = 16
ASR_RUN = ROOT / "runs" / "asr-for-tts"


def train_and_score(recipe: str, out: Path, result: Path) -> None:
    """Child process: train one recipe at SCALE, score it, write its metrics as JSON."""
    from regen.config import load_recipe
    from regen.data.speech import load_speech_corpus
    from regen.tasks.tts.evaluate import evaluate_tts
    from regen.tasks.tts.train import train_tts

    config = load_recipe(f"tts/{recipe}", SCALE)
    start = time.perf_counter()
    pipeline, stages = train_tts(config, out, progress=False)
    seconds = time.perf_counter() - start
    test = load_speech_corpus(config.data, "test")
    metrics, _ = evaluate_tts({"regen": pipeline}, test, UTTERANCES, asr_run=str(ASR_RUN))
    record = {
        "recipe": f"tts/{recipe}",
        "train_seconds": seconds,
        "stages": [{"name": s.name, "steps": s.steps, "seconds": s.seconds} for s in stages],
        "metrics": {k: v for k, v in metrics.items() if k != "ground truth"},
    }
    result.write_text(json.dumps(record, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-tts-rq6")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", nargs=3, metavar=("RECIPE", "OUT", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        train_and_score(args.one[0], Path(args.one[1]), Path(args.one[2]))
        return

    def run(item: tuple[str, str]) -> tuple[str, dict]:
        kind, recipe = item
        result = args.out / f"{kind}.json"
        cmd = [sys.executable, "-m", "benchmarks.tts_rq6", "--one", recipe]
        usage = run_measured([*cmd, str(args.out / kind), str(result)], THREADS)
        return kind, {**json.loads(result.read_text()), "peak_rss_mib": usage["peak_rss_mib"]}

    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(args.workers) as pool:
        runs = dict(pool.map(run, RECIPES.items()))
    summary = {
        f"mcd_{kind}_griffin_lim_db": r["metrics"]["regen"]["mcd_db"] for kind, r in runs.items()
    }
    summary.update(
        {
            f"mcd_{kind}_round_trip_db": r["metrics"]["learned y' resynthesis"]["mcd_db"]
            for kind, r in runs.items()
            if "learned y' resynthesis" in r["metrics"]
        }
    )
    summary.update(
        {f"asr_wer_{kind}": r["metrics"]["regen"]["asr_wer"] for kind, r in runs.items()}
    )
    summary.update(
        {
            "mcd_griffin_lim_true_mel_db": runs["mel"]["metrics"]["griffin-lim resynthesis"][
                "mcd_db"
            ],
            "renderer": "griffin-lim, 32 iterations (a learned Y' is decoded to the mel first)",
            "scale": " ".join(SCALE),
            "utterances": UTTERANCES,
            "threads": 1,
            "workers": args.workers,
            "command": COMMAND,
        }
    )
    path = update_results("tts_rq6", "rq6", {"runs": runs}, summary)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
