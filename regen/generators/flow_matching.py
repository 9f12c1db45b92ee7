"""Conditional flow-matching decoder over continuous TTS Y' (Matcha-TTS style).

    phoneme ids ─TextToFrames─▶ frame states h [B, F, D] ─linear─▶ prior mean mu [B, C, F]
    x0 = mu + temperature * noise ─Euler ODE, flow_steps steps of v(x_t, t | h, mu)─▶ Y' [B, C, F]

The text trunk (encoder, speaker embedding, duration/pitch/energy predictors, length
regulator, frame decoder) is the FastSpeech one (:class:`TextToFrames`); what changes is the
head. Instead of regressing Y' with an L1 loss (which averages over the plausible spectra and
gives over-smoothed mels), a velocity network (:class:`FrameVelocityNet`) learns the
conditional optimal-transport flow from noise to Y':

- OT-CFM (Lipman et al. 2023, "Flow Matching for Generative Modeling", eq. 20-23): with
  t ~ U(0, 1), x0 the source sample and x1 the target,
  ``x_t = (1 - (1 - sigma_min) t) x0 + t x1`` and the regression target is its time
  derivative ``u = x1 - (1 - sigma_min) x0``; loss ``|| v(x_t, t) - u ||^2`` over valid
  frames. Matcha-TTS (Mehta et al. 2024) conditions v on the encoder output mu and samples
  with a few Euler steps from noise scaled by a temperature.
- The source: ``x0 = mu + noise`` (``generator.flow_from_mu``, the prior N(mu, I) of
  Grad-TTS, Popov et al. 2021) or ``x0 = noise`` (Matcha's N(0, I)). Starting at mu, the flow
  only has to add the detail regression smooths away, which matters at CPU training budgets.
- mu gets the usual L1 to Y' (weight ``generator.prior_weight``), as Matcha/Grad-TTS's prior
  loss; it keeps the trunk and the duration predictor learning from the first step.
- The flow runs on Y' standardised per channel (mean and std of the first training batch,
  kept as buffers and saved with the weights), so noise of std 1 means the same for the
  80-band log-mel (values around -11..2 nats) as for the unit-variance mel-VAE latent.

Batch keys as :mod:`regen.generators.fastspeech`. Sampling is reproducible: ``sample`` takes a
``torch.Generator`` and, without one, seeds its own with 0 (so TTS output is deterministic).
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers import FlowMatchEulerDiscreteScheduler
from torch import nn

from regen.contracts import LossOutput, X, YSpec
from regen.errors import ConfigError
from regen.generators.fastspeech import (
    LOG_SILENCE,
    TextToFrames,
    masked_mse,
    phonemes_and_speakers,
)
from regen.modules.frame_velocity import FrameVelocityNet


def interpolate(
    x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor, sigma_min: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """OT-CFM path point and its velocity: ``x_t``, ``u = x1 - (1 - sigma_min) x0``.

    ``x0``, ``x1`` [B, C, F]; ``t`` [B] in [0, 1]. At t = 0 ``x_t = x0``, at t = 1
    ``x_t = x1 + sigma_min x0`` (Lipman et al. 2023, eq. 20-23).
    """
    t = t[:, None, None]
    x_t = (1 - (1 - sigma_min) * t) * x0 + t * x1
    return x_t, x1 - (1 - sigma_min) * x0


def euler_sigmas(steps: int) -> list[float]:
    """Uniform Euler grid for diffusers' FlowMatchEulerDiscreteScheduler: sigma = 1 - t.

    The scheduler's convention is x_sigma = sigma * noise + (1 - sigma) * data with sigma
    running 1 -> 0 and ``step`` doing ``x + (sigma_next - sigma) * model_output``; with
    sigma = 1 - t and model_output = -v that is exactly the Euler step ``x + dt * v`` of our
    ODE, whatever sigma_min is. Passing the sigmas (shift 1) gives Matcha's uniform t grid.
    """
    return [1.0 - i / steps for i in range(steps)]


class FlowMatchingGenerator(nn.Module):
    """X (phoneme ids) -> continuous Y' [B, C, F] by flow matching; see the module docstring."""

    trainable = True

    def __init__(self, spec: YSpec, cfg, vocab_size: int, num_speakers: int) -> None:
        super().__init__()
        if spec.kind != "continuous" or len(spec.shape) != 2:
            raise ConfigError(
                f"generator.kind flow needs a continuous [channels, frames] Y' (representation"
                f".kind mel or mel_vae), not {spec.describe()}; use generator.kind fastspeech"
            )
        if min(cfg.flow_steps, cfg.flow_dim, cfg.flow_layers) < 1 or cfg.temperature < 0:
            raise ConfigError(
                "generator.flow_steps, flow_dim and flow_layers must be >= 1 and "
                "generator.temperature >= 0"
            )
        self.spec, self.cfg = spec, cfg
        channels = spec.shape[0]
        self.trunk = TextToFrames(cfg, vocab_size, num_speakers)
        self.to_prior = nn.Linear(cfg.dim, channels)
        self.velocity = FrameVelocityNet(channels, cfg.dim, cfg.flow_dim, cfg.flow_layers)
        self.register_buffer("y_mean", torch.zeros(channels, 1))
        self.register_buffer("y_std", torch.ones(channels, 1))
        self.register_buffer("stats_ready", torch.tensor(False))

    def _standardise(self, target: torch.Tensor, valid: torch.Tensor) -> None:
        """Set the per-channel mean/std of Y' from the first training batch (valid frames)."""
        values = target.transpose(0, 1)[:, valid]  # [C, frames]
        self.y_mean.copy_(values.mean(1, keepdim=True))
        self.y_std.copy_(values.std(1, keepdim=True).clamp_min(1e-3))
        self.stats_ready.fill_(True)

    def _prior(self, frames: torch.Tensor) -> torch.Tensor:
        return self.to_prior(frames).transpose(1, 2)  # [B, C, F], in Y' units

    def _source(self, mu_n: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return noise + mu_n if self.cfg.flow_from_mu else noise

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        frames, valid, predicted = self.trunk(batch["x"], batch["speakers"], batch)
        target = batch["y_prime"][..., : frames.shape[1]]
        if not bool(self.stats_ready):
            self._standardise(target.detach(), valid)
        mu = self._prior(frames)
        weight = valid[:, None].expand_as(mu)
        prior_l1 = ((mu - target).abs() * weight).sum() / weight.sum().clamp_min(1)
        mu_n = ((mu - self.y_mean) / self.y_std).detach()
        x1 = (target - self.y_mean) / self.y_std
        t = torch.rand(len(x1), device=x1.device)
        x_t, u = interpolate(self._source(mu_n, torch.randn_like(x1)), x1, t, self.cfg.sigma_min)
        v = self.velocity(x_t, t, mu_n, frames.transpose(1, 2), valid)
        flow = masked_mse(v, u, weight)
        variance, logs = self.trunk.variance_loss(predicted, batch)
        loss = flow + self.cfg.prior_weight * prior_l1 + variance
        return loss, {
            "flow_mse": float(flow.detach()),
            "prior_l1": float(prior_l1.detach()),
            **logs,
        }

    @torch.no_grad()
    def solve(
        self,
        frames: torch.Tensor,
        valid: torch.Tensor,
        generator: torch.Generator | None = None,
        steps: int | None = None,
        temperature: float | None = None,
    ) -> torch.Tensor:
        """Euler-integrate the flow from x0 to Y' [B, C, F] (in Y' units) for frame states
        [B, F, D]; ``steps`` and ``temperature`` default to the config's."""
        steps = int(steps or self.cfg.flow_steps)
        temperature = self.cfg.temperature if temperature is None else float(temperature)
        if generator is None:
            generator = torch.Generator(device=frames.device).manual_seed(0)
        mu = self._prior(frames)
        mu_n = (mu - self.y_mean) / self.y_std
        noise = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        x = self._source(mu_n, temperature * noise) * valid[:, None]
        cond = frames.transpose(1, 2)
        scheduler = FlowMatchEulerDiscreteScheduler(shift=1.0)
        scheduler.set_timesteps(sigmas=euler_sigmas(steps), device=mu.device)
        for timestep in scheduler.timesteps:
            t = 1.0 - timestep / scheduler.config.num_train_timesteps  # sigma -> our t
            v = self.velocity(x, t.expand(len(x)).to(x.dtype), mu_n, cond, valid)
            x = scheduler.step(-v, timestep, x).prev_sample
        return x * self.y_std + self.y_mean

    @torch.no_grad()
    def predict(
        self,
        x: torch.Tensor,
        speakers: torch.Tensor,
        pace: float = 1.0,
        generator: torch.Generator | None = None,
        steps: int | None = None,
        temperature: float | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Y' [B, C, F] (log silence past each item's end) and durations [B, L]."""
        frames, valid, predicted = self.trunk(x, speakers, pace=pace)
        y = self.solve(frames, valid, generator, steps, temperature)
        y = torch.where(valid[:, None], y, torch.full_like(y, LOG_SILENCE))
        return y, predicted["durations"]

    def sample(
        self,
        x: X,
        *,
        generator: torch.Generator | None = None,
        pace: float = 1.0,
        steps: int | None = None,
        temperature: float | None = None,
        **_: Any,
    ) -> torch.Tensor:
        """The Generator contract's ``sample``: ``pace`` > 1 speaks slower,
        ``steps``/``temperature`` override the config's."""
        ids, speakers = phonemes_and_speakers(x)
        return self.predict(ids, speakers, pace, generator, steps, temperature)[0]
