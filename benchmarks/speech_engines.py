"""The multi-engine speech corpus: speed per engine, variability, and alignment accuracy.

1. Speed: ``SENTENCES`` fortune sentences said by every voice of
   ``MULTI_ENGINE_VOICES`` + ``MULTI_ENGINE_HELDOUT``; sentences per second per engine for the
   engine alone (synthesis, resampling to 22,050 Hz) and for the corpus path
   (``speech_engines.speak``: with espeak-ng's reference phonemes and the DTW transfer).
2. Variability: MCD-DTW (``regen.eval.speech_metrics.speech_distances``, docs/speech.md) between
   two voices' renditions of the same ``MCD_SENTENCES`` sentences, for every pair of voices,
   averaged per kind of pair (espeak-ng voice vs espeak-ng voice, flite vs festival, ...).
3. Alignment: how well the DTW transfer places word starts, against timings the engines know:
   (a) espeak-ng variants (``en-us+f4`` ...) have the same phonemes as ``en-us`` and their own
   phoneme events, so the transferred boundaries are scored against the true ones;
   (b) festival reports each word's first segment start, scored against the transferred word
   starts (sentences where both count the same words). A uniform stretch of the reference
   timings is the naive alternative, shown beside it.

    OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python -m benchmarks.speech_engines
    # writes benchmarks/results/speech_engines.json
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from itertools import combinations
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from benchmarks.common import update_results  # noqa: E402
from regen.data import espeak, festival  # noqa: E402
from regen.data.duration_transfer import transfer_durations  # noqa: E402
from regen.data.sentences import load_sentences  # noqa: E402
from regen.data.speech_engines import (  # noqa: E402
    ENGINES,
    MULTI_ENGINE_HELDOUT,
    MULTI_ENGINE_VOICES,
    REFERENCE_VOICE,
    engine_of,
    engine_packages,
    parse_voice,
    phoneme_voice,
    speak,
)
from regen.data.text_frontend import normalize_text  # noqa: E402
from regen.eval.speech_metrics import speech_distances  # noqa: E402
from regen.modules.dsp import SAMPLE_RATE  # noqa: E402

COMMAND = "OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python -m benchmarks.speech_engines"
HOP = 256
SENTENCES = 40
MCD_SENTENCES = 20
ESPEAK_VARIANTS = ("en-us+f2", "en-us+m3", "en-us+f4", "en-us+m7")
PAUSES = {"_", "_:", "_!"}


def speed(texts: list[str], voices: list[str]) -> tuple[dict, dict[str, list[np.ndarray]]]:
    """Seconds per voice for the bare engine and for the corpus path; the corpus wavs."""
    per_voice, wavs = {}, {}
    for voice in voices:
        engine, name = parse_voice(voice)
        speak(texts[:1], voice, HOP)  # loads the voice, warms librosa
        start = time.perf_counter()
        ENGINES[engine].speak(texts, name)
        bare = time.perf_counter() - start
        start = time.perf_counter()
        spoken = speak(texts, voice, HOP)
        corpus = time.perf_counter() - start
        wavs[voice] = [u.wav for u in spoken]
        audio = sum(len(w) for w in wavs[voice]) / SAMPLE_RATE
        per_voice[voice] = {"engine_s": bare, "corpus_s": corpus, "audio_s": audio}
        print(f"{voice}: engine {bare:.2f} s, corpus path {corpus:.2f} s, audio {audio:.1f} s")
    per_engine = {}
    for engine in dict.fromkeys(engine_of(v) for v in voices):
        rows = [r for v, r in per_voice.items() if engine_of(v) == engine]
        n = len(rows) * len(texts)
        per_engine[engine] = {
            "voices": len(rows),
            "sentences_per_s_engine": n / sum(r["engine_s"] for r in rows),
            "sentences_per_s_corpus": n / sum(r["corpus_s"] for r in rows),
            "audio_seconds_per_s_corpus": sum(r["audio_s"] for r in rows)
            / sum(r["corpus_s"] for r in rows),
        }
    return {"per_voice": per_voice, "per_engine": per_engine}, wavs


def variability(wavs: dict[str, list[np.ndarray]], n: int) -> dict:
    """Mean MCD-DTW (dB) per pair of voices and per kind of pair, over the first n sentences."""
    pairs, kinds = {}, {}
    for a, b in combinations(wavs, 2):
        mcd = [speech_distances(x, y)["mcd_db"] for x, y in zip(wavs[a][:n], wavs[b][:n])]
        pairs[f"{a} vs {b}"] = float(np.nanmean(mcd))
        kind = " vs ".join(sorted((engine_of(a), engine_of(b))))
        kinds.setdefault(kind, []).append(pairs[f"{a} vs {b}"])
    summary = {k: {"mean_mcd_db": float(np.mean(v)), "pairs": len(v)} for k, v in kinds.items()}
    return {"per_kind": summary, "per_pair": pairs}


def _word_starts(phonemes: list[str], durations: list[int]) -> list[int]:
    """Frame at which each word after the first starts (its first non-pause phoneme)."""
    starts, edges = [], np.concatenate([[0], np.cumsum(durations)])
    for i, p in enumerate(phonemes):
        if p == "|":
            j = i + 1
            while j < len(phonemes) and phonemes[j] in PAUSES | {"|"}:
                j += 1
            if j < len(phonemes) and (not starts or edges[j] != starts[-1]):
                starts.append(int(edges[j]))
    return starts


def _uniform(durations: list[int], frames: int) -> list[int]:
    edges = np.round(np.cumsum(durations) * frames / sum(durations)).astype(int)
    return np.diff(np.concatenate([[0], edges])).tolist()


def espeak_alignment(texts: list[str]) -> dict:
    """Boundary error (ms) of the transfer from en-us to variants with known phoneme events."""
    errors, naive = [], []
    for voice in ESPEAK_VARIANTS:
        for text in texts:
            ref, other = espeak.synthesize(text, REFERENCE_VOICE), espeak.synthesize(text, voice)
            if ref.phonemes != other.phonemes:
                continue
            ref_d = espeak.durations_in_frames(ref.starts, len(ref.wav), HOP)
            true = np.cumsum(espeak.durations_in_frames(other.starts, len(other.wav), HOP))
            got = np.cumsum(transfer_durations(ref.wav, ref_d, other.wav, HOP))
            flat = np.cumsum(_uniform(ref_d, 1 + len(other.wav) // HOP))
            errors.append(np.abs(got - true)[:-1].mean())
            naive.append(np.abs(flat - true)[:-1].mean())
    ms = HOP / SAMPLE_RATE * 1000
    return {
        "variants": list(ESPEAK_VARIANTS),
        "utterances": len(errors),
        "boundary_mae_ms_dtw": float(np.mean(errors) * ms),
        "boundary_mae_ms_uniform_stretch": float(np.mean(naive) * ms),
    }


def _festival_words(texts: list[str], name: str) -> list[tuple[np.ndarray, list[float]]]:
    """Festival's audio (22,050 Hz) and each word's start (s) for every text (normalised
    texts hold no quotes or backslashes, so they go into the Scheme strings as they are)."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = [f"(voice_{name})"]
        for i, text in enumerate(texts):
            lines += [
                f'(set! utt (utt.synth (Utterance Text "{text}")))',
                f'(utt.save.wave utt "{tmp}/{i}.wav" \'riff)',
                '(format t "WORDS")',
                '(mapcar (lambda (w) (format t " %s" (item.feat w '
                '"R:SylStructure.daughter1.daughter1.R:Segment.segment_start"))) '
                "(utt.relation.items utt 'Word))",
                '(format t "\\n")',
            ]
        (Path(tmp) / "s.scm").write_text("\n".join(lines))
        out = subprocess.run(
            ["festival", "-b", f"{tmp}/s.scm"], capture_output=True, text=True, check=True
        ).stdout
        rows = [line.split()[1:] for line in out.splitlines() if line.startswith("WORDS")]
        result = []
        for i, row in enumerate(rows):
            wav, rate = soundfile.read(f"{tmp}/{i}.wav", dtype="float32")
            wav = librosa.resample(wav, orig_sr=rate, target_sr=SAMPLE_RATE)
            result.append((wav, [float(t) for t in row]))
    return result


