"""Debian package records with their long descriptions: structured knowledge -> one-line text.

The archive's index files are real data-to-text pairs on every Debian machine: each binary
package's record (Package, Source, Section, Tag, Homepage, Depends) and its one-line
``Description:`` synopsis, plus the long description, shipped apart in ``Translation-en`` and
joined on ``Description-md5``.

    regen data text --fetch      apt-get update into a lists folder of regen's own
                                 (``$XDG_CACHE_HOME/regen/apt-lists``), English descriptions
                                 included; the machine's apt configuration is not touched

Only bookworm ``main`` is read (not -updates/-security, which repeat packages). The archive
is live, so :func:`read_lists` returns the SHA-256 of every file it read and checks each
against the hash the signed ``InRelease`` lists for it; the dataset records them.

A record file in the same deb822 form with the long description inline
(``/var/lib/dpkg/status``, ``apt-cache show NAME``) is read by :func:`read_record_file`: the
offline source of the tests and of ``regen text``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from regen.data.cache import cache_dir
from regen.errors import DataError

SUITE = "bookworm"
FETCH_HINT = "regen data text --fetch"
VERSION = re.compile(r"\s*\(.*?\)")  # "(>= 1.2)" version constraints in Depends and Source


@dataclass(frozen=True)
class PackageRecord:
    """One binary package: the fields X is made of, and its synopsis (Y)."""

    package: str
    source: str
    section: str
    tags: str
    homepage: str
    depends: str
    synopsis: str
    long: str  # the long description without its first line, paragraphs joined by spaces

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def lists_dir() -> Path:
    """The apt lists folder of regen's own (never the machine's /var/lib/apt/lists)."""
    return cache_dir() / "apt-lists"


def fetch_lists(folder: Path | None = None) -> Path:
    """``apt-get update`` into ``folder`` with English descriptions; returns the folder."""
    folder = Path(folder or lists_dir())
    (folder / "partial").mkdir(parents=True, exist_ok=True)
    if shutil.which("apt-get") is None:
        raise DataError("apt-get is not installed; the text task builds from Debian's archive")
    command = [
        "apt-get",
        "update",
        "-q",
        "-o",
        f"Dir::State::Lists={folder}",
        "-o",
        "Acquire::Languages=en",
        "-o",
        "APT::Get::List-Cleanup=0",
        "-o",
        "Dir::Cache::pkgcache=",
        "-o",
        "Dir::Cache::srcpkgcache=",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise DataError(f"apt-get update into {folder} failed ({last}); run it as root")
    return folder


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(p for p in folder.glob(pattern) if not p.name.endswith(".diff_Index"))
    if not found:
        raise DataError(
            f"no apt lists in {folder} (missing {pattern}); fetch them with: {FETCH_HINT}"
        )
    return found[0]


def read_index(path: Path) -> bytes:
    """An apt index file, decompressed (apt stores them as .lz4, .gz, .xz or plain)."""
    helper = Path("/usr/lib/apt/apt-helper")
    if path.suffix in ("", ".txt") or not helper.is_file():
        return path.read_bytes()
    done = subprocess.run([str(helper), "cat-file", str(path)], capture_output=True)
    if done.returncode != 0:
        raise DataError(f"cannot decompress {path}; fetch the lists again with: {FETCH_HINT}")
    return done.stdout


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """deb822 paragraphs as ``{field: value}``; continuation lines keep their newline."""
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith((" ", "\t")) and key is not None:
                fields[key] += "\n" + line
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if fields:
            yield fields


def long_text(lines: str) -> str:
    """The long description's continuation lines as one line (" ." paragraph marks dropped)."""
    parts = [line.strip() for line in lines.splitlines()]
    return " ".join(p for p in parts if p and p != ".")


def _record(fields: dict[str, str], synopsis: str, long: str) -> PackageRecord:
    depends = ", ".join(
        VERSION.sub("", alt.split("|")[0]).strip()
        for alt in fields.get("Depends", "").split(",")
        if alt.strip()
    )
    package = fields.get("Package", "").strip()
    return PackageRecord(
        package=package,
        source=VERSION.sub("", fields.get("Source", "")).strip() or package,
        section=fields.get("Section", "").strip(),
        tags=" ".join(fields.get("Tag", "").split()),
        homepage=fields.get("Homepage", "").strip(),
        depends=depends,
        synopsis=" ".join(synopsis.split()),
        long=long,
    )


