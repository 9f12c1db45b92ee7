"""The text task's data, measured: records, splits, synopsis length, how much of a
synopsis's content X holds with and without the long description (why it stays in X), and
how much of each template kind the generator can copy from X as it is cut into pieces, and
whether the description's first clause (the lead baseline) survives that cut.

    .venv/bin/python -m benchmarks.text_data   # the "data" section of benchmarks/results/text.json
"""

from __future__ import annotations

import dataclasses
import statistics

from benchmarks.common import update_results
from regen.config import load_recipe
from regen.eval.text_metrics import hallucination
from regen.modules.word_pieces import pieces
from regen.representations.text_template import NUM, template
from regen.tasks.text.build import load_text_data
from regen.tasks.text.config import TextDataConfig
from regen.tasks.text.data import lead, load_corpus, x_text

COMMAND = ".venv/bin/python -m benchmarks.text_data"
ITEMS = 1000  # test records measured for the coverage figures


def copyable(kinds: tuple[str, ...] = ("content", "words")) -> dict:
    """Per template kind, on the dev records with the benchmark's vocabulary and X cut: the
    share of template words (a ``lemma/TAG`` item's lemma, a ``words`` item) that are one
    vocabulary piece found among X's pieces (what the copy gate copies in one step), and
    pieces per template and per synopsis."""
    from benchmarks.text_regen_vs_direct import RECIPE, scale_overrides

    config = load_recipe(RECIPE, scale_overrides())
    data = load_text_data(config)
    vocab, limit = data.vocab, config.data.max_x_tokens
    dev = data.corpus.splits["dev"][:ITEMS]
    out: dict = {
        "synopsis_pieces_mean": statistics.mean(len(vocab.encode(r.synopsis)) for r in dev)
    }
    for kind in kinds:
        found = total = 0
        lengths = []
        for record in dev:
            x_pieces = {p for p in pieces(x_text(record))[:limit] if p in vocab.ids}
            text = template(record.synopsis, kind)
            lengths.append(len(vocab.encode(text)))
            for item in text.split():
                word = " " + item.rsplit("/", 1)[0] if kind == "content" else " " + item
                if item != NUM and word.strip():
                    total += 1
                    found += word in x_pieces
        out[kind] = {
            "words_copyable_percent": 100 * found / max(1, total),
            "template_pieces_mean": statistics.mean(lengths),
        }
    out["records"] = len(dev)
    return out


def lead_clause_in_x() -> dict:
    """On the dev records with the benchmark's vocabulary and X cut: how many word pieces of X
    come up to the end of the description's first clause (what the lead baseline copies), and
    the share of records whose first clause ends inside the ``data.max_x_tokens`` kept (the
    generator's copy attention sees only those)."""
    from benchmarks.text_regen_vs_direct import RECIPE, scale_overrides

    config = load_recipe(RECIPE, scale_overrides())
    data = load_text_data(config)
    limit = config.data.max_x_tokens
    ends = []
    for record in data.corpus.splits["dev"][:ITEMS]:
        x, clause = x_text(record), lead(record)
        at = x.find(clause)
        if clause and at >= 0:
            ends.append(len(data.vocab.encode(x[: at + len(clause)])))
    return {
        "records": len(ends),
        "pieces_to_clause_end_median": statistics.median(ends),
        "clause_inside_x_percent": 100 * sum(e <= limit for e in ends) / max(1, len(ends)),
        "max_x_tokens": limit,
    }


def main() -> None:
    corpus = load_corpus(TextDataConfig(), seed=0)
    test = corpus.splits["test"][:ITEMS]
    references = [r.synopsis for r in test]
    fields_only = [x_text(dataclasses.replace(r, long="")) for r in test]
    coverage = {
        "full_x": 100 - hallucination(references, [x_text(r) for r in test]),
        "fields_only": 100 - hallucination(references, fields_only),
    }
    words = [len(r.synopsis.split()) for part in corpus.splits.values() for r in part]
    data = {
        "manifest": corpus.manifest,
        "synopsis_words_median": statistics.median(words),
        "synopsis_words_mean": statistics.mean(words),
        "reference_content_lemmas_in_x_percent": coverage,
        "coverage_items": len(test),
        "template_copyable_from_x": copyable(),
        "lead_clause_in_x": lead_clause_in_x(),
    }
    summary = {
        "data_command": COMMAND,
        "records_read": corpus.manifest["counts"]["records"],
        "records_per_split": corpus.manifest["counts"]["per_split"],
        "synopsis_words_median": data["synopsis_words_median"],
        "synopsis_content_in_x_percent": coverage,
        "template_copyable_from_x": data["template_copyable_from_x"],
        "lead_clause_in_x": data["lead_clause_in_x"],
    }
    print(update_results("text", "data", data, summary), coverage)


if __name__ == "__main__":
    main()
