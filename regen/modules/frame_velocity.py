"""The velocity network of the TTS flow-matching decoder: v(x_t, t | frame states, mu).

    x_t, mu [B, C, F] ─1x1 conv─┐
    frame states [B, D, F] ─1x1 conv─┼─▶ (FiLM by time ─▶ ConvNeXt block ─▶ mask) x layers
    t [B] ─sinusoid─▶ MLP ───────┘                                    ─▶ 1x1 conv ─▶ v [B, C, F]

A 1-D ConvNeXt stack over frames (as Matcha-TTS' decoder is a 1-D U-Net over frames; the
stack here has no down-sampling because TTS utterances are short and CPU time is the budget).
Every block's input is multiplied by the frame mask, so padded frames hold zeros exactly as
the convolutions' own zero padding does: valid frames never see what lies past an item's end.
"""

from __future__ import annotations

import torch
from diffusers.models.embeddings import TimestepEmbedding, get_timestep_embedding
from torch import nn

from regen.modules.speech_blocks import ConvNeXtBlock

TIME_SCALE = 1000.0  # t in [0, 1] spread over the sinusoid's periods, as Matcha-TTS does


class FrameVelocityNet(nn.Module):
    """v(x_t, t | cond, mu): [B, C, F] -> [B, C, F], zero on padded frames.

    Args:
        channels: C, the channels of Y' (80 mel bands or the latent's channels).
        cond_dim: D, the width of the frame states from the text trunk.
        dim: the network's width.
        layers: ConvNeXt blocks (kernel 7 each, so the receptive field is 6 * layers + 1).
    """

    def __init__(self, channels: int, cond_dim: int, dim: int, layers: int) -> None:
        super().__init__()
        self.dim = dim
        self.inputs = nn.Conv1d(2 * channels, dim, 1)
        self.cond = nn.Conv1d(cond_dim, dim, 1)
        self.time = TimestepEmbedding(dim, dim)  # linear - SiLU - linear
        # FiLM (scale and shift) per block: the target velocity scales with 1 / (1 - t) in
        # parts, which an additive time embedding alone learns far more slowly
        self.time_film = nn.ModuleList(nn.Linear(dim, 2 * dim) for _ in range(layers))
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(dim, 3 * dim, 1.0 / layers) for _ in range(layers)
        )
        self.out = nn.Conv1d(dim, channels, 1)
        # start at v = 0: an untrained decoder leaves its starting point where it is
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(
        self,
        x_t: torch.Tensor,
        t: torch.Tensor,
        mu: torch.Tensor,
        cond: torch.Tensor,
        valid: torch.Tensor,
    ) -> torch.Tensor:
        """Velocity [B, C, F] at ``x_t`` [B, C, F], times ``t`` [B] in [0, 1], prior mean
        ``mu`` [B, C, F], frame states ``cond`` [B, D, F] and frame mask ``valid`` [B, F]."""
        keep = valid[:, None].to(x_t.dtype)
        embedding = get_timestep_embedding(t * TIME_SCALE, self.dim, flip_sin_to_cos=True)
        time = self.time(embedding.to(x_t.dtype))  # [B, dim]
        h = self.inputs(torch.cat([x_t, mu], 1) * keep) + self.cond(cond * keep)
        for film, block in zip(self.time_film, self.blocks):
            scale, shift = film(time)[..., None].chunk(2, 1)
            h = block((h * (1 + scale) + shift) * keep) * keep
        return self.out(h) * keep
