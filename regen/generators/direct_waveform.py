"""The TTS direct baseline: phonemes -> waveform with no intermediate Y'.

The same FastSpeech trunk as the regeneration generator (:class:`TextToFrames`: encoder,
speaker embedding, duration/pitch/energy predictors, length regulator, frame decoder), then
the vocoder's upsampling waveform decoder (ConvNeXt + iSTFT) straight on the frame states,
trained end to end with the vocoder's waveform loss. Decoding whole utterances to audio at
every step would cost too much memory, so each step decodes a random window of
``waveform_crop_frames`` frames per item (as vocoders train on crops); the variance
predictors see the whole utterance. With ``renderer.adversarial_weight > 0`` the decoded
windows also train against the vocoder's discriminators (:mod:`regen.losses.adversarial`),
so that regen and direct get the same waveform losses.

Batch keys as in :mod:`regen.generators.fastspeech`, with ``y_prime`` the padded waveform
[B, T] (T >= (frames - 1) * hop).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from regen.contracts import LossOutput, X, YSpec
from regen.generators.fastspeech import TextToFrames, phonemes_and_speakers
from regen.losses.adversarial import build_adversary, with_adversary
from regen.losses.spectral import WaveformLoss
from regen.modules.dsp import MelSpectrogram
from regen.modules.waveform_decoder import WaveformDecoder


class DirectWaveformGenerator(nn.Module):
    """X (phoneme ids) -> Y = waveform [B, T]."""

    trainable = True

    def __init__(
        self, spec: YSpec, cfg, vocoder_cfg, mel: MelSpectrogram, vocab: int, speakers: int
    ) -> None:
        super().__init__()
        self.spec = spec
        self.hop = mel.hop
        self.crop = cfg.waveform_crop_frames
        self.trunk = TextToFrames(cfg, vocab, speakers)
        self.decoder = WaveformDecoder(
            cfg.dim,
            vocoder_cfg.dim,
            vocoder_cfg.layers,
            vocoder_cfg.intermediate,
            mel.n_fft,
            mel.hop,
            vocoder_cfg.phase,  # the vocoder's phase head, so neither side has a weaker one
        )
        self.loss = WaveformLoss(mel, vocoder_cfg.stft_weight, vocoder_cfg.mel_weight)
        self.adversary = build_adversary(vocoder_cfg)  # a plain attribute: not in state_dict

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        frames, _, predicted = self.trunk(batch["x"], batch["speakers"], batch)
        fake, real = self._decode_window(frames, batch)
        wave_loss, logs = with_adversary(self.adversary, self.loss(fake, real), fake, real)
        variance, variance_logs = self.trunk.variance_loss(predicted, batch)
        return wave_loss + variance, {**logs, **variance_logs}

    def discriminator_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        with torch.no_grad():
            frames, _, _ = self.trunk(batch["x"], batch["speakers"], batch)
            fake, real = self._decode_window(frames, batch)
        return self.adversary.discriminator_loss(fake, real)

    def _decode_window(
        self, frames: torch.Tensor, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A random window of ``crop`` frames per item -> (decoded, target) [B, (crop-1)*hop]."""
        crop, hop = self.crop, self.hop
        frames = nn.functional.pad(frames, (0, 0, 0, max(0, crop - frames.shape[1])))
        wav = nn.functional.pad(batch["y_prime"], (0, crop * hop))
        room = (batch["frames"] - crop).clamp_min(0) + 1
        starts = (torch.rand(len(room), device=room.device) * room).long()
        index = starts[:, None] + torch.arange(crop, device=room.device)[None]
        window = frames.gather(1, index[..., None].expand(-1, -1, frames.shape[-1]))
        samples = starts[:, None] * hop + torch.arange((crop - 1) * hop, device=room.device)
        return self.decoder(window.transpose(1, 2)), wav.gather(1, samples)

    @torch.no_grad()
    def predict(
        self, x: torch.Tensor, speakers: torch.Tensor, pace: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Waveforms [B, (F - 1) * hop] (silent past each item's end) and durations [B, L]."""
        frames, valid, predicted = self.trunk(x, speakers, pace=pace)
        wav = self.decoder(frames.transpose(1, 2))
        keep = valid[:, :-1].repeat_interleave(self.hop, 1)[:, : wav.shape[1]]
        return wav * keep, predicted["durations"]

    def sample(
        self, x: X, *, generator: torch.Generator | None = None, pace: float = 1.0, **_: Any
    ) -> torch.Tensor:
        """Deterministic (no RNG); ``pace`` > 1 speaks slower."""
        return self.predict(*phonemes_and_speakers(x), pace)[0]
