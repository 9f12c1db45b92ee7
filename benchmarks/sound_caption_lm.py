"""Dev-split diagnostics of how well the sound caption LM follows its caption.

Reuses a trained codec (a finished ``regen compare sound/codec_tokens`` run), trains only the
caption LM under variants of the recipe (``key=value`` overrides, e.g.
``generator.text_encoder=words``) for ``--steps`` steps, then on the dev split (held-out
tunes no scored clip shares) measures:

- caption information: teacher-forced code cross-entropy with each clip's own caption and
  with another dev clip's caption (the gap is how much the caption tells the LM);
- adherence per attribute (instrument family, mode, meter, tempo) of clips generated from the
  dev captions at each guidance scale, scored by the task's attribute classifier.

    OMP_NUM_THREADS=1 nice python -m benchmarks.sound_caption_lm RUN_DIR --steps 300 \
        --variant bytes: --variant words:generator.text_encoder=words
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from regen.config import load_recipe  # noqa: E402
from regen.eval.audio_classifier import AttributeClassifier, clip_outputs  # noqa: E402
from regen.eval.audio_metrics import adherence  # noqa: E402
from regen.runs import load_run  # noqa: E402
from regen.tasks.sound.build import build_sound_pipeline, mel_of  # noqa: E402
from regen.tasks.sound.dev_sampling import dev_split  # noqa: E402
from regen.tasks.sound.evaluate import ATTRIBUTE_CLASSES, attribute_classifier  # noqa: E402
from regen.tasks.sound.train import encode_clips, load_sound_data  # noqa: E402
from regen.training.loop import train_stage  # noqa: E402

RECIPE = "sound/codec_tokens"


def caption_gain(lm, x: torch.Tensor, codes: torch.Tensor) -> dict[str, float]:
    """Teacher-forced code CE with the right captions and with captions rolled by one."""
    lm.eval()
    out = {}
    saved = lm.cfg.cond_drop_prob
    lm.cfg.cond_drop_prob = 0.0
    with torch.no_grad():
        for name, xs in (("ce_own", x), ("ce_other", x.roll(1, 0))):
            out[name] = float(lm.training_loss({"x": xs, "y_prime": codes})[0])
    lm.cfg.cond_drop_prob = saved
    out["caption_gain"] = out["ce_other"] - out["ce_own"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path, help="a finished regen compare folder (its codec)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--variant", action="append", required=True, help="NAME:k=v,k=v")
    parser.add_argument("--guidance", default="1.0,3.0,5.0")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sound_caption_lm"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    trained, base = load_run(args.run / "sound_codec_tokens")
    data = load_sound_data(base)
    dev = dev_split(data.test, base.eval.num_clips, base.eval.dev_clips)
    # one cache folder per run, so another run's codes or classifier are never read back
    run_key = hashlib.sha256(str(args.run.resolve()).encode()).hexdigest()[:12]
    cache = args.cache / run_key
    cache.mkdir(parents=True, exist_ok=True)
    codes_path, clf_path = cache / "codes.safetensors", cache / "classifier.safetensors"
    mel = mel_of(base)
    if codes_path.exists():
        tensors = load_file(codes_path)
        codes, dev_codes = tensors["codes"], tensors["dev_codes"]
    else:
        with torch.no_grad():
            codes = encode_clips(trained, data.train.audio)
            dev_codes = encode_clips(trained, dev.audio)
        save_file({"codes": codes.contiguous(), "dev_codes": dev_codes.contiguous()}, codes_path)
    if clf_path.exists():
        classifier = AttributeClassifier(mel.n_mels, ATTRIBUTE_CLASSES)
        classifier.load_state_dict(load_file(clf_path))
        classifier.eval()
    else:
        classifier = attribute_classifier(base, data)
        save_file({k: v.contiguous() for k, v in classifier.state_dict().items()}, clf_path)
    results = {}
    for variant in args.variant:
        name, _, spec = variant.partition(":")
        overrides = [kv for kv in spec.split(",") if kv]
        config = load_recipe(RECIPE, overrides)
        pipeline = build_sound_pipeline(config)
        pipeline.representation.load_state_dict(trained.representation.state_dict())
        lm = pipeline.generator
        x = pipeline.conditioner.encode(data.train.captions)
        cfg = config.train.generator
        cfg.steps = args.steps
        start = time.perf_counter()
        train_stage("generator", lm, {"x": x, "y_prime": codes}, cfg, None, progress=False)
        seconds = time.perf_counter() - start
        dev_x = pipeline.conditioner.encode(dev.captions)
        row = {"overrides": overrides, "steps": args.steps, "train_seconds": round(seconds, 1)}
        row.update(caption_gain(lm, dev_x, dev_codes))
        pipeline.eval()
        for scale in (float(g) for g in args.guidance.split(",")):
            wavs = []
            with torch.inference_mode():
                for s in range(0, len(dev), 16):
                    rng = torch.Generator().manual_seed(s)
                    y = pipeline.generate(dev_x[s : s + 16], generator=rng, guidance_scale=scale)
                    wavs.append(pipeline.render(y, generator=rng).clamp(-1, 1))
            n = min(w.shape[1] for w in wavs)
            _, predicted = clip_outputs(classifier, mel, torch.cat([w[:, :n] for w in wavs]))
            row[f"guidance_{scale}"] = adherence(predicted, dev.attributes)
        results[name] = row
        print(json.dumps({name: row}), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
