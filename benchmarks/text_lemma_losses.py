"""What the ``lemmas`` (or ``lemmas_cased``) template takes away from a synopsis, on the 200
dev records of the generator probes (issue 18): the shares of tokens that become a ``<NUM>``
slot (the renderer cannot write the number back without X), whose lemma differs from the word
(inflection to restore) and whose case the lower-casing changes (line-initial tokens counted
apart).

    .venv/bin/python -m benchmarks.text_lemma_losses      # prints one JSON line
    .venv/bin/python -m benchmarks.text_lemma_losses lemmas_cased

Dev records only.
"""

from __future__ import annotations

import json
import sys

from benchmarks.text_generator_probe import DEV
from benchmarks.text_regen_vs_direct import RECIPE, scale_overrides
from regen.config import load_recipe
from regen.representations.text_template import NUM, template, tokens
from regen.tasks.text.data import load_corpus


def lemma_losses(synopses: list[str], kind: str = "lemmas") -> dict[str, float]:
    """Percentages of the synopses' tokens (and records) each kind of loss touches."""
    counts = {"num_slot": 0, "lemma_differs": 0, "case_changed": 0, "first_case_changed": 0}
    total = with_num = 0
    for text in synopses:
        items = template(text, kind).split()
        with_num += NUM in items
        for i, (word, item) in enumerate(zip(tokens(text), items)):
            total += 1
            if item == NUM:
                counts["num_slot"] += 1
            elif item.lower() != word.lower():
                counts["lemma_differs"] += 1
            elif item != word:
                counts["first_case_changed" if i == 0 else "case_changed"] += 1
    out = {f"{k}_pct_of_tokens": round(100 * v / max(1, total), 1) for k, v in counts.items()}
    out["records_with_num_slot_pct"] = round(100 * with_num / max(1, len(synopses)), 1)
    out["tokens"] = total
    return out


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "lemmas"
    config = load_recipe(RECIPE, [*scale_overrides(), f"representation.kind={kind}"])
    dev = load_corpus(config.data, config.seed).splits["dev"][:DEV]
    synopses = [r.synopsis for r in dev]
    print(json.dumps({"kind": kind, "dev_records": len(dev), **lemma_losses(synopses, kind)}))


if __name__ == "__main__":
    main()
