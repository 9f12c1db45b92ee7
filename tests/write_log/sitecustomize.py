"""Record every file a torchrun worker writes, to test that only rank 0 writes.

Python imports ``sitecustomize`` at start-up from the first folder on ``sys.path`` that has
one, so putting this folder first on PYTHONPATH instruments every process started with it.
When ``REGEN_WRITE_LOG`` names a folder and torchrun has set ``RANK``, each rank appends
``event<TAB>absolute path`` lines to ``<folder>/rank<RANK>.log``:

- audit events (``sys.addaudithook``): every open for writing, rename, replace, mkdir,
  remove, rmdir, rmtree, copy and move made from Python, however the code spells it
  (``open``, ``Path.write_text``, ``os.replace``, ``shutil``, ``tempfile``);
- ``safetensors.torch.save_file``, whose Rust code writes without an audit event.

The first line, ``start<TAB>pid``, shows that the recorder ran in that rank at all.
"""

from __future__ import annotations

import os
import sys

# event -> positions of its arguments that are paths written to (see the audit events table)
PATH_EVENTS = {
    "os.rename": (0, 1),  # os.replace and Path.replace raise this one too
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.truncate": (0,),
    "os.symlink": (1,),
    "os.link": (1,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (1,),
    "shutil.move": (1,),
}


def install(folder: str, rank: str) -> None:
    # opened before the hook exists, and written with os.write (no audit event): the log
    # never records itself
    fd = os.open(
        os.path.join(folder, f"rank{rank}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
    )

    def record(event: str, path: object) -> None:
        if isinstance(path, int):  # a file descriptor: its open was recorded
            return
        try:
            name = os.path.abspath(os.fsdecode(path))
        except TypeError:
            return
        os.write(fd, f"{event}\t{name}\n".encode())

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, _, flags = args
            if isinstance(flags, int) and flags & os.O_ACCMODE != os.O_RDONLY:
                record(event, path)
        elif event in PATH_EVENTS:
            for index in PATH_EVENTS[event]:
                record(event, args[index])

    os.write(fd, f"start\t{os.getpid()}\n".encode())
    sys.addaudithook(hook)

    import safetensors.torch

    save_file = safetensors.torch.save_file

    def recorded_save_file(tensors, filename, *args, **kwargs):
        record("safetensors.save_file", filename)
        return save_file(tensors, filename, *args, **kwargs)

    safetensors.torch.save_file = recorded_save_file


if os.environ.get("REGEN_WRITE_LOG") and os.environ.get("RANK") is not None:
    install(os.environ["REGEN_WRITE_LOG"], os.environ["RANK"])
