"""Video generation: 3-D VQ tokens (autoregressive and masked) and per-frame VAE latents
(latent diffusion) vs direct pixel diffusion.

1. ``regen compare video/latent_tokens`` (caption -> 4x8x8 tokens by a GPT -> 3-D VQ decoder,
   against pixel diffusion at the same number of training samples): caption adherence,
   local FVD, the control rows, sampling clips/s; peak memory and wall-clock of the run.
2. The masked-token (MaskGIT) generator of video/masked_tokens on the SAME trained 3-D
   VQ-VAE (its representation folder is copied, so only the generator trains, with the AR
   generator's steps and batch): the same metrics from the same classifier and held-out clips.
3. video/latent_diffusion (caption -> 16 per-frame VAE latents 4x8x8 by the baseline's own
   UNet2D over the latent grid -> the VAE decoder), trained from scratch on the same number
   of training samples as the baseline, scored the same way. Then the equal wall-clock
   view: on the same VAE, a generator trained until the VAE's and its own measured seconds
   equal the baseline's training seconds; its guidance scale swept on a dev split (other
   clips of the held-out fonts, seed + 1), a diagnostic only (the rows all use guidance 2).

Every row samples with the same batch (eval.batch_size); both diffusion rows use the same
DDIM sampler and number of steps (generator.sampling_steps of their recipes).

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_regen_vs_direct   # -> results/video.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import run_measured, update_results

ROOT = Path(__file__).resolve().parents[1]
REGEN = [sys.executable, "-m", "regen.cli"]
COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_regen_vs_direct"
GUIDANCE_SCALES = (1.0, 2.0, 4.0)
KEYS = (
    "caption_adherence",
    "caption_adherence_unseen_combo",
    "glyph_accuracy",
    "direction_accuracy",
    "speed_accuracy",
    "frame_glyph_accuracy",
    "local_fvd",
    "sampling_clips_per_s",
    "parameters",
    "train_seconds",
    "samples_seen",
)
RECONSTRUCTION_KEYS = (
    "psnr_reconstruction",
    "ssim_reconstruction",
    "local_fvd_reconstruction",
    "caption_adherence_reconstruction",
    "glyph_accuracy_reconstruction",
    "direction_accuracy_reconstruction",
    "speed_accuracy_reconstruction",
    "codebook_usage",
    "codebook_perplexity",
)


def train_run(
    recipe_name: str, run: Path, overrides: list[str], representation_from: Path | None
) -> dict[str, float]:
    """Train ``recipes/video/<recipe_name>.yaml`` afresh into ``run`` in a child process
    (only its generator when the trained ``representation_from`` folder is copied in);
    returns the child's measured usage (peak memory)."""
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    if representation_from is not None:
        shutil.copytree(representation_from, run / "representation")
    recipe = str(ROOT / "recipes" / "video" / f"{recipe_name}.yaml")
    return run_measured([*REGEN, "train", recipe, *overrides, "--out", str(run), "--resume"])


def train_and_score(
    recipe_name: str,
    run: Path,
    scratch: Path,
    overrides: list[str],
    representation_from: Path | None = None,
) -> dict:
    """Train ``recipes/video/<recipe_name>.yaml`` into ``run`` (only its generator when the
    trained ``representation_from`` folder is copied in) and score it with the compare's
    hooks: the cached classifiers and the same held-out clips."""
    import torch

    from regen.runs import load_run
    from regen.tasks.video import compare as hooks

    usage = train_run(recipe_name, run, overrides, representation_from)
    torch.set_num_threads(1)
    pipeline, config = load_run(run, task="video")
    data = hooks.load_data(config)  # the cached classifier and clips of the compare
    scratch.mkdir(parents=True, exist_ok=True)
    metrics, _ = hooks.evaluate({recipe_name: (pipeline, config)}, data, config, scratch, False)
    stages = json.loads((run / "pipeline.json").read_text())["stages"]
    trained = [s for s in stages if representation_from is None or s["name"] == "generator"]
    scores = metrics[recipe_name]
    scores["train_seconds"] = sum(s["seconds"] for s in trained)
    scores["samples_seen"] = float(sum(s["samples_seen"] for s in trained))
    return {"metrics": scores, "peak_rss_mib": usage["peak_rss_mib"], "run": str(run)}