def festival_alignment(texts: list[str]) -> dict:
    """Word-start error (ms) of the transferred durations against festival's own segments."""
    out = {}
    frame_ms = HOP / SAMPLE_RATE * 1000
    for name in festival.VOICE_PACKAGES:
        errors, naive, used = [], [], 0
        reference = phoneme_voice(f"festival:{name}")
        for text, (wav, word_s) in zip(texts, _festival_words(texts, name)):
            ref = espeak.synthesize(text, reference)
            ref_d = espeak.durations_in_frames(ref.starts, len(ref.wav), HOP)
            got = _word_starts(ref.phonemes, transfer_durations(ref.wav, ref_d, wav, HOP))
            flat = _word_starts(ref.phonemes, _uniform(ref_d, 1 + len(wav) // HOP))
            truth = np.asarray(word_s[1:]) * 1000
            if len(got) != len(truth):
                continue  # the two front ends split this sentence into different words
            used += 1
            errors.append(np.abs(np.asarray(got) * frame_ms - truth).mean())
            naive.append(np.abs(np.asarray(flat) * frame_ms - truth).mean())
        out[name] = {
            "sentences": used,
            "word_start_mae_ms_dtw": float(np.mean(errors)),
            "word_start_mae_ms_uniform_stretch": float(np.mean(naive)),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=SENTENCES)
    parser.add_argument("--mcd-sentences", type=int, default=MCD_SENTENCES)
    args = parser.parse_args()
    texts = [normalize_text(s) for s in load_sentences()[: args.sentences]]
    voices = [*MULTI_ENGINE_VOICES, MULTI_ENGINE_HELDOUT]
    timing, wavs = speed(texts, voices)
    print("alignment checks ...")
    alignment = {"espeak_variants": espeak_alignment(texts), "festival": festival_alignment(texts)}
    print("MCD-DTW between voices ...")
    spread = variability(wavs, args.mcd_sentences)
    data = {
        "command": COMMAND,
        "sentences": len(texts),
        "mcd_sentences": args.mcd_sentences,
        "voices": voices,
        "packages": engine_packages(voices),
        "speed": timing,
        "variability_mcd_db": spread,
        "alignment": alignment,
    }
    summary = {
        **{
            f"{e}_sentences_per_s_corpus": round(r["sentences_per_s_corpus"], 2)
            for e, r in timing["per_engine"].items()
        },
        **{
            f"mcd_db_{k.replace(' ', '_')}": round(v["mean_mcd_db"], 2)
            for k, v in spread["per_kind"].items()
        },
        "espeak_variant_boundary_mae_ms_dtw": round(
            alignment["espeak_variants"]["boundary_mae_ms_dtw"], 1
        ),
    }
    path = update_results("speech_engines", "multi_engine_corpus", data, summary)
    print(f"wrote {path}")
    for key, value in summary.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
