"""Clips as animations: animated GIF / WebP bytes (Pillow), MP4 when imageio is installed,
and an HTML table of clips playing side by side for the compare report.

Clips are float ``[T, H, W]`` grayscale in [-1, 1]; they are scaled up by pixel repetition
so 32-pixel frames stay sharp in a browser.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from PIL import Image

from regen.errors import OutputError

FORMATS = {".gif": "GIF", ".webp": "WEBP", ".mp4": "MP4"}


def clip_frames(clip: torch.Tensor, scale: int = 1) -> list[Image.Image]:
    """Grayscale PIL frames of a ``[T, H, W]`` clip in [-1, 1], each ``scale`` times larger."""
    pixels = ((clip.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    if scale > 1:
        pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    return [Image.fromarray(frame, mode="L") for frame in pixels]


def animation_bytes(
    clip: torch.Tensor, suffix: str = ".gif", fps: int = 8, scale: int = 1
) -> bytes:
    """The clip encoded as an endlessly looping animation (``.gif``, ``.webp`` or ``.mp4``)."""
    frames = clip_frames(clip, scale)
    if suffix == ".mp4":
        return _mp4(frames, fps)
    buffer = io.BytesIO()
    options = {"lossless": True} if suffix == ".webp" else {}
    frames[0].save(
        buffer,
        format=FORMATS[suffix],
        save_all=True,
        append_images=frames[1:],
        duration=round(1000 / fps),
        loop=0,
        **options,
    )
    return buffer.getvalue()


def _mp4(frames: list[Image.Image], fps: int) -> bytes:
    try:
        import imageio.v3 as iio
    except ImportError:
        raise OutputError(
            "MP4 needs imageio with a video plugin: pip install 'regen[video]'; "
            "or write .gif or .webp"
        ) from None
    rgb = np.stack([np.asarray(f.convert("RGB")) for f in frames])
    # H.264 through PyAV (imageio names no codec by default); its yuv420p needs even sides,
    # which frames of 32*k pixels have
    return iio.imwrite("<bytes>", rgb, extension=".mp4", plugin="pyav", codec="libx264", fps=fps)


def clip_table_html(
    captions: Sequence[str], columns: Mapping[str, torch.Tensor], fps: int = 8, scale: int = 3
) -> str:
    """A table: one row per caption, one animated GIF per column (``[K, T, H, W]`` each)."""
    head = "".join(f"<th>{html.escape(name)}</th>" for name in ["caption", *columns])
    rows = []
    for i, caption in enumerate(captions):
        cells = [f'<td class="note">{html.escape(caption)}</td>']
        for name, clips in columns.items():
            data = base64.b64encode(animation_bytes(clips[i], ".gif", fps, scale)).decode()
            alt = html.escape(f"{name}: {caption}")
            cells.append(
                f'<td><img class="px" alt="{alt}" src="data:image/gif;base64,{data}"></td>'
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table class="grid"><tr>{head}</tr>{"".join(rows)}</table></div>'
