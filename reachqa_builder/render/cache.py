"""On-disk render cache: a rebuild renders only scripts whose code, environment or settings changed.

Key = sha256 over the script's text, the render environment's fingerprint (its lock), the render
settings (dpi, figure inspection), the limits a script ran under (time, memory, scratch space,
inodes, sandbox weakenings) and the renderer's own source (every ``.py`` file of the renderer:
worker, sandbox, seccomp filters, compatibility layer, inspector, checks). Entries are written
atomically as each script finishes, so an interrupted run keeps everything rendered so far.
Deterministic script errors are cached too (a rebuild does not re-run a script that raised);
timeouts, crashes and infrastructure failures are not, since they may not recur.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from ..fileio import atomic_write
from ..paths import render_cache_root
from .envs import HERE

# Errors that depend on the machine or the moment, not on the script: never cached.
TRANSIENT_ERRORS = ("Timeout", "Crashed", "InfrastructureError", "MemoryError", "Exited")


@lru_cache(maxsize=1)
def renderer_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(HERE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def default_cache_dir() -> Path:
    return render_cache_root()


class RenderCache:
    """Rendered images and their records, keyed by :meth:`key`."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    @staticmethod
    def key(code: str, env_fingerprint: str, dpi: int, *, inspect: bool = False, limits: dict | None = None) -> str:
        parts = {"code": code, "env": env_fingerprint, "dpi": dpi, "renderer": renderer_fingerprint()}
        if limits:  # a script may fail (or not) under other limits
            parts["limits"] = limits
        if inspect:  # an inspected entry also holds what the figure plots and its layout flags
            parts["inspect"] = True
        return RenderCache.key_of(parts)

    @staticmethod
    def key_of(parts: dict) -> str:
        """The key of an entry named by ``parts`` (JSON values): a store keyed by something other
        than the code (the ReachQA benchmark's images, by image name) shares this storage."""
        blob = json.dumps(parts, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.json", folder / f"{key}.jpg"

    def get(self, key: str) -> tuple[dict, bytes | None] | None:
        meta_path, image_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text())
            image = image_path.read_bytes() if meta.get("status") == "ok" else None
        except (OSError, ValueError):
            return None
        if image is not None and hashlib.sha256(image).hexdigest() != meta.get("sha256"):
            return None  # a damaged entry is a miss, never a wrong image
        return meta, image

    def put(self, key: str, meta: dict, image: bytes | None) -> None:
        if meta.get("status") != "ok" and str(meta.get("error") or "").startswith(TRANSIENT_ERRORS):
            return
        meta_path, image_path = self._paths(key)
        if image is not None:
            atomic_write(image_path, image)
        atomic_write(meta_path, json.dumps(meta).encode())
