"""``regen text``: the synopsis a trained pipeline writes for one package record."""

from __future__ import annotations

from pathlib import Path

from regen.data.debian_records import PackageRecord, apt_show, read_record_file
from regen.errors import DataError
from regen.modules.brill_tagger import BrillTagger
from regen.representations.text_template import tokens
from regen.runs import load_run
from regen.tasks.text.data import x_text
from regen.tasks.text.train import synopses

MIN_ENGLISH = 0.5  # share of a description's words the English lexicon must know


def record_of(source: str) -> PackageRecord:
    """The first record of a file, or the record ``apt-cache show`` gives for a name."""
    path = Path(source)
    records = read_record_file(path) if path.exists() else apt_show(source)
    return check_record(records[0])


def check_record(record: PackageRecord) -> PackageRecord:
    """A one-line DataError for a record the model cannot summarise."""
    if not record.long:
        raise DataError(
            f"the record of {record.package} has no long description (Description: lines after "
            "the first); the synopsis is written from it"
        )
    words = [w.lower() for w in tokens(record.long) if w.isalpha()]
    lexicon = BrillTagger.load().lexicon
    known = sum(w in lexicon for w in words) / max(1, len(words))
    if known < MIN_ENGLISH:
        raise DataError(
            f"the description of {record.package} does not look like English ({known:.0%} of "
            "its words are English words); the model was trained on English descriptions"
        )
    return record


def synopsis_for(source: str, run: Path) -> tuple[str, str | None]:
    """The synopsis (and, for a regen run, the template) for a record file or package name."""
    pipeline, _ = load_run(run, task="text")
    record = record_of(source)
    texts, templates = synopses(pipeline, [x_text(record)])
    return texts[0], (templates[0] if templates else None)
