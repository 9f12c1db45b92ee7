"""FastSpeech-style non-autoregressive text -> frames model (Ren et al. 2019, 2021).

    phoneme ids [B, L] ─embed─▶ FFT encoder ─+ speaker─▶ duration / pitch / energy predictors
        ─▶ length regulator (repeat each phoneme duration times) ─▶ conv decoder ─▶ frames [B, F, D]

:class:`TextToFrames` is that trunk; :class:`FastSpeechGenerator` puts a linear mel head on
it (the regeneration generator, X -> log-mel Y'); the direct baseline puts a waveform
decoder on the same trunk (:mod:`regen.generators.direct_waveform`). In training the
length regulator and the variance embeddings use the targets (teacher forcing, as in
FastSpeech 2); at inference they use the predictions.

Batch keys: ``x`` phoneme ids [B, L] (0 = pad), ``speakers`` [B], ``durations`` [B, L]
(frames per phoneme), ``pitch`` and ``energy`` [B, L] (per-phoneme, standardised),
``frames`` [B] (target frame counts) and ``y_prime`` (the target Y'). At sampling, X is the
phoneme ids with the speakers beside them (``XBatch(ids, speakers=...)``, see
:func:`phonemes_and_speakers`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from regen.contracts import LossOutput, X, XBatch, YSpec
from regen.modules.dsp import LOG_FLOOR
from regen.modules.speech_blocks import ConvNeXtBlock, FFTStack

LOG_SILENCE = float(torch.log(torch.tensor(LOG_FLOOR)))


class VariancePredictor(nn.Module):
    """Two conv layers -> one value per position: [B, L, D] -> [B, L]."""

    def __init__(self, dim: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(dim, dim, kernel, padding=kernel // 2)
        self.norm1 = nn.LayerNorm(dim)
        self.conv2 = nn.Conv1d(dim, dim, kernel, padding=kernel // 2)
        self.norm2 = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv1(x.transpose(1, 2))).transpose(1, 2)
        h = self.dropout(self.norm1(h))
        h = torch.relu(self.conv2(h.transpose(1, 2))).transpose(1, 2)
        h = self.dropout(self.norm2(h))
        return self.out(h).squeeze(-1) * valid


def length_regulate(hidden: torch.Tensor, durations: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Repeat phoneme states by their durations: [B, L, D], [B, L] -> [B, F, D], valid [B, F]."""
    ends = durations.cumsum(1)  # [B, L]
    frames = ends[:, -1]
    total = max(int(frames.max()), 1)
    position = torch.arange(total, device=hidden.device)[None].expand(len(hidden), -1)
    index = torch.searchsorted(ends, position.contiguous(), right=True).clamp(max=ends.shape[1] - 1)
    expanded = hidden.gather(1, index[..., None].expand(-1, -1, hidden.shape[-1]))
    valid = position < frames[:, None]
    return expanded * valid[..., None], valid


