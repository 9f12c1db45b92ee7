"""The text task's own commands: ``regen text RECORD --run RUN`` and ``regen data text``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    text = sub.add_parser("text", help="a one-line synopsis for a Debian package record")
    text.add_argument(
        "record", help="a package record file (deb822, e.g. from apt-cache show) or a package name"
    )
    text.add_argument("--run", type=Path, required=True, help="run folder of a text recipe")
    text.add_argument("--template", action="store_true", help="also print regen's template")
    return {"text": cmd_text}


def cmd_text(args: argparse.Namespace) -> int:
    from regen.tasks.text.synopsis import synopsis_for

    synopsis, template = synopsis_for(args.record, args.run)
    if args.template and template is not None:
        print(f"template: {template}")
    print(synopsis)
    return 0


def data_text(args: argparse.Namespace) -> int:
    from regen.config import load_recipe
    from regen.data.debian_records import fetch_lists, lists_dir
    from regen.tasks.text.data import load_corpus

    if args.fetch:
        print(f"fetched apt lists into {fetch_lists(lists_dir())}")
    cfg = load_recipe("text/debian_synopsis")
    corpus = load_corpus(cfg.data, cfg.seed)
    counts = corpus.manifest["counts"]
    for name, part in corpus.splits.items():
        print(f"text {name}: {len(part)} records of {counts['sources_per_split'][name]} sources")
    print(
        f"records read: {counts['records']}, kept after the per-source cap: "
        f"{counts['kept_after_cap']} (without long description: "
        f"{counts['without_long_description']})"
    )
    for name, digest in (corpus.manifest.get("sha256") or {}).items():
        print(f"sha256 {name}: {digest}")
    return 0
