"""Least-squares GAN and feature-matching losses (HiFi-GAN, Vocos), and the :class:`Adversary`
that a waveform model holds to train against :class:`WaveformDiscriminators`.

Losses are averaged over sub-discriminators (as Vocos does) so that their scale does not
grow with the number of periods and resolutions:

    D:  mean_k [ mean (1 - D_k(y))^2 + mean D_k(G(x))^2 ]
    G:  adversarial_weight * mean_k mean (1 - D_k(G(x)))^2
        + feature_weight * mean_k sum_l mean |F_kl(y) - F_kl(G(x))|

The adversary is deliberately NOT an ``nn.Module`` attribute of the model: the
discriminator's weights then stay out of the model's ``state_dict`` (the inference weights,
the EMA, the pipeline's exported weights), out of the generator's optimizer, and out of
``render``. The training loop (:func:`regen.training.loop.train_stage`) finds it through the
:class:`regen.contracts.Adversarial` protocol, trains it with its own AdamW and keeps its
state in the trainer checkpoint only.
"""

from __future__ import annotations

import torch

from regen.contracts import LossOutput
from regen.losses.discriminators import Scores, WaveformDiscriminators


def discriminator_loss(real: list[Scores], fake: list[Scores]) -> torch.Tensor:
    """LSGAN discriminator loss: real logits towards 1, fake logits towards 0."""
    terms = [(1 - r).pow(2).mean() + f.pow(2).mean() for (r, _), (f, _) in zip(real, fake)]
    return torch.stack(terms).mean()


def generator_adversarial_loss(fake: list[Scores]) -> torch.Tensor:
    """LSGAN generator loss: fake logits towards 1."""
    return torch.stack([(1 - f).pow(2).mean() for f, _ in fake]).mean()


def feature_matching_loss(real: list[Scores], fake: list[Scores]) -> torch.Tensor:
    """L1 between real (detached) and fake feature maps: summed over layers, mean over Ds."""
    terms = [
        sum((r.detach() - f).abs().mean() for r, f in zip(real_maps, fake_maps))
        for (_, real_maps), (_, fake_maps) in zip(real, fake)
    ]
    return torch.stack(terms).mean()


class Adversary:
    """The discriminators of a waveform model and the weights of its GAN terms.

    ``cfg`` is a :class:`regen.tasks.tts.config.VocoderConfig` (``discriminator_channels``,
    ``adversarial_weight``, ``feature_weight``, ``adversarial_start``, ``discriminator_lr``,
    ``discriminators``).
    """

    def __init__(self, cfg) -> None:
        self.discriminator = WaveformDiscriminators(
            cfg.discriminator_channels, kind=cfg.discriminators
        )
        self.adversarial_weight = cfg.adversarial_weight
        self.feature_weight = cfg.feature_weight
        self.start = cfg.adversarial_start
        self.lr = cfg.discriminator_lr
        self.active = False  # set by the training loop: step >= start

    def discriminator_loss(self, fake: torch.Tensor, real: torch.Tensor) -> LossOutput:
        """D loss on waveforms [B, T]; ``fake`` is detached so no gradient reaches G."""
        loss = discriminator_loss(self.discriminator(real), self.discriminator(fake.detach()))
        return loss, {"d_loss": float(loss.detach())}

    def generator_loss(self, fake: torch.Tensor, real: torch.Tensor) -> LossOutput:
        """Weighted adversarial + feature-matching terms for G (D's weights get no update:
        the loop freezes them during the generator step)."""
        with torch.no_grad():
            real_scores = self.discriminator(real)
        fake_scores = self.discriminator(fake)
        adv = generator_adversarial_loss(fake_scores)
        fm = feature_matching_loss(real_scores, fake_scores)
        loss = self.adversarial_weight * adv + self.feature_weight * fm
        return loss, {"adv_loss": float(adv.detach()), "fm_loss": float(fm.detach())}


def build_adversary(cfg) -> Adversary | None:
    """An :class:`Adversary` when ``cfg.adversarial_weight > 0``, else ``None`` (no GAN)."""
    return Adversary(cfg) if cfg.adversarial_weight > 0 else None


def with_adversary(
    adversary: Adversary | None, spectral: LossOutput, fake: torch.Tensor, real: torch.Tensor
) -> LossOutput:
    """The generator's loss: ``spectral`` plus the GAN terms once the adversary is active."""
    if adversary is None or not adversary.active:
        return spectral
    gan, gan_logs = adversary.generator_loss(fake, real)
    return spectral[0] + gan, {**spectral[1], **gan_logs}
