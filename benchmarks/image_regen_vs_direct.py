"""Image generation: regeneration (latent diffusion) vs direct pixel diffusion, and peak memory.

1. Runs `regen compare` on the demo recipe (equal training wall-clock, see the recipe) and
   records sampling images/s and domain-FID for both pipelines.
2. For every image recipe, measures peak resident memory of a short training run (peak memory
   is reached in the first steps) and of sampling one evaluation batch of 64 images.

    .venv/bin/python -m benchmarks.image_regen_vs_direct     # writes benchmarks/results/image.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.common import run_measured, update_results

ROOT = Path(__file__).resolve().parents[1]
REGEN = [sys.executable, "-m", "regen.cli"]
COMMAND = ".venv/bin/python -m benchmarks.image_regen_vs_direct"
SHORT = [f"train.{s}.steps=8" for s in ("representation", "generator", "renderer")]


def compare(recipe: str, out: Path, extra: list[str]) -> dict:
    usage = run_measured([*REGEN, "compare", recipe, *extra, "--out", str(out)])
    results = json.loads((out / "results.json").read_text())
    regen, direct = results["pipelines"]
    return {
        "recipe": recipe,
        "budget": results["budget"],
        "peak_rss_mib": usage["peak_rss_mib"],
        "wall_seconds": usage["seconds"],
        "regen": regen["metrics"],
        "direct": direct["metrics"],
        "sampling_speedup": regen["metrics"]["sampling_images_per_s"]
        / direct["metrics"]["sampling_images_per_s"],
        "fid_ratio": direct["metrics"]["fid"] / regen["metrics"]["fid"],
    }


def memory(recipe: Path, work: Path) -> dict:
    run = work / recipe.stem
    train = run_measured([*REGEN, "train", str(recipe), *SHORT, "--out", str(run)])
    names = ["A", "B", "C", "D", "E", "F", "G", "H"]
    if "digits" in recipe.stem:  # the class names of sklearn's digits
        names = [str(digit) for digit in range(8)]
    if "emoji" in recipe.stem:
        names = [
            "grinning face",
            "red apple",
            "dog face",
            "sun",
            "rocket",
            "pizza",
            "snowman",
            "fire",
        ]
    sample = run_measured(
        [*REGEN, "sample", str(run), *names, "-n", "8", "--out", str(work / f"{recipe.stem}.png")]
    )
    return {
        "train_peak_rss_mib": train["peak_rss_mib"],
        "sample64_peak_rss_mib": sample["peak_rss_mib"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="image/glyphs_latent_diffusion")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-image")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--section",
        default="regen_vs_direct",
        help="results section; other names prefix the summary keys",
    )
    parser.add_argument("overrides", nargs="*", help="key.sub=value overrides for the compare")
    args = parser.parse_args()

    result = compare(args.recipe, args.work / args.section, args.overrides)
    if not args.skip_memory:
        recipes = sorted((ROOT / "recipes" / "image").glob("*.yaml"))
        result["peak_memory_per_recipe"] = {
            r.stem: memory(r, args.work / "memory") for r in recipes
        }
    result["command"] = " ".join([COMMAND, *sys.argv[1:]])
    summary = {
        "sampling_speedup": round(result["sampling_speedup"], 2),
        "fid_ratio": round(result["fid_ratio"], 2),
        "fid_regen": round(result["regen"]["fid"], 2),
        "fid_direct": round(result["direct"]["fid"], 2),
    }
    if args.section == "regen_vs_direct":
        summary["command"] = f"{COMMAND} && .venv/bin/python -m benchmarks.vs_diffusers"
    else:
        summary = {f"{args.section}_{k}": v for k, v in summary.items()}
    path = update_results("image", args.section, result, summary)
    print(json.dumps(summary, indent=1), f"-> {path}")


if __name__ == "__main__":
    main()
