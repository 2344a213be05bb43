"""Atomic file writes (temp file in the same folder, fsync, ``os.replace``), on top of the
foundation's :func:`reachqa_builder.render.cache.atomic_write`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from reachqa_builder.fileio import atomic_write

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_json"]



def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    path = Path(path)
    atomic_write(path, text.encode("utf-8"))
    return path


def atomic_write_json(path: str | os.PathLike, value: Any) -> Path:
    return atomic_write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
