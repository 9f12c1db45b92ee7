"""regen vs plain diffusers on the identical UNet and scheduler.

Training: the demo recipe's latent diffusion generator (diffusers UNet2DModel + DDPMScheduler)
trained N steps by regen's loop, and by a plain loop over the same diffusers components
(no EMA, clipping, logging or checkpoints). Sampling: regen's DiffusionGenerator.sample vs
diffusers' own DDIMPipeline around the identical UNet (class fixed, no guidance), same noise;
the two must produce the same images. Runs alternate and the best of each is kept.

    .venv/bin/python benchmarks/vs_diffusers.py            # writes benchmarks/results/image.json
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import DDIMPipeline, DDIMScheduler

from benchmarks.common import update_results
from regen.config import TrainConfig, load_recipe
from regen.generators.diffusion import DiffusionGenerator
from regen.tasks.image.build import build_representation
from regen.training.loop import train_stage

COMMAND = ".venv/bin/python benchmarks/vs_diffusers.py"


class FixedConditionUNet(torch.nn.Module):
    """The same UNet with one class vector bound, so DDIMPipeline can call unet(x, t)."""

    def __init__(self, unet: torch.nn.Module, cond: torch.Tensor) -> None:
        super().__init__()
        self.unet = unet
        self.config = unet.config
        self.register_buffer("cond", cond)

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.dtype

    @property
    def device(self) -> torch.device:
        return self.unet.device

    def forward(self, sample, timestep, **kwargs):
        cond = self.cond.expand(sample.shape[0], -1)
        return self.unet(
            sample, timestep, class_labels=cond, return_dict=kwargs.get("return_dict", True)
        )


def plain_diffusers_training(gen: DiffusionGenerator, data, cfg: TrainConfig) -> float:
    """The loop a diffusers user writes: add_noise, UNet, MSE, AdamW. Returns seconds."""
    unet, scheduler = gen.unet, gen.noise_scheduler
    optimizer = torch.optim.AdamW(gen.parameters(), lr=cfg.lr)
    gen.train()
    start = time.perf_counter()
    for _ in range(cfg.steps):
        idx = torch.randint(len(data["x"]), (cfg.batch_size,))
        y0, x = data["y_prime"][idx], data["x"][idx]
        noise = torch.randn_like(y0)
        t = torch.randint(0, scheduler.config.num_train_timesteps, (cfg.batch_size,))
        pred = unet(
            scheduler.add_noise(y0, noise, t), t, class_labels=gen.condition.pooled(x)
        ).sample
        loss = F.mse_loss(pred, noise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="image/glyphs_latent_diffusion")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    config = load_recipe(args.recipe)
    spec = build_representation(config, (1, config.data.image_size, config.data.image_size)).spec
    torch.manual_seed(0)
    n = 2048
    data = {"x": torch.randint(0, 36, (n,)), "y_prime": torch.randn(n, *spec.shape)}
    batch = config.train.generator.batch_size
    same_work = TrainConfig(
        steps=args.steps,
        batch_size=batch,
        lr=config.train.generator.lr,
        ema_decay=0.0,
        grad_clip=0.0,
        log_every=10**9,
        checkpoint_every=10**9,
    )
    recipe_cfg = TrainConfig(
        **{**vars(config.train.generator), "steps": args.steps, "checkpoint_every": 10**9}
    )
    base = DiffusionGenerator(spec, config.generator, 36)

    times = {"regen_same_work": [], "regen_recipe_settings": [], "plain_diffusers": []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for label, cfg in (
                ("regen_same_work", same_work),
                ("regen_recipe_settings", recipe_cfg),
            ):
                gen = copy.deepcopy(base)
                out = Path(tmp) / f"{label}{repeat}"
                times[label].append(
                    train_stage("generator", gen, data, cfg, out, progress=False).seconds
                )
            times["plain_diffusers"].append(
                plain_diffusers_training(copy.deepcopy(base), data, same_work)
            )
    steps_per_s = {k: args.steps / min(v) for k, v in times.items()}

    gen = base.eval()
    x = torch.full((args.samples,), 3)
    wrapper = FixedConditionUNet(gen.unet, gen.condition.pooled(x[:1]).detach())
    pipe = DDIMPipeline(
        unet=wrapper, scheduler=DDIMScheduler.from_config(gen.noise_scheduler.config)
    )
    pipe.set_progress_bar_config(disable=True)
    steps = config.generator.sampling_steps
    sample_times = {"regen": [], "diffusers_ddim_pipeline": []}
    with torch.no_grad():
        for _ in range(args.repeats):
            start = time.perf_counter()
            ours = gen.sample(
                x,
                generator=torch.Generator().manual_seed(0),
                steps=steps,
                guidance_scale=1.0,
                sampler="ddim",
            )
            sample_times["regen"].append(time.perf_counter() - start)
            start = time.perf_counter()
            theirs = pipe(
                batch_size=args.samples,
                generator=torch.Generator().manual_seed(0),
                num_inference_steps=steps,
                eta=0.0,
                output_type="np",
            ).images
            sample_times["diffusers_ddim_pipeline"].append(time.perf_counter() - start)
    # DDIMPipeline maps to [0, 1] and clamps, channels last; map ours the same way to compare
    ours_np = (ours / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    max_difference = float(abs(ours_np - theirs).max())
    images_per_s = {k: args.samples / min(v) for k, v in sample_times.items()}

    train_ratio = steps_per_s["regen_same_work"] / steps_per_s["plain_diffusers"]
    sample_ratio = images_per_s["regen"] / images_per_s["diffusers_ddim_pipeline"]
    data_out = {
        "command": COMMAND,
        "recipe": config.name,
        "y_prime": spec.describe(),
        "train_steps": args.steps,
        "batch_size": batch,
        "train_steps_per_s": steps_per_s,
        "train_seconds_all_repeats": times,
        "sampling": {"images": args.samples, "ddim_steps": steps, "guidance": 1.0},
        "sampling_images_per_s": images_per_s,
        "sampling_max_abs_difference_regen_vs_diffusers": max_difference,
        "train_throughput_ratio_vs_diffusers": train_ratio,
        "train_throughput_ratio_with_recipe_ema_and_clipping": (
            steps_per_s["regen_recipe_settings"] / steps_per_s["plain_diffusers"]
        ),
        "sampling_throughput_ratio_vs_diffusers": sample_ratio,
    }
    path = update_results(
        "image",
        "vs_diffusers",
        data_out,
        {
            "train_throughput_ratio_vs_diffusers": round(train_ratio, 3),
            "sampling_throughput_ratio_vs_diffusers": round(sample_ratio, 3),
        },
    )
    print(
        f"train {train_ratio:.3f}x, sampling {sample_ratio:.3f}x, max |diff| {max_difference:.2e} -> {path}"
    )


if __name__ == "__main__":
    main()
