"""The site's images: each distinct image once, named by its sha256, plus a cached thumbnail.

Full images are copied byte for byte to ``SITE/img/<sha[:2]>/<sha>.<ext>``. Thumbnails are made
once per image content and width and kept in a content-keyed cache
(``$REACHQA_HOME/viewer-thumbs/<sha>-w<width>.jpg`` by default), so rebuilding a site, or building
another site over the same charts, decodes no image twice; they are copied (hard-linked where
possible) to ``SITE/thumb/<sha[:2]>/<sha>.jpg``. An image that does not decode is counted and
gets no thumbnail (the page shows its alt text); it is never silently dropped.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..fileio import atomic_write


THUMB_WIDTH = 360


def write_file(path: Path, data: bytes) -> None:
    """Atomic, without fsync: everything the viewer writes can be made again, and thousands of
    fsyncs made a site build disk-bound."""
    atomic_write(path, data, fsync=False)


def default_thumb_cache() -> Path:
    from ..paths import reachqa_home

    return reachqa_home() / "viewer-thumbs"


def _ext(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return "bin"


def make_thumbnail(data: bytes, width: int = THUMB_WIDTH) -> bytes:
    """A JPEG at most ``width`` pixels wide (JPEG sources are decoded at reduced scale: fast)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        if im.width > width:
            im.draft("RGB", (width, max(1, im.height * width // im.width)))
        im = im.convert("RGB")
        if im.width > width:
            im = im.resize((width, max(1, round(im.height * width / im.width))), Image.LANCZOS)
        out = io.BytesIO()
        im.save(out, "JPEG", quality=82, optimize=True)
        return out.getvalue()


@dataclass
class ImageStore:
    """Adds images to a site folder; :meth:`add` returns the image's sha256 (its key in the site)."""

    site_dir: Path
    cache_dir: Path | None = None
    thumb_width: int = THUMB_WIDTH
    paths: dict[str, str] = field(default_factory=dict)  # sha -> relative path of the full image
    thumbs_made: int = 0
    thumbs_cached: int = 0
    undecodable: list[str] = field(default_factory=list)
    bad: dict[str, str] = field(default_factory=dict)  # sha -> why it does not decode

    def __post_init__(self) -> None:
        self.site_dir = Path(self.site_dir)
        self.cache_dir = Path(self.cache_dir) if self.cache_dir else default_thumb_cache()
        self.cache_dir.mkdir(parents=True, exist_ok=True)

    def add(self, data: bytes | None) -> str:
        if not data:
            return ""
        sha = hashlib.sha256(data).hexdigest()
        if sha in self.paths:
            return sha
        rel = f"img/{sha[:2]}/{sha}.{_ext(data)}"
        target = self.site_dir / rel
        if not (target.is_file() and target.stat().st_size == len(data)):
            write_file(target, data)
        self.paths[sha] = rel
        self._thumbnail(sha, data)
        return sha

    def thumb_path(self, sha: str) -> str:
        return f"thumb/{sha[:2]}/{sha}.jpg"

    def _thumbnail(self, sha: str, data: bytes) -> None:
        target = self.site_dir / self.thumb_path(sha)
        cached = self.cache_dir / f"{sha}-w{self.thumb_width}.jpg"
        if cached.is_file() and cached.stat().st_size > 0:
            self.thumbs_cached += 1
        else:
            try:
                thumb = make_thumbnail(data, self.thumb_width)
            except Exception as exc:  # noqa: BLE001 - any decoder failure: counted, reported
                self.undecodable.append(f"{sha[:12]}: {type(exc).__name__}: {exc}")
                self.bad[sha] = f"{type(exc).__name__}: {exc}"
                return
            write_file(cached, thumb)
            self.thumbs_made += 1
        if target.is_file() and target.stat().st_size == cached.stat().st_size:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            os.link(cached, tmp)
        except OSError:
            tmp.write_bytes(cached.read_bytes())
        os.replace(tmp, target)

    def has_thumb(self, sha: str) -> bool:
        return bool(sha) and (self.site_dir / self.thumb_path(sha)).is_file()
