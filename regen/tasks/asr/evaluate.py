"""Score a trained recognizer on held-out speech: PER, CER, WER and recognition speed."""

from __future__ import annotations

import time
from typing import Any

from regen.eval.asr_metrics import error_rates, phoneme_error_rate
from regen.modules.sequences import pad_rows
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


def renderer_cer(recognizer: Recognizer, texts: list[str]) -> float:
    """CER of the pipeline's renderer alone from the true phonemes of ``texts``."""
    pipeline = recognizer.pipeline
    return from_true_phonemes(pipeline.representation, pipeline.renderer, texts)["cer"]


def from_true_phonemes(representation: Any, renderer: Any, texts: list[str]) -> dict[str, float]:
    """CER and WER of a renderer alone: text -> true phonemes (encode) -> rendered text.

    The part of the pipeline's error that no acoustic model can remove.
    """
    rows = representation.encode_texts(texts)
    rendered = []
    for start in range(0, len(rows), DECODE_BATCH):
        chunk = pad_rows(rows[start : start + DECODE_BATCH])[0]
        rendered += decode_ids(renderer.render(chunk))
    rates = error_rates(texts, rendered)
    return {"cer": rates["cer"], "wer": rates["wer"]}


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
