"""Why trained video latent-diffusion runs make clips no classifier can read: their samples.

For each trained run given (video/latent_diffusion runs, e.g. those of
benchmarks.video_condition_words): the spread of the TRUE latents of 16 training clips and
of the latents DDIM samples for their captions (guidance 1), the denoising MSE of the noise
prediction (for v_prediction, of the noise it implies) at four timesteps, and the per-factor
dev scores (benchmarks.video_regen_vs_direct.guidance_on_dev's split: 64 clips of the
held-out fonts, seed + 1) of DDIM at the recipe's guidance as sampled, and with the
predicted x0 clipped to [-3, 3] (the latents are calibrated to unit variance), a sampler
check the recipes do not use.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_latent_sampling_check RUN [RUN ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from diffusers import DDIMScheduler

from benchmarks.common import write_results
from benchmarks.video_regen_vs_direct import dev_clips
from regen.generators.diffusion import DiffusionGenerator
from regen.runs import load_run
from regen.tasks.video import compare as hooks
from regen.tasks.video.data import load_split

ROOT = Path(__file__).resolve().parents[1]
TIMESTEPS = (50, 200, 500, 800)
CLIP = 3.0


@torch.no_grad()
def sample(
    generator: DiffusionGenerator, x: torch.Tensor, scale: float, clip: float | None, seed: int
) -> torch.Tensor:
    """DDIM as DiffusionGenerator.sample, with the predicted x0 clipped to ``clip`` if set."""
    config = generator.noise_scheduler.config
    scheduler = DDIMScheduler.from_config(
        config, clip_sample=clip is not None, clip_sample_range=clip or 1.0
    )
    scheduler.set_timesteps(generator.cfg.sampling_steps)
    rows = (x,) if scale == 1.0 else (torch.cat([x, x]), torch.arange(2 * len(x)) >= len(x))
    cond = generator.conditioning(*rows)
    rng = torch.Generator().manual_seed(seed)
    y = torch.randn((len(x), *generator.spec.shape), generator=rng)
    for t in scheduler.timesteps:
        prediction = generator.predict(y, t, cond, scale)
        y = scheduler.step(prediction, t, y, return_dict=False)[0]
    return y


def implied_noise(
    generator: DiffusionGenerator, prediction: torch.Tensor, noisy: torch.Tensor, t: torch.Tensor
) -> torch.Tensor:
    """The noise a prediction implies: itself for epsilon, ``sqrt(a) v + sqrt(1 - a) x_t`` for
    v_prediction (a = alpha-bar at t), so the noise MSE compares both prediction types alike."""
    if generator.cfg.prediction_type == "epsilon":
        return prediction
    alpha = generator.noise_scheduler.alphas_cumprod.to(noisy.device)[t].view(-1, 1, 1, 1)
    return alpha.sqrt() * prediction + (1 - alpha).sqrt() * noisy


@torch.no_grad()
def check(run: Path) -> dict:
    pipeline, config = load_run(run, task="video")
    generator = pipeline.generator
    train = load_split(config.data, "train", config.seed)
    x = pipeline.conditioner.encode(train.captions[:16])
    true = pipeline.encode(train.clips[:16])
    sampled = sample(generator, x, 1.0, None, config.seed)
    mse = {}
    for step in TIMESTEPS:
        t = torch.full((len(true),), step)
        noise = torch.randn(true.shape, generator=torch.Generator().manual_seed(step))
        noisy = generator.noise_scheduler.add_noise(true, noise, t)
        prediction = generator.unet(noisy, t, **generator.conditioning(x), return_dict=False)[0]
        implied = implied_noise(generator, prediction, noisy, t)
        mse[str(step)] = float(torch.nn.functional.mse_loss(implied, noise))
    data, dev = dev_clips(config, 64)
    dev_x = pipeline.conditioner.encode(dev.captions)
    scale = config.generator.guidance_scale
    scores = {}
    for label, clip in (("ddim", None), (f"ddim_x0_clipped_{CLIP:g}", CLIP)):
        latents = sample(generator, dev_x, scale, clip, config.seed)
        fake = pipeline.render(latents).clamp(-1, 1)
        scores[label] = {
            "latent_std": float(latents.std()),
            **hooks.caption_scores(data, dev, fake, config.data.glyph_size),
        }
    return {
        "true_latent_std": float(true.std()),
        "sampled_latent_std_guidance_1": float(sampled.std()),
        "sampled_latent_abs_max_guidance_1": float(sampled.abs().max()),
        "noise_mse_by_timestep": mse,
        "dev_guidance": scale,
        "dev": scores,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--results", default="video_latent_sampling_check")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = {}
    for run in args.runs:
        rows[str(run)] = check(run)
        print(json.dumps({str(run): rows[str(run)]}), flush=True)
    command = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_latent_sampling_check"
    if args.results != "video_latent_sampling_check":
        command += f" --results {args.results}"
    summary = {"command": " ".join([command, *map(str, args.runs)]), "rows": rows}
    write_results(args.results, summary)


if __name__ == "__main__":
    main()
