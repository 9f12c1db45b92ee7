"""The text task's data, measured: records, splits, synopsis length, and how much of a
synopsis's content X holds with and without the long description (why it stays in X).

    .venv/bin/python -m benchmarks.text_data   # the "data" section of benchmarks/results/text.json
"""

from __future__ import annotations

import dataclasses
import statistics

from benchmarks.common import update_results
from regen.eval.text_metrics import hallucination
from regen.tasks.text.config import TextDataConfig
from regen.tasks.text.data import load_corpus, x_text

COMMAND = ".venv/bin/python -m benchmarks.text_data"
ITEMS = 1000  # test records measured for the coverage figures


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
    }
    summary = {
        "data_command": COMMAND,
        "records_read": corpus.manifest["counts"]["records"],
        "records_per_split": corpus.manifest["counts"]["per_split"],
        "synopsis_words_median": data["synopsis_words_median"],
        "synopsis_content_in_x_percent": coverage,
    }
    print(update_results("text", "data", data, summary), coverage)


if __name__ == "__main__":
    main()
