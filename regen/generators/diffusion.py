"""Conditional diffusion generator for continuous Y' of shape (C, H, W).

A diffusers ``UNet2DModel`` predicts noise (or velocity) from a noisy Y'; the condition X is
pooled to one vector and added to the UNet's time embedding (``class_embed_type="identity"``),
which each resnet adds to its features (or, with ``cfg.time_scale_shift``, scales and shifts
them by: AdaGN).
With ``cfg.cross_attention`` the UNet is a ``UNet2DConditionModel`` instead, whose lowest
level and middle block also cross-attend over the condition tokens themselves (Stable
Diffusion's conditioning): a pooled caption barely moves when one word changes, a token does.
Video Y' stacks its frames on the channel axis; ``cfg.layout: space_time`` gives it a 3-D
UNet that shares its 2-D layers across the frames instead (regen/generators/space_time_unet.py).
Training uses the DDPM noise schedule; sampling runs any of the DDPM, DDIM or DPM-Solver
schedulers built from the same config, with classifier-free guidance through a learned null
condition that replaces X with probability ``cfg.cond_drop_prob`` during training.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from diffusers import UNet2DConditionModel, UNet2DModel
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
from regen.generators.space_time_unet import SpaceTimeUNet
from regen.modules.condition import ConditionEncoder, random_drop, with_null_rows

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.image.config import GeneratorConfig


def unet_channels(hidden: int, depth: int) -> tuple[int, ...]:
    """Channels per UNet level: ``hidden * (1, 2, 2, ...)`` for ``depth`` levels."""
    return tuple(hidden * (1 if level == 0 else 2) for level in range(depth))


def build_unet(
    spec: YSpec, cfg: GeneratorConfig, frames: int = 1
) -> UNet2DModel | UNet2DConditionModel | SpaceTimeUNet:
    """A small UNet for one Y' of shape (C, H, W), with attention only at the lowest level
    (and in the middle block); cross-attention to the condition tokens there too when
    ``cfg.cross_attention`` is set. With ``cfg.layout == "space_time"`` Y''s C channels are
    ``frames`` frames and the UNet is the 3-D :class:`SpaceTimeUNet`.

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
    if cfg.layout == "space_time":
        return SpaceTimeUNet(spec, cfg, channels, frames)
    common = dict(
        sample_size=(height, width),
        in_channels=channels_in,
        out_channels=channels_in,
        block_out_channels=channels,
        layers_per_block=1,
        # GroupNorm runs on every level; all widths are multiples of `hidden`.
        norm_num_groups=math.gcd(cfg.hidden, 32),
        dropout=cfg.dropout,
        class_embed_type="identity",
        # the time + condition embedding is added to each resnet's features by default;
        # scale_shift makes it scale and shift them after the norm instead (AdaGN, Dhariwal
        # & Nichol 2021), so X can gate features where they are, not only bias them
        resnet_time_scale_shift="scale_shift" if cfg.time_scale_shift else "default",
    )
    if cfg.cross_attention:
        return UNet2DConditionModel(
            **common,
            down_block_types=("DownBlock2D",) * (depth - 1) + ("CrossAttnDownBlock2D",),
            up_block_types=("CrossAttnUpBlock2D",) + ("UpBlock2D",) * (depth - 1),
            mid_block_type="UNetMidBlock2DCrossAttn",
            # the condition tokens have the time embedding's width (ConditionEncoder dim)
            cross_attention_dim=channels[0] * 4,
            # diffusers' historical name: this argument is the number of heads
            attention_head_dim=cfg.heads,
        )
    return UNet2DModel(
        **common,
        down_block_types=("DownBlock2D",) * (depth - 1) + ("AttnDownBlock2D",),
        up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (depth - 1),
        attention_head_dim=channels[-1] // cfg.heads,
    )


TIMESTEP_SAMPLINGS = ("uniform", "logit_normal")


