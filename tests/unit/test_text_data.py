"""The text task's records: split by source without leakage, lists hashed, bad inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from regen.data.debian_records import (
    PackageRecord,
    apt_show,
    parse_records,
    read_lists,
    read_record_file,
)
from regen.errors import DataError
from regen.tasks.text.config import TextDataConfig
from regen.tasks.text.data import SPLITS, lead, load_corpus, split_records, x_text
from regen.tasks.text.synopsis import check_record, record_of

STATUS = Path("/var/lib/dpkg/status")


def test_split_by_source_has_no_leakage_and_caps_sources():
    records = read_record_file(STATUS)
    cfg = TextDataConfig(max_per_source=2)
    splits, counts = split_records(records, cfg, seed=0)
    owner = {}
    for name in SPLITS:
        for record in splits[name]:
            assert owner.setdefault(record.source, name) == name  # one split per source
            assert record.long  # records without a long description are dropped
    per_source = {}
    for part in splits.values():
        for record in part:
            per_source[record.source] = per_source.get(record.source, 0) + 1
    assert max(per_source.values()) <= 2
    assert sum(counts["per_split"].values()) == counts["kept_after_cap"]
    # about 20/60/10/10 of the sources
    sources = counts["sources_per_split"]
    assert sources["unpaired"] > sources["paired"] > sources["test"] > 0
    # the split of a source does not depend on the other records
    again, _ = split_records(records[::2], cfg, seed=0)
    moved = {r.source for r in again["test"]} - {r.source for r in splits["test"]}
    assert not moved


def test_lists_are_hashed_and_checked_against_inrelease(tmp_path):
    packages = (
        "Package: foo\nSource: foo-src (1.0)\nSection: utils\nDescription: a foo tool\n"
        "Description-md5: 0123\nDepends: libc6 (>= 2), bar | baz\n\n"
        "Package: nolong\nDescription: no long text\nDescription-md5: 9999\n"
    )
    translation = "Package: foo\nDescription-md5: 0123\nDescription-en: a foo tool\n Foo does it.\n .\n Well.\n"
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "x_dists_bookworm_main_binary-amd64_Packages").write_text(packages)
    (lists / "x_dists_bookworm_main_i18n_Translation-en").write_text(translation)
    digest = hashlib.sha256(packages.encode()).hexdigest()
    (lists / "x_dists_bookworm_InRelease").write_text(
        f"Date: today\n {digest} 1 main/binary-amd64/Packages\n"
    )
    source = read_lists(lists)
    foo = source.records[0]
    assert (foo.source, foo.depends, foo.long) == ("foo-src", "libc6, bar", "Foo does it. Well.")
    assert source.records[1].long == ""
    assert source.manifest["sha256"]["Packages"] == digest
    assert source.manifest["sha256_in_release"] == {"Packages": True, "Translation-en": False}


def test_absent_lists_and_bad_record_files_are_one_line_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="regen data text --fetch"):
        load_corpus(TextDataConfig(), seed=0)
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(DataError, match="holds no package record"):
        read_record_file(empty)
    with pytest.raises(DataError, match="apt does not know"):
        apt_show("no-such-package-regen-test")
    with pytest.raises(DataError, match="neither a record file"):
        record_of("Not A Name!")


def test_records_the_model_cannot_summarise_are_refused():
    short = parse_records("Package: a\nDescription: only a synopsis\n")[0]
    with pytest.raises(DataError, match="no long description"):
        check_record(short)
    german = parse_records(
        "Package: b\nDescription: Werkzeug\n Dieses Paket enthält Werkzeuge zur Verwaltung "
        "der Dateien und Verzeichnisse auf dem Rechner des Benutzers.\n"
    )[0]
    with pytest.raises(DataError, match="does not look like English"):
        check_record(german)
    english = parse_records("Package: c\nDescription: tool\n This tool parses the files.\n")[0]
    assert check_record(english) is english
    assert lead(english) == "This tool parses the files"


def test_the_description_survives_the_cut_of_x():
    """X is cut to data.max_x_tokens word pieces; a homepage URL is spelled piece by piece
    (a median 53 pieces came before the description when it followed the homepage, so at 64
    most records lost it). The description comes right after the package name and section."""
    from regen.modules.word_pieces import WordPieces

    record = PackageRecord(
        package="9mount",
        source="9mount",
        section="admin",
        tags="role::program, interface::commandline, use::configuring",
        homepage="http://sqweek.net/" + "/".join(f"part{i}" for i in range(30)),
        depends="libc6",
        synopsis="Plan 9 filesystem (v9fs) user mount utilities",
        long="9mount is a set of SUID mounting tools for use with v9fs.",
    )
    text = x_text(record)
    assert text.index("description:") < text.index("homepage:")
    assert text.index("description:") < text.index("tags:")
    vocab = WordPieces.fit([text], 1000)
    assert "v9fs" in vocab.decode(vocab.encode(text)[:64])
