"""The four research-question studies at a small scale, with the numbers behind every plot.

Scale: scikit-learn digits, 8x8, 10 classes (1,527 training and 270 held-out items), recipe
``image/digits_latent_diffusion`` (VAE latent 4x4x4 + diffusion; 300 representation and 300
generator steps of 32 items) and its direct baseline; 2 seeds per point; one worker process
with one torch thread. Each study is one ``regen study`` run (resumable: re-running this script
skips every finished point) and writes its own report under runs/bench-studies/.

    .venv/bin/python -m benchmarks.studies            # writes benchmarks/results/studies.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, run_measured
from regen.report.html import machine_info

ROOT = Path(__file__).resolve().parents[1]
RECIPE = "image/digits_latent_diffusion"
STUDIES = ("mismatch", "paired", "discrete", "tradeoff", "tradeoff_codebook", "tradeoff_levels")
VQ_RECIPE = "image/digits_vq_ar"
SWEEPS = {  # result key -> (study, recipe, extra CLI arguments); the rest: (key, RECIPE, [])
    "tradeoff_codebook": ("tradeoff", VQ_RECIPE, ["--axis", "codebook"]),
    "tradeoff_levels": ("tradeoff", VQ_RECIPE, ["representation.kind=rvq", "--axis", "levels"]),
}
COMMAND = ".venv/bin/python -m benchmarks.studies"
SCALE = (
    "sklearn digits 8x8 (10 classes; 1,527 train / 270 held-out items), recipe "
    f"{RECIPE} (VAE latent 4x4x4 + diffusion, 300 + 300 steps of 32) vs digits_direct "
    "(same samples budget); 2 seeds per point; 1 worker, 1 torch thread, CPU"
)
AXES_SCALE = (
    f"tradeoff --axis codebook / levels: the same digits, recipe {VQ_RECIPE} (VQ tokens 4x4 "
    "+ autoregressive transformer, 300 + 300 steps of 32; levels with representation.kind=rvq); "
    "2 seeds per point; 1 worker, 1 torch thread, CPU"
)


def _finite(value: Any) -> Any:
    """JSON without NaN: non-finite floats become null, containers are walked."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def run(name: str, out_root: Path, workers: int, seeds: int) -> dict[str, Any]:
    out = out_root / name
    study, recipe, extra = SWEEPS.get(name, (name, RECIPE, []))
    command = [sys.executable, "-m", "regen.cli", "study", study, recipe, *extra]
    command += ["--out", str(out), "--workers", str(workers), "--seeds", str(seeds)]
    usage = run_measured(command)
    results = json.loads((out / "results.json").read_text())
    return {
        "question": results["question"],
        "command": " ".join([".venv/bin/regen study", study, recipe, *extra, f"--seeds {seeds}"]),
        "wall_seconds_this_run": usage["seconds"],
        "summary": results["summary"],
        "points": results["points"],
        "report": str((out / "report.html").relative_to(ROOT) if out.is_relative_to(ROOT) else out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-studies")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--only", nargs="*", choices=STUDIES, default=list(STUDIES))
    args = parser.parse_args()
    path = RESULTS / "studies.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    start = time.perf_counter()
    for name in args.only:
        results[name] = run(name, args.out, args.workers, args.seeds)
        results["machine"] = machine_info()
        results["summary"] = summary(results)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_finite(results), indent=1) + "\n")
    print(f"{time.perf_counter() - start:.0f} s; wrote {path}", file=sys.stderr)


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The top-level figures asked for in the issue, from whichever studies have run."""
    get = lambda study, key: results.get(study, {}).get("summary", {}).get(key)  # noqa: E731
    return {
        "mismatch_gap_closed": get("mismatch", "mismatch_gap_closed"),
        "mismatch_best_method": get("mismatch", "best_method"),
        "mismatch_gap_closed_per_method": {
            method: value.get("mean")
            for method, value in (get("mismatch", "gap_closed") or {}).items()
        },
        "joint_vs_cascaded_ratio": get("mismatch", "joint_vs_cascaded_ratio"),
        "paired_10pct_regen_vs_direct": get("paired", "paired_10pct_regen_vs_direct"),
        "tradeoff_best_factor": get("tradeoff", "best_factor"),
        "tradeoff_best_codebook_size": get("tradeoff_codebook", "best_codebook_size"),
        "tradeoff_best_num_quantizers": get("tradeoff_levels", "best_num_quantizers"),
        "tradeoff_axes_scale": AXES_SCALE,
        "discrete_continuous_over_discrete_fid": get("discrete", "continuous_over_discrete_fid"),
        "metric": "domain-FID on the 270 held-out digits (lower is better), one sample per "
        "held-out item asked for its class; ratios are of seed means",
        "scale": SCALE,
        "command": COMMAND,
    }


if __name__ == "__main__":
    main()