def parse_records(text: str) -> list[PackageRecord]:
    """Records of a deb822 text whose ``Description`` holds the long text inline (a dpkg
    status file, ``apt-cache show`` output); paragraphs without a Package are skipped."""
    records = []
    for fields in paragraphs(text):
        if "Package" not in fields:
            continue
        description = fields.get("Description") or fields.get("Description-en", "")
        first, _, rest = description.partition("\n")
        records.append(_record(fields, first, long_text(rest)))
    return records


def read_record_file(path: Path) -> list[PackageRecord]:
    """The records of a file (see :func:`parse_records`); a one-line DataError when the file
    is missing or holds none."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist; give a package record file (deb822)")
    try:
        records = parse_records(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text; give a package record file") from None
    if not records:
        raise DataError(f"{path} holds no package record (no 'Package:' field)")
    return records


@dataclass
class ListSource:
    """The records read from one apt lists folder and what identifies them."""

    records: list[PackageRecord]
    manifest: dict


def read_lists(folder: Path | None = None) -> ListSource:
    """Bookworm ``main`` records joined with their English long descriptions.

    Records whose ``Description-md5`` has no translation keep an empty ``long``. The manifest
    holds each file's SHA-256 and whether ``InRelease`` lists that hash.
    """
    folder = Path(folder or lists_dir())
    if not folder.is_dir():
        raise DataError(f"no apt lists folder {folder}; fetch the lists with: {FETCH_HINT}")
    release = _one(folder, f"*_dists_{SUITE}_InRelease")
    files = {
        "Packages": _one(folder, f"*_dists_{SUITE}_main_binary-*_Packages*"),
        "Translation-en": _one(folder, f"*_dists_{SUITE}_main_i18n_Translation-en*"),
    }
    release_text = release.read_text(encoding="utf-8", errors="replace")
    data = {name: read_index(path) for name, path in files.items()}
    hashes = {name: hashlib.sha256(raw).hexdigest() for name, raw in data.items()}
    date = re.search(r"^Date: (.+)$", release_text, re.M)
    manifest = {
        "suite": SUITE,
        "lists_folder": str(folder),
        "release_date": date.group(1) if date else None,
        "sha256": {"InRelease": hashlib.sha256(release.read_bytes()).hexdigest(), **hashes},
        "sha256_in_release": {name: h in release_text for name, h in hashes.items()},
        "files": {name: path.name for name, path in files.items()},
    }
    translations = {
        fields["Description-md5"]: fields.get("Description-en", "")
        for fields in paragraphs(data["Translation-en"].decode("utf-8", errors="replace"))
        if "Description-md5" in fields
    }
    records = []
    for fields in paragraphs(data["Packages"].decode("utf-8", errors="replace")):
        if "Package" not in fields:
            continue
        full = translations.get(fields.get("Description-md5", ""), "")
        _, _, rest = full.partition("\n")
        records.append(_record(fields, fields.get("Description", ""), long_text(rest)))
    return ListSource(records, manifest)


def apt_show(name: str) -> list[PackageRecord]:
    """The record of a package that ``apt-cache show`` knows (its first version), or a
    one-line DataError."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]*", name):
        raise DataError(f"{name!r} is neither a record file nor a Debian package name")
    if shutil.which("apt-cache") is None:
        raise DataError("apt-cache is not installed; give a package record file instead")
    done = subprocess.run(["apt-cache", "show", name], capture_output=True, text=True)
    records = parse_records(done.stdout) if done.returncode == 0 else []
    if not records:
        raise DataError(f"apt does not know a package named {name!r} (apt-cache show {name})")
    record = records[0]
    if not record.long:  # the machine's lists hold no Translation-en: look the text up
        md5 = next(paragraphs(done.stdout)).get("Description-md5", "")
        record = replace(record, long=_installed_long(name) or _translated_long(md5))
    return [record]


def _installed_long(name: str) -> str:
    """The long description of an installed package (dpkg keeps it whole), or ""."""
    done = subprocess.run(["dpkg-query", "-s", name], capture_output=True, text=True)
    records = parse_records(done.stdout) if done.returncode == 0 else []
    return records[0].long if records else ""


def _translated_long(md5: str) -> str:
    """The long description of ``md5`` in regen's own lists' Translation-en, or ""."""
    folder = lists_dir()
    if not md5 or not folder.is_dir():
        return ""
    try:
        path = _one(folder, f"*_dists_{SUITE}_main_i18n_Translation-en*")
    except DataError:
        return ""
    text = read_index(path).decode("utf-8", errors="replace")
    start = text.find(f"Description-md5: {md5}\n")
    if start < 0:
        return ""
    block = text[start : text.find("\n\n", start) if "\n\n" in text[start:] else len(text)]
    fields = next(paragraphs(block), {})
    return long_text(fields.get("Description-en", "").partition("\n")[2])
