"""Video generation: 3-D VQ tokens (autoregressive and masked) vs direct pixel diffusion.

1. ``regen compare video/latent_tokens`` (caption -> 4x8x8 tokens by a GPT -> 3-D VQ decoder,
   against pixel diffusion at the same number of training samples): caption adherence,
   local FVD, the control rows, sampling clips/s; peak memory and wall-clock of the run.
2. The masked-token (MaskGIT) generator of video/masked_tokens on the SAME trained 3-D
   VQ-VAE (its representation folder is copied, so only the generator trains, with the AR
   generator's steps and batch): the same metrics from the same classifier and held-out clips.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_regen_vs_direct   # -> results/video.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from benchmarks.common import run_measured, update_results

ROOT = Path(__file__).resolve().parents[1]
REGEN = [sys.executable, "-m", "regen.cli"]
COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_regen_vs_direct"
KEYS = (
    "caption_adherence",
    "caption_adherence_unseen_combo",
    "glyph_accuracy",
    "direction_accuracy",
    "speed_accuracy",
    "local_fvd",
    "sampling_clips_per_s",
    "parameters",
    "train_seconds",
    "samples_seen",
)


def masked_on_same_tokens(compare_dir: Path, work: Path, overrides: list[str]) -> dict:
    """Train the masked generator on the compare's trained VQ-VAE, score it like the others."""
    import torch

    from regen.runs import load_run
    from regen.tasks.video import compare as hooks

    run = work / "masked"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    shutil.copytree(compare_dir / "video_latent_tokens" / "representation", run / "representation")
    recipe = str(ROOT / "recipes" / "video" / "masked_tokens.yaml")
    usage = run_measured([*REGEN, "train", recipe, *overrides, "--out", str(run), "--resume"])
    torch.set_num_threads(1)
    pipeline, config = load_run(run, task="video")
    data = hooks.load_data(config)  # the cached classifier and clips of the compare
    scratch = work / "masked-eval"
    scratch.mkdir(exist_ok=True)
    metrics, _ = hooks.evaluate({"masked": (pipeline, config)}, data, config, scratch, False)
    stages = json.loads((run / "pipeline.json").read_text())["stages"]
    generator = next(s for s in stages if s["name"] == "generator")
    scores = metrics["masked"]
    scores["train_seconds"] = generator["seconds"]
    scores["samples_seen"] = float(generator["samples_seen"])
    return {"metrics": scores, "peak_rss_mib": usage["peak_rss_mib"], "run": str(run)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-video")
    parser.add_argument(
        "--results", default="video", help="results/<NAME>.json (another name keeps a variant)"
    )
    parser.add_argument("overrides", nargs="*", help="key=value overrides for both recipes")
    args = parser.parse_args()
    start = time.perf_counter()
    compare_dir = args.out / "compare"
    recipe = str(ROOT / "recipes" / "video" / "latent_tokens.yaml")
    usage = run_measured([*REGEN, "compare", recipe, *args.overrides, "--out", str(compare_dir)])
    results = json.loads((compare_dir / "results.json").read_text())
    runs = {p["label"]: p["metrics"] for p in results["pipelines"]}
    masked = masked_on_same_tokens(compare_dir, args.out, args.overrides)
    rows = {
        "regen_ar": {k: runs["regen"].get(k) for k in KEYS},
        "regen_masked": {k: masked["metrics"].get(k) for k in KEYS},
        "direct": {k: runs["direct"].get(k) for k in KEYS},
    }
    regen_m, direct_m, masked_m = runs["regen"], runs["direct"], masked["metrics"]
    summary = {
        "command": " ".join(
            [COMMAND, *(["--results", args.results] if args.results != "video" else [])]
            + list(args.overrides)
        ),
        "budget": results["budget"],
        "rows": rows,
        "controls": results["controls"],
        "reconstruction": {
            k: regen_m[k]
            for k in (
                "psnr_reconstruction",
                "ssim_reconstruction",
                "local_fvd_reconstruction",
                "codebook_usage",
                "codebook_perplexity",
            )
        },
        "sampling_speedup_ar_vs_direct": regen_m["sampling_clips_per_s"]
        / direct_m["sampling_clips_per_s"],
        "sampling_speedup_masked_vs_direct": masked_m["sampling_clips_per_s"]
        / direct_m["sampling_clips_per_s"],
        "sampling_speedup_masked_vs_ar": masked_m["sampling_clips_per_s"]
        / regen_m["sampling_clips_per_s"],
        "peak_rss_mib": {"compare": usage["peak_rss_mib"], "masked_train": masked["peak_rss_mib"]},
        "scale": results["data"],
        "wall_seconds": {"compare": usage["seconds"], "total": time.perf_counter() - start},
    }
    path = update_results(args.results, "latent_tokens", {"results": results}, summary)
    print(json.dumps(summary, indent=1))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