def equal_wallclock_steps(run: Path, seconds: float) -> int:
    """Generator steps that bring the trained latent-diffusion ``run`` to ``seconds`` of
    training in all (its VAE's measured seconds plus generator steps at its measured step
    time), at least the steps it already had."""
    stages = {s["name"]: s for s in json.loads((run / "pipeline.json").read_text())["stages"]}
    generator = stages["generator"]
    step_seconds = generator["seconds"] / generator["steps"]
    left = seconds - stages["representation"]["seconds"]
    return max(generator["steps"], int(left / step_seconds))


def guidance_on_dev(run: Path, scales: tuple[float, ...], count: int = 64) -> dict:
    """Caption scores of the trained pipeline in ``run`` at each guidance scale, on ``count``
    dev clips (see :func:`scores_on_dev`)."""
    from regen.runs import load_run

    pipeline, config = load_run(run, task="video")
    return scores_on_dev(pipeline, config, scales, count)


def dev_clips(config: Any, count: int = 64) -> tuple[Any, Any]:
    """The video data's scorers (``compare.load_data``) and the first ``count`` dev clips: the
    held-out fonts' test split built with seed + 1, so no clip of the test set. Every dev
    diagnostic reads its clips here, so they all score the same ones."""
    import torch

    from regen.tasks.video import compare as hooks
    from regen.tasks.video.data import load_split

    data = hooks.load_data(config)
    dev = load_split(config.data, "test", config.seed + 1)
    return data, dev.subset(torch.arange(min(count, len(dev))))