def training_timesteps(
    batch: int, num_train_timesteps: int, sampling: str, device: torch.device
) -> torch.Tensor:
    """int64 [batch] training timesteps: ``uniform`` over all of them (DDPM; the runs before
    the option), or ``logit_normal``: sigmoid of a standard normal, scaled to the schedule
    (Esser et al. 2024, SD3), which trains the middle noise levels most and the nearly clean
    and nearly pure-noise ends least."""
    if sampling == "uniform":
        return torch.randint(0, num_train_timesteps, (batch,), device=device)
    if sampling != "logit_normal":
        raise ConfigError(
            f"generator.timestep_sampling {sampling!r}; use one of {', '.join(TIMESTEP_SAMPLINGS)}"
        )
    fraction = torch.sigmoid(torch.randn(batch, device=device))
    return (fraction * num_train_timesteps).long().clamp(max=num_train_timesteps - 1)


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
        frames: video only: the frames stacked on Y''s channel axis (``cfg.layout:
            space_time`` runs the UNet over them as a time axis).

    Attributes:
        unet: the diffusers ``UNet2DModel`` (``UNet2DConditionModel`` with
            ``cfg.cross_attention``, :class:`SpaceTimeUNet` with ``cfg.layout:
            space_time``); call it as ``unet(y, t, **self.conditioning(x))``.
        condition: the :class:`ConditionEncoder` (pooled width = the UNet time embedding).
        noise_scheduler: the DDPM training schedule; ``make_scheduler`` derives samplers.
    """

    trainable = True

    def __init__(
        self, spec: YSpec, cfg: GeneratorConfig, num_classes: int, frames: int = 1
    ) -> None:
        super().__init__()
        self.spec = spec
        self.cfg = cfg
        self.unet = build_unet(spec, cfg, frames)
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
        t = training_timesteps(
            y0.shape[0], self.cfg.num_train_timesteps, self.cfg.timestep_sampling, y0.device
        )
        noisy = self.noise_scheduler.add_noise(y0, noise, t)
        if self.cfg.prediction_type == "epsilon":
            target = noise
        else:
            target = self.noise_scheduler.get_velocity(y0, noise, t)
        drop = random_drop(y0.shape[0], self.cfg.cond_drop_prob, y0.device)
        cond = self.conditioning(batch["x"], drop)
        prediction = self.unet(noisy, t, **cond, return_dict=False)[0]
        loss = F.mse_loss(prediction.float(), target.float())
        return loss, {"mse": loss.item()}

    def conditioning(
        self, x: torch.Tensor, drop: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """The UNet's condition keyword arguments for X (``drop``: bool [B], null rows):
        the pooled vector [B, D] as ``class_labels``, and with cross-attention the tokens
        [B, L, D] and their mask [B, L] as well (the caption is encoded once for both)."""
        tokens, mask = self.condition(x, drop)
        cond = {"class_labels": self.condition.pool(tokens, mask)}
        if self.cfg.cross_attention:
            cond["encoder_hidden_states"] = tokens
            cond["encoder_attention_mask"] = mask
        return cond

    def predict(
        self, y: torch.Tensor, t: torch.Tensor, cond: dict[str, torch.Tensor], guidance_scale: float
    ) -> torch.Tensor:
        """The guided model output for noisy ``y`` [B, C, H, W] at timestep ``t``.

        ``cond`` (see :meth:`conditioning`) has B rows without guidance (scale 1) and 2B
        (conditional rows, then null rows) with it; both halves then run in one UNet call.
        """
        if guidance_scale == 1.0:
            return self.unet(y, t, **cond, return_dict=False)[0]
        both = self.unet(torch.cat([y, y]), t, **cond, return_dict=False)[0]
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
        cond = self.conditioning(x) if scale == 1.0 else self.conditioning(*with_null_rows(x))
        dtype = cond["class_labels"].dtype
        y = randn_tensor((batch, *self.spec.shape), generator=generator, device=device, dtype=dtype)
        y = y * scheduler.init_noise_sigma
        for t in scheduler.timesteps:
            prediction = self.predict(scheduler.scale_model_input(y, t), t, cond, scale)
            y = scheduler.step(prediction, t, y, generator=generator, return_dict=False)[0]
        if self.spec.value_range is not None:
            y = y.clamp(*self.spec.value_range)
        return y.float()
