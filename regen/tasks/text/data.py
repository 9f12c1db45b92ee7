"""The text task's data: package records split by source package, as X and Y texts.

    X  "package: 2048-qt | section: games |
        description: 2048 puzzle is mathematics based puzzle game where ... |
        source: 2048-qt | homepage: ... | tags: game::puzzle, ... | depends: libc6, ..."
    Y  "mathematics based puzzle game"

Records without a long description are dropped (X would hold no text to summarise). Each
source package keeps at most ``data.max_per_source`` of its binaries (chosen by a hash of the
package name), so formulaic families (``gcc-12-cross-*``, "Runtime library for ...") do not
dominate; then every source package falls, by a hash of its name and the recipe seed, into
one split: ``paired`` (X, Y), ``unpaired`` (synopses only: the renderer's text), ``dev`` and
``test``. Binaries of one source, which often share a description, never straddle splits.
Split corpora built from apt lists are cached under ``$XDG_CACHE_HOME/regen``, keyed by the
lists' SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from regen.data.cache import cache_dir
from regen.data.debian_records import PackageRecord, read_lists, read_record_file
from regen.errors import DataError
from regen.tasks.text.config import TextDataConfig

SPLITS = ("paired", "unpaired", "dev", "test")
BUILDER_VERSION = 1
LONG_CHARS = 1200  # the long description is cut here: X keeps max_x_tokens pieces anyway
CLAUSE_END = re.compile(r"[.;:!?]\s|[.;:!?]$|,\s| - | -- | \(")


@dataclass
class TextCorpus:
    """Records per split and where they came from (the lists' hashes, or a file)."""

    splits: dict[str, list[PackageRecord]]
    manifest: dict


def x_text(record: PackageRecord) -> str:
    """X of a record: its fields and the long description (synopsis excluded).

    The description comes right after the package name and section: X is cut to
    ``data.max_x_tokens`` word pieces, and a homepage URL, spelled piece by piece, used to
    take most of them (a median 53 pieces before the description at 64 kept)."""
    fields = [
        ("package", record.package),
        ("section", record.section),
        ("description", record.long[:LONG_CHARS]),
        ("source", record.source),
        ("homepage", record.homepage),
        ("tags", record.tags),
        ("depends", record.depends),
    ]
    return " | ".join(f"{k}: {v}" for k, v in fields if v)


def lead(record: PackageRecord, max_words: int = 12) -> str:
    """The lead baseline: the long description's first clause, at most ``max_words`` words."""
    head = CLAUSE_END.split(record.long, maxsplit=1)[0]
    return " ".join(head.split()[:max_words])


def _hash(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) / 16**12


def split_of(source: str, cfg: TextDataConfig, seed: int) -> str:
    """The split of every record of source package ``source`` (a function of its name)."""
    u = _hash(f"{seed}:{source}")
    bounds = (cfg.paired, cfg.paired + cfg.unpaired, cfg.paired + cfg.unpaired + cfg.dev)
    for name, bound in zip(SPLITS, bounds):
        if u < bound:
            return name
    return "test"


def split_records(
    records: list[PackageRecord], cfg: TextDataConfig, seed: int
) -> tuple[dict[str, list[PackageRecord]], dict]:
    """Drop records without a long description or synopsis, cap per source, split by source."""
    usable = [r for r in records if r.long and r.synopsis]
    by_source: dict[str, list[PackageRecord]] = {}
    for record in sorted(usable, key=lambda r: _hash(r.package)):
        kept = by_source.setdefault(record.source, [])
        if len(kept) < cfg.max_per_source:
            kept.append(record)
    splits: dict[str, list[PackageRecord]] = {name: [] for name in SPLITS}
    for source in sorted(by_source):
        splits[split_of(source, cfg, seed)] += sorted(by_source[source], key=lambda r: r.package)
    counts = {
        "records": len(records),
        "without_long_description": sum(1 for r in records if not r.long),
        "sources": len(by_source),
        "kept_after_cap": sum(len(v) for v in by_source.values()),
        "per_split": {name: len(part) for name, part in splits.items()},
        "sources_per_split": {name: len({r.source for r in part}) for name, part in splits.items()},
    }
    return splits, counts


def load_corpus(cfg: TextDataConfig, seed: int) -> TextCorpus:
    """The split records of the recipe: from ``data.records_file``, else the apt lists."""
    if cfg.records_file:
        records = read_record_file(Path(cfg.records_file))
        splits, counts = split_records(records, cfg, seed)
        manifest = {"source": str(cfg.records_file), "counts": counts}
        return _checked(TextCorpus(splits, manifest))
    lists = Path(cfg.lists_dir) if cfg.lists_dir else None
    return _checked(_cached_lists_corpus(lists, cfg, seed))


def _cached_lists_corpus(lists: Path | None, cfg: TextDataConfig, seed: int) -> TextCorpus:
    source = read_lists(lists)
    key_text = json.dumps(
        [BUILDER_VERSION, source.manifest["sha256"], cfg.max_per_source, cfg.paired,
         cfg.unpaired, cfg.dev, seed]
    )  # fmt: skip
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    path = cache_dir() / f"text-debian-{key}.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            splits = {k: [PackageRecord(**r) for r in v] for k, v in data["splits"].items()}
            return TextCorpus(splits, data["manifest"])
        except (json.JSONDecodeError, KeyError, TypeError):
            pass  # a damaged entry is rebuilt, not trusted
    splits, counts = split_records(source.records, cfg, seed)
    manifest = {"source": "apt lists (Debian bookworm main)", **source.manifest, "counts": counts}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    payload = {
        "manifest": manifest,
        "splits": {k: [r.to_dict() for r in v] for k, v in splits.items()},
    }
    tmp.write_text(json.dumps(payload))
    tmp.replace(path)
    return TextCorpus(splits, manifest)


def _checked(corpus: TextCorpus) -> TextCorpus:
    empty = [name for name in SPLITS if not corpus.splits[name]]
    if empty:
        raise DataError(
            f"the {empty[0]} split holds no record with a long description; give more records "
            f"(data.records_file) or fetch the apt lists: regen data text --fetch"
        )
    return corpus
