"""Score a trained recognizer on held-out speech: PER, CER, WER and recognition speed; and
the renderer alone from true phonemes (CER, homophone error)."""

from __future__ import annotations

import time
from typing import Any

from regen.data.espeak import WORD_BOUNDARY
from regen.eval.asr_metrics import error_rates, flagged_word_errors, phoneme_error_rate
from regen.modules.sequences import pad_rows, split_at
from regen.renderers.p2g_lexicon import LexiconPhonemeToText
from regen.representations.characters import decode_ids
from regen.representations.phonemes import MARKS
from regen.tasks.asr.data import SpeechTensors
from regen.tasks.asr.recognize import Recognizer

DECODE_BATCH = 16


def recognize_all(
    recognizer: Recognizer, data: SpeechTensors
) -> tuple[list[str], list[list[str]], float]:
    """Texts and phoneme symbols (marks included) for every utterance, and compute seconds.

    Utterances are decoded in batches of :data:`DECODE_BATCH` with the recognizer's greedy
    or beam settings; the time covers features, generator and renderer.
    """
    texts, phonemes = [], []
    start = time.perf_counter()
    for i in range(0, len(data), DECODE_BATCH):
        for result in recognizer.recognize(data.wavs[i : i + DECODE_BATCH]):
            texts.append(result.text)
            phonemes.append(result.phonemes)
    return texts, phonemes, time.perf_counter() - start


def render_true(representation: Any, renderer: Any, texts: list[str]) -> list[str]:
    """Texts rendered from their true phonemes: text -> ``representation`` -> ``renderer``."""
    rows = representation.encode_texts(texts)
    rendered = []
    for start in range(0, len(rows), DECODE_BATCH):
        chunk = pad_rows(rows[start : start + DECODE_BATCH])[0]
        rendered += decode_ids(renderer.render(chunk))
    return rendered


def renderer_cer(recognizer: Recognizer, texts: list[str]) -> float:
    """CER of the pipeline's renderer alone from the true phonemes of ``texts``."""
    pipeline = recognizer.pipeline
    return from_true_phonemes(pipeline.representation, pipeline.renderer, texts)["cer"]


def from_true_phonemes(representation: Any, renderer: Any, texts: list[str]) -> dict[str, float]:
    """CER and WER of a renderer alone from the true phonemes of ``texts`` (the part of the
    pipeline's error that no acoustic model can remove), and for the lexicon renderer its
    homophone error (:func:`homophone_error`)."""
    rendered = render_true(representation, renderer, texts)
    rates = error_rates(texts, rendered)
    scores = {"cer": rates["cer"], "wer": rates["wer"]}
    if isinstance(renderer, LexiconPhonemeToText):
        scores.update(homophone_error(renderer, representation, texts, rendered))
    return scores


def homophone_error(
    lexicon: Any, representation: Any, texts: list[str], rendered: list[str]
) -> dict[str, float]:
    """Error on homophones: among the words of ``texts`` whose pronunciation (in its
    sentence, as ``representation`` encodes it) has more than one spelling in ``lexicon``
    (a fitted :class:`regen.renderers.p2g_lexicon.LexiconPhonemeToText`), the fraction that
    ``rendered`` (any renderer's output for ``texts``) spells wrong.

    Sentences whose phoneme words and written words differ in number are left out (no
    word alignment). Returns ``{"homophone_error": .., "homophone_words": count}``.
    """
    boundary = representation.vocab.encode([WORD_BOUNDARY])[0]
    flags = []
    for text, row in zip(texts, representation.encode_texts(texts)):
        prons = split_at(row, boundary)
        if len(prons) != len(text.split()):
            flags.append([False] * len(text.split()))
            continue
        flags.append([len(lexicon.spellings_of(tuple(p))) > 1 for p in prons])
    wrong, counted = flagged_word_errors(texts, rendered, flags)
    return {"homophone_error": wrong / counted if counted else 0.0, "homophone_words": counted}


def evaluate_split(recognizer: Recognizer, data: SpeechTensors) -> dict[str, Any]:
    """Metrics and per-utterance outputs of one held-out split.

    Returns ``{"metrics": {cer, wer, [per], realtime_speedup}, "hypotheses": [...],
    "phonemes": [...], "reference_phonemes": [...]}``; PER only for phoneme pipelines.
    """
    recognizer.recognize(data.wavs[:1])  # warm-up: first calls pay one-off set-up costs
    texts, phonemes, seconds = recognize_all(recognizer, data)
    metrics = error_rates(data.texts, texts)
    out: dict[str, Any] = {"hypotheses": texts, "phonemes": phonemes}
    if not recognizer.is_direct:
        representation = recognizer.pipeline.representation
        references = representation.phonemes_of(data.texts)
        plain = [[s for s in row if s not in MARKS] for row in phonemes]
        refs_plain = [[s for s in row if s not in MARKS] for row in references]
        metrics["per"] = phoneme_error_rate(refs_plain, plain)
        metrics["cer_true_phonemes"] = renderer_cer(recognizer, data.texts)
        out["reference_phonemes"] = references
    metrics["realtime_speedup"] = data.seconds / seconds
    out["metrics"] = metrics
    return out
