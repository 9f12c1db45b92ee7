"""A video UNet that shares its 2-D layers across frames (``generator.layout: space_time``).

The channels layout stacks a clip's T frames as the channels of one image, so a 2-D UNet
must learn to draw the glyph separately in each frame's channel group, with no weights
shared across frames. This layout is the field's standard for video diffusion (VideoLDM,
ModelScope T2V): diffusers' ``UNet3DConditionModel`` runs its 2-D convolutions and
attention on every frame with the same weights (frames as batch) and adds temporal
convolutions and temporal attention between frames, and cross-attention to the caption
tokens at the lowest level and in the middle block.

The wrapper keeps the generator's contract: Y' stays ``[B, T * C, H, W]`` (the shape the
representation gives and the sampler draws noise in); only the UNet sees ``[B, C, T, H, W]``.
The pooled condition, which the 2-D UNets add to the time embedding as ``class_labels``, goes
in through ``timestep_cond`` (a learned projection added before the time MLP), since the 3-D
UNet has no class embedding.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch
from diffusers import UNet3DConditionModel
from torch import nn

from regen.contracts import YSpec
from regen.errors import ConfigError

if TYPE_CHECKING:
    from regen.tasks.image.config import GeneratorConfig


class SpaceTimeUNet(nn.Module):
    """``UNet3DConditionModel`` over ``[B, C, T, H, W]``, called like the 2-D UNets.

    Args:
        spec: Y' of shape ``(T * C, H, W)``: ``frames`` frames of C channels each.
        cfg: the generator config (``hidden``, ``depth``, ``heads``, ``dropout``).
        channels: UNet width per level (see ``unet_channels``).
        frames: T, the number of frames stacked in Y''s channel axis.
    """

    def __init__(
        self, spec: YSpec, cfg: GeneratorConfig, channels: tuple[int, ...], frames: int
    ) -> None:
        super().__init__()
        stacked, _, _ = spec.shape
        if frames < 2 or stacked % frames:
            raise ConfigError(
                f"generator.layout space_time needs Y' channels {stacked} to be a whole "
                f"number of frames (got {frames} frames); use layout: channels"
            )
        if not cfg.cross_attention:  # the 3-D UNet's lowest level always cross-attends
            raise ConfigError("generator.layout space_time needs generator.cross_attention: true")
        if cfg.dropout:
            raise ConfigError("generator.layout space_time has no dropout; set generator.dropout 0")
        self.frames = frames
        per_frame = stacked // frames
        depth = len(channels)
        self.unet = UNet3DConditionModel(
            in_channels=per_frame,
            out_channels=per_frame,
            down_block_types=("DownBlock3D",) * (depth - 1) + ("CrossAttnDownBlock3D",),
            up_block_types=("CrossAttnUpBlock3D",) + ("UpBlock3D",) * (depth - 1),
            block_out_channels=channels,
            layers_per_block=1,
            norm_num_groups=math.gcd(cfg.hidden, 32),
            # the condition tokens have the time embedding's width (ConditionEncoder dim)
            cross_attention_dim=channels[0] * 4,
            # diffusers' historical name: this argument is the number of heads
            attention_head_dim=cfg.heads,
            time_cond_proj_dim=channels[0] * 4,
        )

    @property
    def config(self) -> Any:
        """The inner UNet's config (``block_out_channels`` sizes the condition encoder)."""
        return self.unet.config

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor,
        class_labels: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor,
        return_dict: bool = False,
    ) -> tuple[torch.Tensor]:
        """The model output ``[B, T * C, H, W]`` for noisy ``sample`` of the same shape.

        The 3-D UNet takes no key mask for the caption, so padding tokens are zeroed: a zero
        key still draws some attention but a zero value adds nothing to what is read.
        """
        b, stacked, h, w = sample.shape
        video = sample.reshape(b, self.frames, stacked // self.frames, h, w).transpose(1, 2)
        tokens = encoder_hidden_states * encoder_attention_mask[..., None].to(sample.dtype)
        out = self.unet(
            video, timestep, encoder_hidden_states=tokens, timestep_cond=class_labels
        ).sample
        return (out.transpose(1, 2).reshape(b, stacked, h, w),)
