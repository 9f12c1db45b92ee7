"""Pure sampling helpers shared by the generators.

Token sampling (temperature, top-k, top-p), classifier-free guidance, and the diffusion
scheduler factory. Every random draw takes an optional ``torch.Generator`` so that the same
seed gives the same samples; the generator may live on the CPU while the tensors live on an
accelerator.
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from diffusers.schedulers.scheduling_utils import SchedulerMixin

from regen.errors import ConfigError

SCHEDULERS: dict[str, type[SchedulerMixin]] = {
    "ddpm": DDPMScheduler,
    "ddim": DDIMScheduler,
    "dpm": DPMSolverMultistepScheduler,
}


def training_scheduler(
    num_train_timesteps: int,
    prediction_type: str,
    clip_range: float | None = None,
) -> DDPMScheduler:
    """The DDPM noise schedule a diffusion model is trained with.

    Stable Diffusion's scaled-linear betas: in mid-range they keep more signal than DDPM's
    linear schedule (which destroys small 8x8 inputs early), and unlike the capped cosine
    schedule their terminal signal-to-noise ratio is not ~1e-9, where an epsilon
    prediction's error is amplified thousands of times on the first sampling step.
    Trailing timestep spacing makes few-step samplers start at the last timestep. ``clip_range`` clips predicted x0 to ``[-clip_range, clip_range]``
    during DDPM/DDIM sampling (for data with a known symmetric range; ``None`` disables).
    """
    if prediction_type not in ("epsilon", "v_prediction"):
        raise ConfigError(
            f"prediction_type {prediction_type!r} is not supported; use epsilon or v_prediction"
        )
    return DDPMScheduler(
        num_train_timesteps=num_train_timesteps,
        beta_schedule="scaled_linear",
        prediction_type=prediction_type,
        clip_sample=clip_range is not None,
        clip_sample_range=clip_range or 1.0,
        timestep_spacing="trailing",
    )


def make_scheduler(name: str, config: Any) -> SchedulerMixin:
    """A fresh sampler ``name`` (ddpm | ddim | dpm) sharing ``config`` (a scheduler's config)."""
    if name not in SCHEDULERS:
        raise ConfigError(f"unknown sampler {name!r}; choose one of: {', '.join(SCHEDULERS)}")
    return SCHEDULERS[name].from_config(config)


def classifier_free_guidance(
    cond: torch.Tensor, uncond: torch.Tensor, scale: float
) -> torch.Tensor:
    """``uncond + scale * (cond - uncond)``; exactly ``cond`` when ``scale == 1``.

    Works on any prediction (noise, velocity, logits). Scale 0 is the unconditional model.
    """
    if scale == 1.0:
        return cond
    return uncond + scale * (cond - uncond)


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Set all but the ``k`` largest logits of each row ([..., V]) to -inf; k <= 0 keeps all.

    Ties with the k-th largest value are kept.
    """
    if k <= 0 or k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering: keep the smallest set of most likely tokens whose mass reaches ``p``.

    Args:
        logits: [..., V].
        p: in (0, 1]; 1 keeps everything. The most likely token is always kept.
    """
    if p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = sorted_logits.softmax(-1)
    mass_before = probs.cumsum(-1) - probs
    remove_sorted = mass_before >= p
    remove = torch.zeros_like(remove_sorted).scatter(-1, order, remove_sorted)
    return logits.masked_fill(remove, float("-inf"))


def sample_token(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw one token id per row of ``logits`` [B, V] -> int64 [B].

    Temperature 0 is greedy (argmax). Otherwise logits are divided by the temperature, then
    top-k and top-p filtered, then sampled with the Gumbel-max trick, which needs only
    uniform noise and so works with a CPU generator for accelerator tensors.
    """
    if temperature < 0 or not 0 < top_p <= 1:
        raise ConfigError(
            f"need temperature >= 0 and 0 < top_p <= 1, got {temperature} and {top_p}"
        )
    if temperature == 0:
        return logits.argmax(-1)
    logits = top_p_filter(top_k_filter(logits.float() / temperature, top_k), top_p)
    gen_device = generator.device if generator is not None else logits.device
    uniform = torch.rand(logits.shape, generator=generator, device=gen_device).to(logits.device)
    tiny = torch.finfo(uniform.dtype).tiny
    gumbel = -torch.log(-torch.log(uniform.clamp(tiny, 1.0 - 1e-7)))
    return (logits + gumbel).argmax(-1)
