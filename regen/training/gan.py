"""The GAN hook of the training loop: the discriminator side of an adversarial stage.

A stage that trains against a discriminator (:class:`regen.contracts.Adversarial`, e.g. the
GAN vocoder) gets a second AdamW and, each step from ``adversary.start`` on, a discriminator
update before the loop's generator update. :meth:`GanHook.maybe` gives a :class:`NoGan`
(every call does nothing) for every other stage, so the loop calls the hook unconditionally:

    gan = GanHook.maybe(model, cfg, dist)       # before restoring a checkpoint
    gan.restore(tensors, meta, where)           # on resume
    gan.wrap()                                  # after the restore
    d_loss, d_logs = gan.step(batch, step, autocast)
    tensors, meta = gan.state()                 # into the checkpoint (resume-only state)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from regen.config import TrainConfig
from regen.contracts import Adversarial, Batch, LossOutput
from regen.errors import CheckpointError
from regen.training import checkpoint as ckpt
from regen.training import distributed
from regen.training.schedule import warmup_cosine


class _DiscriminatorForward(nn.Module):
    """Routes ``model.discriminator_loss`` through a module whose parameters are only the
    discriminator's, so DDP synchronises exactly those gradients in the D step."""

    def __init__(self, model: Adversarial, discriminator: nn.Module) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.stage = [model]  # a list: not a submodule, its weights are not D's

    def forward(self, batch: Batch) -> LossOutput:
        return self.stage[0].discriminator_loss(batch)


class GanHook:
    """The second optimizer of an adversarial stage and its update.

    AdamW with HiFi-GAN's betas (0.8, 0.99) over the discriminator alone, warmup + cosine over
    the steps after ``adversary.start``. Its weights are frozen except inside :meth:`step`, so
    the generator step gives them no gradient; the fakes it sees are detached by the model.
    """

    def __init__(self, model: Adversarial, cfg: TrainConfig, dist: distributed.DistInfo) -> None:
        self.adversary = model.adversary
        self.module = self.adversary.discriminator.to(dist.device).train()
        self.params = list(self.module.parameters())
        self.optimizer = torch.optim.AdamW(
            self.params, lr=self.adversary.lr, betas=(0.8, 0.99), weight_decay=cfg.weight_decay
        )
        span = max(1, cfg.steps - self.adversary.start)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: warmup_cosine(s, cfg.warmup_steps, span)
        )
        self.cfg, self.dist = cfg, dist
        self.forward: nn.Module = _DiscriminatorForward(model, self.module)

    @staticmethod
    def maybe(model: nn.Module, cfg: TrainConfig, dist: distributed.DistInfo) -> GanHook | NoGan:
        """The hook for ``model``: a :class:`GanHook` when it has an adversary, else a no-op."""
        if isinstance(model, Adversarial) and model.adversary is not None:
            return GanHook(model, cfg, dist)
        return NoGan()

    def wrap(self) -> None:
        """DDP-wrap (after a restore, so every rank starts from rank 0's weights), freeze."""
        if self.dist.enabled:
            self.forward = DistributedDataParallel(self.forward, find_unused_parameters=True)
        self.module.requires_grad_(False)

    def step(self, batch: Batch, step: int, autocast: bool) -> tuple[float, dict[str, float]]:
        """Switch the stage's GAN terms on from ``adversary.start``; then one discriminator
        update. Returns its loss (mean over ranks; 0 before the start) and logs."""
        self.adversary.active = step >= self.adversary.start
        if not self.adversary.active:
            return 0.0, {}
        self.module.requires_grad_(True)
        with torch.autocast(self.dist.device.type, dtype=torch.bfloat16, enabled=autocast):
            loss, logs = self.forward(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg.grad_clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(self.params, self.cfg.grad_clip)
            logs = {**logs, "d_grad_norm": float(norm)}
        self.optimizer.step()
        self.scheduler.step()
        self.module.requires_grad_(False)
        return distributed.mean_across_ranks(float(loss.detach())), logs

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Checkpoint tensors (prefixed ``disc.``) and metadata (under ``discriminator``)."""
        tensors, optim_meta = ckpt.optimizer_to_flat(self.optimizer)
        tensors.update({f"weights.{k}": v for k, v in self.module.state_dict().items()})
        meta = {"optimizer": optim_meta, "scheduler": self.scheduler.state_dict()}
        return {f"disc.{k}": v for k, v in tensors.items()}, {"discriminator": meta}

    def restore(self, tensors: dict[str, torch.Tensor], meta: dict, where: str) -> None:
        if "discriminator" not in meta:
            raise CheckpointError(
                f"{where} was written without a discriminator; resume with the config it was "
                "trained with (GAN off), or train this stage again without --resume"
            )
        own = {k[5:]: v for k, v in tensors.items() if k.startswith("disc.")}
        weights = {k[8:]: v for k, v in own.items() if k.startswith("weights.")}
        ckpt.load_state_checked(self.module, weights, where)
        ckpt.optimizer_from_flat(self.optimizer, own, meta["discriminator"]["optimizer"])
        self.scheduler.load_state_dict(meta["discriminator"]["scheduler"])

    def parts(self) -> list[tuple[nn.Module, torch.optim.Optimizer]]:
        """What a checkpoint holds besides the stage: the discriminator and its optimizer
        (checked for finite values before every save)."""
        return [(self.module, self.optimizer)]


class NoGan:
    """The hook of a stage without a discriminator: nothing to train, save or restore."""

    def wrap(self) -> None:
        pass

    def step(self, batch: Batch, step: int, autocast: bool) -> tuple[float, dict[str, float]]:
        return 0.0, {}

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        return {}, {}

    def restore(self, tensors: dict[str, torch.Tensor], meta: dict, where: str) -> None:
        pass

    def parts(self) -> list[tuple[nn.Module, torch.optim.Optimizer]]:
        return []
