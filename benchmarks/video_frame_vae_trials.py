"""Trials of the per-frame VAE's training schedule: reconstruction from the TRUE latents.

Each trial trains the video task's :class:`FrameVAE` (hidden 32, 4 latent channels per
frame, 4x downsampling) with the one training loop for ``steps`` of ``batch`` clips at
``lr`` (``ema`` decay, 0 = off) on the 2,000 training clips, then reads decode(encode(clip))
of the 128 probe clips like generated clips: PSNR/SSIM, caption adherence per factor and
local FVD, with the compare's classifiers. It printed the figures docs/video.md quotes for
the choice of ``train.representation`` in recipes/video/latent_diffusion.yaml.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_frame_vae_trials 300,8,0.001,0.999 \\
        1200,2,0.001,0 1200,2,0.002,0 2400,1,0.002,0          # steps,batch,lr,ema per trial
"""

from __future__ import annotations

import argparse
import json

import torch

from regen.config import TrainConfig
from regen.eval.video_classifier import embed
from regen.eval.video_metrics import local_fvd, reconstruction_scores
from regen.representations.frame_latent import FrameVAE
from regen.tasks.video import compare as hooks
from regen.tasks.video.config import VideoRecipeConfig
from regen.training.loop import train_stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("trials", nargs="+", help="steps,batch,lr,ema")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = VideoRecipeConfig()
    config.representation.hidden = 32
    config.representation.latent_channels = 4
    data = hooks.load_data(config)
    ref = embed(data.classifier, data.reference.clips)
    for trial in args.trials:
        steps, batch, lr, ema = trial.split(",")
        torch.manual_seed(0)
        vae = FrameVAE(data.train.clip_shape, config.representation)
        cfg = TrainConfig(
            steps=int(steps),
            batch_size=int(batch),
            lr=float(lr),
            ema_decay=float(ema),
            warmup_steps=50,
            checkpoint_every=int(steps),
        )
        result = train_stage("vae", vae, {"y": data.train.clips}, cfg, None, progress=False)
        vae.eval()
        with torch.no_grad():
            rebuilt = torch.cat([vae.decode(vae.encode(c)) for c in data.probe.clips.split(32)])
        scores = reconstruction_scores(data.probe.clips, rebuilt)
        scores.update(hooks.caption_scores(data, data.probe, rebuilt, config.data.glyph_size))
        scores["local_fvd"] = local_fvd(data.classifier, ref, rebuilt)
        scores["train_seconds"] = result.seconds
        print(json.dumps({"trial": trial, **{k: round(v, 3) for k, v in scores.items()}}))


if __name__ == "__main__":
    main()
