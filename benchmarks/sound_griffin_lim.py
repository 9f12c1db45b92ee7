"""Griffin-Lim iterations for the sound task: quality from the TRUE log-mel against time.

Griffin-Lim renders every regen clip of the sound task, so its iterations are part of the
batch-1 generation time. This measures, on the first ``eval.num_clips`` held-out clips, what
fewer iterations cost in quality when the mel is exact (the renderer's ceiling): caption
adherence per attribute and local FAD from the task's attribute classifier, log-mel L1 of the
resynthesis, and the seconds of one clip at batch 1 (best of 3, one thread).

    OMP_NUM_THREADS=1 nice .venv/bin/python -m benchmarks.sound_griffin_lim

writes benchmarks/results/sound_griffin_lim.json.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from benchmarks.common import update_results  # noqa: E402
from regen.config import load_recipe  # noqa: E402
from regen.eval.audio_classifier import clip_outputs  # noqa: E402
from regen.eval.audio_metrics import adherence, frechet_distance  # noqa: E402
from regen.modules.dsp import griffin_lim  # noqa: E402
from regen.tasks.sound.build import mel_of  # noqa: E402
from regen.tasks.sound.evaluate import attribute_classifier  # noqa: E402
from regen.tasks.sound.train import load_sound_data  # noqa: E402

ITERATIONS = (4, 8, 16, 32)
COMMAND = "OMP_NUM_THREADS=1 nice .venv/bin/python -m benchmarks.sound_griffin_lim"


def main() -> None:
    torch.set_num_threads(1)
    config = load_recipe("sound/codec_tokens", [])
    data = load_sound_data(config)
    test = data.test.subset(list(range(min(config.eval.num_clips, len(data.test)))))
    mel = mel_of(config)
    classifier = attribute_classifier(config, data)
    reference, predicted = clip_outputs(classifier, mel, test.audio)
    log_mel = mel.encode(test.audio)
    magnitude = mel.magnitude(log_mel)
    rows = {"real": adherence(predicted, test.attributes)}
    load = [os.getloadavg()[0]]
    for iterations in ITERATIONS:
        wav = torch.cat(
            [griffin_lim(m, mel.n_fft, mel.hop, iterations) for m in magnitude.split(16)]
        )
        one = []
        for _ in range(3):
            start = time.perf_counter()
            griffin_lim(magnitude[:1], mel.n_fft, mel.hop, iterations)
            one.append(time.perf_counter() - start)
        features, predicted = clip_outputs(classifier, mel, wav)
        again = mel.encode(wav)
        frames = min(again.shape[-1], log_mel.shape[-1])
        rows[str(iterations)] = {
            **adherence(predicted, test.attributes),
            "local_fad": frechet_distance(features, reference),
            "mel_l1": float((again[..., :frames] - log_mel[..., :frames]).abs().mean()),
            "seconds_batch_1": min(one),
            "clip_seconds": config.data.clip_seconds,
        }
        print(iterations, rows[str(iterations)], flush=True)
    load.append(os.getloadavg()[0])
    summary = {
        "by_iterations": rows,
        "clips": len(test),
        "load_average_1min": {"before": load[0], "after": load[1]},
        "command": COMMAND,
    }
    print(f"wrote {update_results('sound_griffin_lim', 'griffin_lim', rows, summary)}")


if __name__ == "__main__":
    main()
