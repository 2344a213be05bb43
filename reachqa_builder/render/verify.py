"""Checks the parent makes on what comes back from a sandbox: nothing a worker says is trusted.

* :func:`check_jpeg` decodes the image outside the sandbox (Pillow, in the caller's process) so
  a reply that is not a complete, decodable baseline/progressive JPEG never becomes an "ok"
  chart or a cache entry.
* :func:`confined_output_path` maps an id to ``out_dir/<id>.jpg`` only when that stays inside
  ``out_dir``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

MAX_PIXELS = 40_000 * 40_000  # far above any chart (a 100 x 100 inch figure at 200 dpi is 20000 x 20000)


def check_jpeg(data: bytes) -> str | None:
    """None when ``data`` is one complete JPEG image; else what is wrong with it.

    The whole entropy-coded stream is decoded, at 1/8 scale (JPEG's DCT scaling: every block is
    still parsed, but drawing costs about a sixtieth of a full decode).
    """
    if not data:
        return "the worker returned no image"
    if data[:3] != b"\xff\xd8\xff":
        return "the image is not a JPEG (bad magic bytes)"
    if data.rstrip(b"\x00")[-2:] != b"\xff\xd9":
        return "the JPEG is truncated (no end-of-image marker)"
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return f"the JPEG is {width}x{height} pixels, larger than any chart"
            image.draft("L", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except Exception as exc:  # noqa: BLE001 - any decoder complaint means "not a valid chart image"
        return f"the JPEG does not decode ({type(exc).__name__}: {exc})"
    return None


def confined_output_path(out_dir: str | os.PathLike, sid: str) -> Path | None:
    """``out_dir/<sid>.jpg`` if that is a plain file directly inside ``out_dir``; else None."""
    if not isinstance(sid, str) or not sid or "\x00" in sid or sid.startswith(".") or "/" in sid or os.sep in sid:
        return None
    out = Path(out_dir)
    target = out / f"{sid}.jpg"
    if target.parent != out or target.name != f"{sid}.jpg":
        return None
    return target
