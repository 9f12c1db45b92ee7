"""The text-to-sound direct baseline: caption -> waveform with no intermediate Y'.

    caption bytes ─ConditionEncoder─▶ prefix [B, L, d]
    [prefix] [frame queries q_0 .. q_{F-1}]  ─transformer (bidirectional)─▶ frame states [B, F, d]
    frame states ─WaveformDecoder (ConvNeXt + iSTFT, the TTS baseline's)─▶ waveform [B, (F-1)*hop]

The caption encoder and the transformer have the sizes of the regeneration LM; the frame
queries are a learned projection of sinusoidal positions, so any length can be asked for.
Training is end to end on the vocoder's waveform loss (multi-resolution STFT + mel L1) on a
random window of ``waveform_crop_frames`` frames per item, as the TTS direct baseline does;
the transformer sees the whole clip. The model is deterministic: one caption, one waveform
(a diffusion model over 64,000 samples would be the stochastic alternative, but its training
and sampling do not fit a one-thread CPU budget; see docs/sound.md).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from regen.contracts import LossOutput, X, XBatch, YSpec
from regen.generators.codes_lm import sinusoid, trim_captions
from regen.losses.spectral import WaveformLoss
from regen.modules.condition import ConditionEncoder
from regen.modules.dsp import MelSpectrogram
from regen.modules.transformer import Transformer
from regen.modules.waveform_decoder import WaveformDecoder


class CaptionToWaveform(nn.Module):
    """X (caption tokens: bytes [B, L] or hashed words [B, L, 2]) -> Y = waveform
    [B, (frames - 1) * hop]; ``cfg.caption_sum`` adds the pooled caption to every frame query."""

    trainable = True

    def __init__(self, spec: YSpec, cfg: Any, vocoder_cfg: Any, mel: MelSpectrogram, frames: int):
        super().__init__()
        self.spec, self.cfg, self.frames, self.hop = spec, cfg, frames, mel.hop
        dim = cfg.hidden
        self.condition = ConditionEncoder(cfg, 0, dim=dim)
        self.query = nn.Linear(dim, dim)
        # caption_sum: the pooled caption added to every frame query (as the regen LM adds it
        # to every step input); absent when off, so earlier runs load unchanged
        self.caption_sum = nn.Linear(dim, dim) if cfg.caption_sum else None
        self.transformer = Transformer(dim, cfg.depth, cfg.heads, cfg.dropout, causal=False)
        self.decoder = WaveformDecoder(
            dim,
            vocoder_cfg.dim,
            vocoder_cfg.layers,
            vocoder_cfg.intermediate,
            mel.n_fft,
            mel.hop,
            vocoder_cfg.phase,
        )
        self.loss = WaveformLoss(mel, vocoder_cfg.stft_weight, vocoder_cfg.mel_weight)

    def states(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        """Frame states [B, frames, d] for caption bytes [B, L]."""
        prefix, mask = self.condition(trim_captions(x))
        positions = sinusoid(torch.arange(frames, device=x.device), prefix.shape[-1])
        queries = self.query(positions)[None].expand(len(x), -1, -1)
        if self.caption_sum is not None:
            queries = queries + self.caption_sum(self.condition.pool(prefix, mask))[:, None]
        valid = torch.cat(
            [mask, torch.ones(queries.shape[:2], dtype=torch.bool, device=x.device)], 1
        )
        return self.transformer(torch.cat([prefix, queries], 1), valid)[:, prefix.shape[1] :]

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """``x``: caption bytes [B, L]; ``y_prime``: waveforms [B, T] of equal length."""
        wav = batch["y_prime"]
        frames = wav.shape[-1] // self.hop + 1
        states = self.states(batch["x"], frames)
        crop = min(self.cfg.waveform_crop_frames, frames)
        starts = torch.randint(0, frames - crop + 1, (len(wav),), device=wav.device)
        index = starts[:, None] + torch.arange(crop, device=wav.device)
        window = states.gather(1, index[..., None].expand(-1, -1, states.shape[-1]))
        samples = starts[:, None] * self.hop + torch.arange(
            (crop - 1) * self.hop, device=wav.device
        )
        padded = nn.functional.pad(wav, (0, crop * self.hop))
        return self.loss(self.decoder(window.transpose(1, 2)), padded.gather(1, samples))

    @torch.no_grad()
    def sample(
        self, x: X, *, generator: torch.Generator | None = None, frames: int | None = None, **_: Any
    ) -> torch.Tensor:
        """Deterministic (no RNG): waveforms [B, (frames - 1) * hop]."""
        frames = self.frames if frames is None else frames
        states = self.states(XBatch.of(x).x, frames)
        return self.decoder(states.transpose(1, 2))
