"""Command-line values checked before any work starts.

argparse checks types; this checks ranges, so that a huge or absurd value is a one-line
error at once instead of an overflow traceback, an allocation of terabytes or an hour of
work. Checks go by argument name, so every subcommand that has ``--seed`` (say) gets the same
check without a line of its own. Folder-valued ``--out`` arguments are checked here too; file
outputs are checked by each command with :func:`regen.outputs.check_output_file`, which
knows the suffixes.
"""

from __future__ import annotations

import argparse
import math

from regen.errors import ConfigError
from regen.outputs import check_output_folder

# argument -> (flag, smallest, largest): integers beyond these are mistakes, not requests
INT_RANGES = {
    "seed": ("--seed", 0, 2**32 - 1),  # numpy's seeds stop here; torch's overflow at 2**64
    "per_name": ("-n/--per-name", 1, 1024),
    "steps": ("--steps", 1, 10_000),
    "workers": ("--workers", 1, 256),
    "seeds": ("--seeds", 1, 1000),
    "threads": ("--threads", 1, 1024),
}
FOLDER_OUTPUTS = ("demo", "train", "compare", "study")  # commands whose --out is a folder


def check_arguments(args: argparse.Namespace) -> None:
    """Raise ConfigError (one line, naming the flag) for any argument out of range."""
    for name, (flag, low, high) in INT_RANGES.items():
        value = getattr(args, name, None)
        if value is not None and not low <= value <= high:
            raise ConfigError(f"{flag} is {value}; give a whole number from {low} to {high}")
    guidance = getattr(args, "guidance", None)
    if guidance is not None and not (math.isfinite(guidance) and abs(guidance) <= 1000):
        raise ConfigError(f"--guidance is {guidance}; give a number from -1000 to 1000")
    if args.command in FOLDER_OUTPUTS and getattr(args, "out", None) is not None:
        check_output_folder(args.out)


def os_error_line(exc: OSError) -> str:
    """An OSError as one line: what failed, on which path."""
    what = exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"{what}: {exc.filename}" if exc.filename is not None else what
