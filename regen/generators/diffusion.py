"""Conditional diffusion generator for continuous Y' of shape (C, H, W).

A diffusers ``UNet2DModel`` predicts noise (or velocity) from a noisy Y'; the condition X is
pooled to one vector and added to the UNet's time embedding (``class_embed_type="identity"``).
Training uses the DDPM noise schedule; sampling runs any of the DDPM, DDIM or DPM-Solver
schedulers built from the same config, with classifier-free guidance through a learned null
condition that replaces X with probability ``cfg.cond_drop_prob`` during training.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from diffusers import UNet2DModel
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from diffusers.utils.torch_utils import randn_tensor
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError
from regen.generators.sampling import (
    classifier_free_guidance,
    make_scheduler,
    training_scheduler,
)
from regen.modules.condition import ConditionEncoder, random_drop, with_null_rows

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.image.config import GeneratorConfig


def unet_channels(hidden: int, depth: int) -> tuple[int, ...]:
    """Channels per UNet level: ``hidden * (1, 2, 2, ...)`` for ``depth`` levels."""
    return tuple(hidden * (1 if level == 0 else 2) for level in range(depth))


def build_unet(spec: YSpec, cfg: GeneratorConfig) -> UNet2DModel:
    """A small UNet for one Y' of shape (C, H, W), with attention only at the lowest level.

    Each level but the last halves the resolution, so H and W must be divisible by
    ``2 ** (depth - 1)``. One resnet per level keeps training fast on a CPU.
    """
    if spec.kind != "continuous" or len(spec.shape) != 3 or None in spec.shape:
        raise ConfigError(
            f"the diffusion generator needs a continuous (C, H, W) Y' of fixed size, got "
            f"{spec.describe()}; use generator.kind: autoregressive for discrete Y'"
        )
    channels_in, height, width = spec.shape
    depth = cfg.depth
    if depth < 1 or height % 2 ** (depth - 1) or width % 2 ** (depth - 1):
        raise ConfigError(
            f"generator.depth {depth} halves {height}x{width} Y' {depth - 1} times; "
            f"choose a depth with 2**(depth-1) dividing both sides"
        )
    channels = unet_channels(cfg.hidden, depth)
    if channels[-1] % cfg.heads:
        raise ConfigError(
            f"generator.heads {cfg.heads} must divide the lowest UNet width {channels[-1]}"
        )
    return UNet2DModel(
        sample_size=(height, width),
        in_channels=channels_in,
        out_channels=channels_in,
        block_out_channels=channels,
        layers_per_block=1,
        down_block_types=("DownBlock2D",) * (depth - 1) + ("AttnDownBlock2D",),
        up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (depth - 1),
        attention_head_dim=channels[-1] // cfg.heads,
        # GroupNorm runs on every level; all widths are multiples of `hidden`.
        norm_num_groups=math.gcd(cfg.hidden, 32),
        dropout=cfg.dropout,
        class_embed_type="identity",
    )


class DiffusionGenerator(nn.Module):
    """X -> continuous Y' by denoising diffusion.

    Args:
        spec: the Y' to produce: continuous, shape (C, H, W). A symmetric ``value_range``
            (-a, a) also clips predicted x0 during DDPM/DDIM sampling; any range clamps the
            final sample.
        cfg: generator config (``hidden``, ``depth``, ``heads``, ``num_train_timesteps``,
            ``prediction_type``, ``sampler``, ``sampling_steps``, ``guidance_scale``,
            ``cond_drop_prob``, and the condition settings).
        num_classes: number of class ids for class conditions.

    Attributes:
        unet: the diffusers ``UNet2DModel``; call it as ``unet(y, t, class_labels=cond)``
            with ``cond = condition.pooled(x)``.
        condition: the :class:`ConditionEncoder` (pooled width = the UNet time embedding).
        noise_scheduler: the DDPM training schedule; ``make_scheduler`` derives samplers.
    """

    trainable = True

    def __init__(self, spec: YSpec, cfg: GeneratorConfig, num_classes: int) -> None:
        super().__init__()
        self.spec = spec
        self.cfg = cfg
        self.unet = build_unet(spec, cfg)
        self.condition = ConditionEncoder(
            cfg, num_classes, dim=self.unet.config.block_out_channels[0] * 4, pool=cfg.pool
        )
        low, high = spec.value_range or (None, None)
        symmetric = low is not None and low == -high
        self.noise_scheduler = training_scheduler(
            cfg.num_train_timesteps, cfg.prediction_type, clip_range=high if symmetric else None
        )

    def make_scheduler(self, name: str | None = None) -> SchedulerMixin:
        """A fresh sampler (ddpm | ddim | dpm; default ``cfg.sampler``) on the training schedule."""
        return make_scheduler(name or self.cfg.sampler, self.noise_scheduler.config)

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """Denoising MSE on ``batch["y_prime"]`` [B, C, H, W] given ``batch["x"]``.

        Draws timesteps, noise and condition drops from the global RNG (the training loop
        seeds it).
        """
        y0 = batch["y_prime"]
        self.spec.check(y0, "the diffusion generator's training data")
        noise = torch.randn_like(y0)
        t = torch.randint(0, self.cfg.num_train_timesteps, (y0.shape[0],), device=y0.device)
        noisy = self.noise_scheduler.add_noise(y0, noise, t)
        if self.cfg.prediction_type == "epsilon":
            target = noise
        else:
            target = self.noise_scheduler.get_velocity(y0, noise, t)
        drop = random_drop(y0.shape[0], self.cfg.cond_drop_prob, y0.device)
        cond = self.condition.pooled(batch["x"], drop)
        prediction = self.unet(noisy, t, class_labels=cond, return_dict=False)[0]
        loss = F.mse_loss(prediction.float(), target.float())
        return loss, {"mse": loss.item()}

    def predict(
        self, y: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, guidance_scale: float
    ) -> torch.Tensor:
        """The guided model output for noisy ``y`` [B, C, H, W] at timestep ``t``.

        ``cond`` is [B, D] without guidance (scale 1) and [2B, D] (conditional rows, then
        null rows) with it; both halves then run in one batched UNet call.
        """
        if guidance_scale == 1.0:
            return self.unet(y, t, class_labels=cond, return_dict=False)[0]
        both = self.unet(torch.cat([y, y]), t, class_labels=cond, return_dict=False)[0]
        conditional, unconditional = both.chunk(2)
        return classifier_free_guidance(conditional, unconditional, guidance_scale)

    @torch.no_grad()
    def sample(
        self,
        x: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        steps: int | None = None,
        guidance_scale: float | None = None,
        sampler: str | None = None,
    ) -> torch.Tensor:
        """Sample Y' [B, C, H, W] float32 for the conditions ``x`` (B items).

        Args:
            x: conditions, see :class:`ConditionEncoder`.
            generator: seeds the initial noise and any stochastic sampler steps.
            steps: denoising steps (default ``cfg.sampling_steps``).
            guidance_scale: classifier-free guidance (default ``cfg.guidance_scale``;
                1 disables it and halves the cost).
            sampler: ddpm | ddim | dpm (default ``cfg.sampler``).
        """
        steps = steps or self.cfg.sampling_steps
        scale = self.cfg.guidance_scale if guidance_scale is None else guidance_scale
        device = self.unet.device
        x = x.to(device)
        batch = x.shape[0]
        scheduler = self.make_scheduler(sampler)
        scheduler.set_timesteps(steps, device=device)
        if scale == 1.0:
            cond = self.condition.pooled(x)
        else:
            cond = self.condition.pooled(*with_null_rows(x))
        y = randn_tensor(
            (batch, *self.spec.shape), generator=generator, device=device, dtype=cond.dtype
        )
        y = y * scheduler.init_noise_sigma
        for t in scheduler.timesteps:
            prediction = self.predict(scheduler.scale_model_input(y, t), t, cond, scale)
            y = scheduler.step(prediction, t, y, generator=generator, return_dict=False)[0]
        if self.spec.value_range is not None:
            y = y.clamp(*self.spec.value_range)
        return y.float()
