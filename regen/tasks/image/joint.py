"""Joint training of the representation with the source (the paper's Eq. 1).

    L = w_rec · (−log P(Y | Y′))                 every item (paired or unpaired Y)
      + w_xy  · ‖X′ − f_Y′(Y′)‖²                  paired items only
      + w_yx  · ‖Y′ − f_X′(X′)‖²                  paired items only
      + w_rx  · (−log P(Y | f_X′(X′)))            paired items only

with Y′ = f_Y(Y) (the autoencoder's encoder), X′ = f_X(X) (a condition encoder), and two
small MLPs f_Y′: Y′ → X′ and f_X′: X′ → Y′. "−log P(Y | ·)" is the autoencoder's own
reconstruction objective (L1, + KL for a VAE on the first term). A batch mixes paired and
unpaired items; its ``paired`` mask (float 0/1 [B]) says which X are real.

Collapse of Y′ (the alignment terms are smallest when Y′ and X′ shrink or stop varying) is
guarded three ways, all chosen so that no term can be lowered by a change of scale:

* Y′ enters the alignment terms divided by its batch standard deviation (with gradient),
  so shrinking Y′ does not shrink ‖Y′ − f_X′(X′)‖²; the decoder sees unscaled Y′.
* X′ is layer-normalised without affine parameters: unit RMS per item, it cannot shrink.
* X′ is a stop-gradient target in ‖X′ − f_Y′(Y′)‖²: that term makes Y′ carry X's information
  but cannot pull X′ to a constant; f_X learns only from the two terms that predict from X′.

Nothing keeps Y′ from becoming *more predictable from X* at the cost of detail: that is the
trade-off the term weights set (RQ4). After this stage the usual X → Y′ generator is trained
on encode(Y), and sampling goes X → Y′ → Y as in the cascaded pipeline.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from regen.contracts import LossOutput
from regen.modules.condition import ConditionEncoder
from regen.representations.autoencoder import Autoencoder
from regen.tasks.image.config import GeneratorConfig, JointConfig


def _mlp(width_in: int, hidden: int, width_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width_in, hidden), nn.SiLU(), nn.Linear(hidden, width_out))


class JointObjective(nn.Module):
    """Trains an :class:`Autoencoder` (f_Y and its decoder) with f_X, f_Y′ and f_X′.

    Args:
        representation: the continuous autoencoder being learned (trained in place).
        cfg: the term weights and widths (``train.joint``).
        condition_cfg: the generator config, whose ``condition`` says what X is.
        num_classes: number of class ids when X is a class.

    Batch keys: ``y`` images ``[B, C, H, W]``, ``x`` conditions ``[B, ...]`` (any value on
    unpaired rows), ``paired`` float ``[B]`` (1 = X is real; all ones when absent).
    """

    trainable = True

    def __init__(
        self,
        representation: Autoencoder,
        cfg: JointConfig,
        condition_cfg: GeneratorConfig,
        num_classes: int,
    ) -> None:
        super().__init__()
        self.representation = representation
        self.cfg = cfg
        latent = math.prod(representation.spec.shape)
        self.source = ConditionEncoder(condition_cfg, num_classes, dim=cfg.source_dim)  # f_X
        self.y_to_x = _mlp(latent, cfg.mapping_hidden, cfg.source_dim)  # f_Y'
        self.x_to_y = _mlp(cfg.source_dim, cfg.mapping_hidden, latent)  # f_X'

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        """The weighted sum of the four terms; each weighted term is logged by name."""
        cfg, rep = self.cfg, self.representation
        y = batch["y"]
        paired = batch.get("paired")
        paired = torch.ones(len(y), device=y.device) if paired is None else paired.float()
        reconstruction, logs = rep.training_loss({"y": y})
        terms = {"reconstruction": cfg.reconstruction_weight * reconstruction}
        index = paired.nonzero().squeeze(1)
        if len(index):
            y_prime = rep.encode(y)  # [B, *spec.shape]; the batch std needs every item
            std = y_prime.std().clamp_min(1e-4)
            flat = y_prime[index].flatten(1) / std
            x_prime = F.layer_norm(self.source.pooled(batch["x"][index]), (self.cfg.source_dim,))
            predicted = self.x_to_y(x_prime)  # f_X'(X') in units of the batch std
            terms["x_from_y"] = cfg.x_from_y_weight * F.mse_loss(
                self.y_to_x(flat), x_prime.detach()
            )
            terms["y_from_x"] = cfg.y_from_x_weight * F.mse_loss(predicted, flat)
            rendered, _ = rep.render_loss(
                (predicted * std.detach()).view(len(index), *rep.spec.shape), y[index]
            )
            terms["render_from_x"] = cfg.render_from_x_weight * rendered
            logs["y_prime_std"] = float(std.detach())
        loss = sum(terms.values())
        logs.update({name: float(value.detach()) for name, value in terms.items()})
        logs["paired_in_batch"] = float(paired.mean())
        return loss, logs
