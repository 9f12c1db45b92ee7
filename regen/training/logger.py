"""Training logs: JSON lines per logged step, TensorBoard when installed, a progress bar."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm


class StepLogger:
    """Writes ``{"step": .., "loss": .., ...}`` lines to ``path`` (rank 0 only).

    On resume, lines past the resumed step are dropped first, so the log of an interrupted
    and resumed run reads the same as the log of an uninterrupted one.
    """

    def __init__(self, path: Path | None, *, resume_step: int = 0, tensorboard: bool = True):
        self.path = path
        self.writer = None
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        kept = []
        if resume_step and path.exists():
            kept = [line for line in path.read_text().splitlines() if _step(line) <= resume_step]
        path.write_text("".join(line + "\n" for line in kept))
        if tensorboard:
            try:  # optional: only when the tensorboard package is installed
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(path.with_suffix("")) + "_tb")
            except ImportError:
                self.writer = None

    def log(self, step: int, values: dict[str, Any]) -> None:
        if self.path is None:
            return
        record = {"step": step, **values}
        with self.path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        if self.writer is not None:
            for key, value in values.items():
                if isinstance(value, int | float):
                    self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _step(line: str) -> int:
    try:
        return int(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return 1 << 62


def read_log(path: Path) -> list[dict[str, Any]]:
    """All records of a JSON-lines log (empty when the file does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def progress_bar(name: str, total: int, start: int, enabled: bool, unit: str = "step") -> tqdm:
    """A bar showing step, loss, throughput and ETA (tqdm computes the ETA); training and
    evaluation both use it, so a long evaluation is never silent."""
    return tqdm(
        total=total,
        initial=start,
        desc=name,
        unit=unit,
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=1.0,
    )