def masked_mse(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    weight = valid.to(pred.dtype)
    return ((pred - target) ** 2 * weight).sum() / weight.sum().clamp_min(1)


class TextToFrames(nn.Module):
    """Phoneme ids + speaker -> frame states [B, F, dim]; see the module docstring."""

    def __init__(self, cfg, vocab_size: int, num_speakers: int) -> None:
        super().__init__()
        dim = cfg.dim
        self.cfg = cfg
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.speaker = nn.Embedding(num_speakers, dim)
        self.encoder = FFTStack(dim, cfg.encoder_layers, cfg.heads, cfg.ffn_kernel, cfg.dropout)
        args = (dim, cfg.predictor_kernel, cfg.dropout)
        self.duration = VariancePredictor(*args)
        self.pitch = VariancePredictor(*args)
        self.energy = VariancePredictor(*args)
        self.pitch_embed = nn.Conv1d(1, dim, 3, padding=1)
        self.energy_embed = nn.Conv1d(1, dim, 3, padding=1)
        # Frame-level decoder: ConvNeXt blocks instead of FFT blocks. Self-attention over
        # hundreds of frames cost most of a training step on CPU; local convolutions suffice
        # once the length regulator has laid the phonemes out in time (as in LightSpeech).
        self.decoder = nn.ModuleList(
            ConvNeXtBlock(dim, 3 * dim, 1.0 / cfg.decoder_layers) for _ in range(cfg.decoder_layers)
        )

    def forward(
        self,
        phonemes: torch.Tensor,
        speakers: torch.Tensor,
        targets: dict[str, torch.Tensor] | None = None,
        pace: float = 1.0,
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Frame states [B, F, D], frame mask [B, F], and the variance predictions.

        With ``targets`` (``durations``, ``pitch``, ``energy``) the regulator and variance
        embeddings use them; otherwise the predictions (durations scaled by ``pace``).
        """
        valid = phonemes != 0
        h = (
            self.encoder(self.embed(phonemes), valid)
            + self.speaker(speakers)[:, None] * valid[..., None]
        )
        predicted = {
            "log_duration": self.duration(h, valid),
            "pitch": self.pitch(h, valid),
            "energy": self.energy(h, valid),
        }
        if targets is not None:
            durations, pitch, energy = targets["durations"], targets["pitch"], targets["energy"]
        else:
            durations = torch.clamp(torch.round((predicted["log_duration"].exp() - 1) * pace), 0)
            durations = (durations * valid).long()
            # at least two frames: an inverse STFT needs them to produce any sample
            durations[:, 0] += (2 - durations.sum(1)).clamp_min(0)
            pitch, energy = predicted["pitch"], predicted["energy"]
        h = h + self.pitch_embed(pitch[:, None]).transpose(1, 2)
        h = h + self.energy_embed(energy[:, None]).transpose(1, 2)
        frames, frame_valid = length_regulate(h * valid[..., None], durations)
        predicted["durations"] = durations
        keep = frame_valid[:, None].to(frames.dtype)
        frames = frames.transpose(1, 2)
        for block in self.decoder:
            frames = block(frames) * keep
        return frames.transpose(1, 2), frame_valid, predicted

    def variance_loss(
        self, predicted: dict[str, torch.Tensor], batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Duration MSE in log(1 + frames) and pitch/energy MSE, over real phonemes."""
        valid = batch["x"] != 0
        log_target = torch.log1p(batch["durations"].float())
        duration = masked_mse(predicted["log_duration"], log_target, valid)
        pitch = masked_mse(predicted["pitch"], batch["pitch"], valid)
        energy = masked_mse(predicted["energy"], batch["energy"], valid)
        cfg = self.cfg
        loss = (
            cfg.duration_weight * duration + cfg.pitch_weight * pitch + cfg.energy_weight * energy
        )
        logs = {"duration_loss": float(duration.detach()), "pitch_loss": float(pitch.detach())}
        return loss, logs | {"energy_loss": float(energy.detach())}


class FastSpeechGenerator(nn.Module):
    """X (phoneme ids) -> Y' = log-mel [B, n_mels, F]."""

    trainable = True

    def __init__(self, spec: YSpec, cfg, vocab_size: int, num_speakers: int) -> None:
        super().__init__()
        self.spec = spec
        self.trunk = TextToFrames(cfg, vocab_size, num_speakers)
        self.to_mel = nn.Linear(cfg.dim, spec.shape[0])

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        frames, valid, predicted = self.trunk(batch["x"], batch["speakers"], batch)
        mel = self.to_mel(frames).transpose(1, 2)  # [B, n_mels, F]
        target = batch["y_prime"][..., : mel.shape[-1]]
        weight = valid[:, None].to(mel.dtype)
        mel_l1 = ((mel - target).abs() * weight).sum() / (weight.sum() * mel.shape[1])
        variance, logs = self.trunk.variance_loss(predicted, batch)
        return mel_l1 + variance, {"mel_l1": float(mel_l1.detach()), **logs}

    @torch.no_grad()
    def predict(
        self, x: torch.Tensor, speakers: torch.Tensor, pace: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-mel [B, n_mels, F] (silence past each item's end) and durations [B, L]."""
        frames, valid, predicted = self.trunk(x, speakers, pace=pace)
        mel = self.to_mel(frames).transpose(1, 2)
        mel = torch.where(valid[:, None], mel, torch.full_like(mel, LOG_SILENCE))
        return mel, predicted["durations"]

    def sample(
        self, x: X, *, generator: torch.Generator | None = None, pace: float = 1.0, **_: Any
    ) -> torch.Tensor:
        """Deterministic (no RNG); ``pace`` > 1 speaks slower."""
        return self.predict(*phonemes_and_speakers(x), pace)[0]


def phonemes_and_speakers(x: X) -> tuple[torch.Tensor, torch.Tensor]:
    """Phoneme ids [B, L] and speaker ids [B] of the TTS generators' X: an ``XBatch`` with
    ``speakers``, or ids alone (then every item is speaker 0)."""
    batch = XBatch.of(x)
    speakers = batch.speakers
    if speakers is None:
        speakers = torch.zeros(len(batch), dtype=torch.long, device=batch.x.device)
    return batch.x, speakers
