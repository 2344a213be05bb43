"""One coercion for every way an image value arrives: encoded bytes, a path, a ``datasets`` image
dict (``{"bytes": ..., "path": ...}``) or a PIL image.

:func:`image_bytes` gives the encoded bytes (passed through unchanged where they exist, so a
rendered JPEG stays byte-identical); :func:`to_pil` gives a decoded RGB PIL image.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

__all__ = ["image_bytes", "to_pil"]


def image_bytes(value: Any, base_dir: str | os.PathLike | None = None, *, what: str = "image",
                pil_format: str | None = None) -> bytes:
    """Encoded image bytes from a path (relative to ``base_dir``), raw bytes, a datasets image dict
    or a PIL image. A PIL image is encoded as ``pil_format`` (converted to RGB first), or by default
    as PNG when it has transparency or a palette, else JPEG."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, dict):
        if value.get("bytes"):
            return bytes(value["bytes"])
        if value.get("path"):
            return image_bytes(value["path"], base_dir, what=what)
        raise ValueError(f"{what}: image dict has neither bytes nor path")
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.is_file():
            raise FileNotFoundError(f"{what}: image file not found: {path}")
        return path.read_bytes()
    if hasattr(value, "save"):  # PIL image
        buf = io.BytesIO()
        if pil_format:
            value.convert("RGB").save(buf, format=pil_format)
        else:
            fmt = "PNG" if getattr(value, "mode", "RGB") in ("RGBA", "P", "LA") else "JPEG"
            value.save(buf, format=fmt)
        return buf.getvalue()
    raise TypeError(f"{what}: cannot read an image from {type(value).__name__}")


def to_pil(value: Any, base_dir: str | os.PathLike | None = None, *, what: str = "image"):
    """A decoded RGB PIL image from any value :func:`image_bytes` accepts (a PIL image is converted,
    not re-encoded). Decoder errors propagate (``PIL.UnidentifiedImageError``, ``OSError``)."""
    from PIL import Image

    if isinstance(value, Image.Image):
        return value.convert("RGB")
    with Image.open(io.BytesIO(image_bytes(value, base_dir, what=what))) as im:
        im.load()
        return im.convert("RGB")