def scores_on_dev(
    pipeline: Any,
    config: Any,
    scales: tuple[float, ...],
    count: int = 64,
    captions: Callable[[Any], list[str]] | None = None,
) -> dict:
    """Caption scores of ``pipeline`` at each guidance scale, and of the real clips, on
    ``count`` dev clips: the held-out fonts' test split built with seed + 1 (no clip of the
    test set). ``captions`` makes what the pipeline is asked from the dev clips (default:
    their captions; the factor probe asks with its factor tokens)."""
    import torch

    from regen.tasks.video import compare as hooks

    torch.set_num_threads(1)
    data, dev = dev_clips(config, count)
    asked = captions(dev) if captions is not None else dev.captions
    rows = {"real": hooks.caption_scores(data, dev, dev.clips, config.data.glyph_size)}
    for scale in scales:
        fake = pipeline.sample(
            asked, seed=config.seed, batch_size=config.eval.batch_size, guidance_scale=scale
        )
        rows[f"guidance_{scale:g}"] = hooks.caption_scores(data, dev, fake, config.data.glyph_size)
    return {"clips": len(dev), "split": "test fonts, seed + 1", "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-video")
    parser.add_argument(
        "--results", default="video", help="results/<NAME>.json (another name keeps a variant)"
    )
    parser.add_argument("overrides", nargs="*", help="key=value overrides for every recipe")
    args = parser.parse_args()
    start = time.perf_counter()
    compare_dir = args.out / "compare"
    recipe = str(ROOT / "recipes" / "video" / "latent_tokens.yaml")
    usage = run_measured([*REGEN, "compare", recipe, *args.overrides, "--out", str(compare_dir)])
    results = json.loads((compare_dir / "results.json").read_text())
    runs = {p["label"]: p["metrics"] for p in results["pipelines"]}
    masked = train_and_score(
        "masked_tokens",
        args.out / "masked",
        args.out / "masked-eval",
        args.overrides,
        representation_from=compare_dir / "video_latent_tokens" / "representation",
    )
    latent = train_and_score(
        "latent_diffusion", args.out / "latent", args.out / "latent-eval", args.overrides
    )
    # The equal wall-clock view: the same VAE, its generator trained for as long as the
    # baseline trained in all (the samples rule gives it a fraction of that time).
    wallclock_steps = equal_wallclock_steps(args.out / "latent", runs["direct"]["train_seconds"])
    latent_wallclock = train_and_score(
        "latent_diffusion",
        args.out / "latent-wallclock",
        args.out / "latent-wallclock-eval",
        [*args.overrides, f"train.generator.steps={wallclock_steps}"],
        representation_from=args.out / "latent" / "representation",
    )
    vae = next(
        s
        for s in json.loads((args.out / "latent" / "pipeline.json").read_text())["stages"]
        if s["name"] == "representation"
    )
    latent_wallclock["metrics"]["train_seconds"] += vae["seconds"]
    latent_wallclock["metrics"]["samples_seen"] += vae["samples_seen"]
    dev = guidance_on_dev(args.out / "latent-wallclock", GUIDANCE_SCALES)
    generated = {
        "regen_ar": runs["regen"],
        "regen_masked": masked["metrics"],
        "regen_latent_diffusion": latent["metrics"],
        "regen_latent_diffusion_equal_wallclock": latent_wallclock["metrics"],
        "direct": runs["direct"],
    }
    rows = {name: {k: m.get(k) for k in KEYS} for name, m in generated.items()}
    direct_speed = runs["direct"]["sampling_clips_per_s"]
    summary = {
        "command": " ".join(
            [COMMAND, *(["--results", args.results] if args.results != "video" else [])]
            + list(args.overrides)
        ),
        "budget": results["budget"]
        + f" regen_masked trains only its generator on regen_ar's VQ-VAE"
        f" ({masked['metrics']['samples_seen']:,.0f} samples); regen_latent_diffusion trains"
        f" its per-frame VAE and generator from scratch"
        f" ({latent['metrics']['samples_seen']:,.0f} samples; a VAE batch of N clips counts N"
        " samples, N x 16 frames)."
        " regen_latent_diffusion_equal_wallclock is the equal wall-clock view: the same VAE"
        f" (its seconds counted), its generator trained {wallclock_steps} steps so that the"
        " VAE's and the generator's measured seconds add up to direct's training seconds.",
        "sampling": "every row samples the 128 probe captions in batches of eval.batch_size "
        "(32) after a 2-clip warm-up; the two diffusion rows (direct, regen_latent_diffusion) "
        "use the same DDIM sampler, 25 steps and guidance 2; the GPT decodes 64 tokens with a "
        "KV cache, MaskGIT 8 passes (both with guidance 2).",
        "rows": rows,
        "controls": results["controls"],
        "reconstruction_from_true": {
            "vq3d_tokens": {k: runs["regen"].get(k) for k in RECONSTRUCTION_KEYS},
            "frame_vae_latents": {k: latent["metrics"].get(k) for k in RECONSTRUCTION_KEYS},
        },
        "guidance_on_dev_latent_diffusion_equal_wallclock": dev,
        "sampling_speedup_vs_direct": {
            name: m["sampling_clips_per_s"] / direct_speed
            for name, m in generated.items()
            if name != "direct"
        },
        # the targets, per regen row: beats direct on adherence and local FVD at
        # equal budget, and samples at least 10x faster
        "targets": {
            name: {
                "adherence_above_direct": m["caption_adherence"]
                > runs["direct"]["caption_adherence"],
                "local_fvd_below_direct": m["local_fvd"] < runs["direct"]["local_fvd"],
                "sampling_at_least_10x": m["sampling_clips_per_s"] >= 10 * direct_speed,
            }
            for name, m in generated.items()
            if name != "direct"
        },
        "peak_rss_mib": {
            "compare": usage["peak_rss_mib"],
            "masked_train": masked["peak_rss_mib"],
            "latent_diffusion_train": latent["peak_rss_mib"],
            "latent_diffusion_equal_wallclock_train": latent_wallclock["peak_rss_mib"],
        },
        "scale": results["data"],
        "wall_seconds": {"compare": usage["seconds"], "total": time.perf_counter() - start},
    }
    path = update_results(args.results, "latent_tokens", {"results": results}, summary)
    print(json.dumps(summary, indent=1))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
