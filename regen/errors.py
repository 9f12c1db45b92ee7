"""User-facing errors.

Every mistake a user can make (bad recipe, missing data package, truncated checkpoint,
mismatched stages) raises a :class:`RegenError` whose message is one line that says what is
wrong and how to fix it. The CLI prints that line and exits with status 2; ``--debug`` shows
the traceback.
"""

from __future__ import annotations


class RegenError(Exception):
    """An error caused by the user's input, with a one-line message naming the fix."""


class ConfigError(RegenError):
    """Unknown key, wrong type or invalid value in a recipe or override."""


class DataError(RegenError):
    """A dataset cannot be built (missing package, empty data, unknown label)."""


class CheckpointError(RegenError):
    """A checkpoint is missing, corrupted, truncated or does not match the config."""


class SpecMismatchError(RegenError):
    """Two pipeline stages disagree about Y' (shape, dtype, vocabulary, kind)."""


class TrainingDivergedError(RegenError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class OutputError(RegenError):
    """An output file or folder cannot be written where the user asked (``--out``)."""


class RunInUseError(RegenError):
    """Another live process is training into the same run folder."""
