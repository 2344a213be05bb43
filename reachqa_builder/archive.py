"""The released ReachQA data: the repository archive at the pinned commit, downloaded once.

The archive (``https://github.com/hewei2001/ReachQA/archive/<commit>.zip``) holds one folder,
``ReachQA-<commit>/``, whose ``data/`` is a ReachQA data root: ``reachqa_train/`` (3,249 chart
scripts and the 20k train Q&A, ``instruction_data_20k.json``) and ``reachqa_test/`` (500 scripts
and the 2k test Q&A). Only ``data/`` is extracted.

The URL is ``ReachQAConfig.archive_url`` (``reachqa build --archive-url``), else
``$REACHQA_ARCHIVE_URL``, else the GitHub archive. A download is cached per URL; it is written to
a temporary folder beside the cache entry and moved into place only once it is complete and
extracted, so a failed or broken download leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from .release import REACHQA_ARCHIVE_URL

ARCHIVE_URL_ENV = "REACHQA_ARCHIVE_URL"
COMPLETE = ".reachqa-complete"
CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """The archive could not be downloaded or is not a ReachQA repository archive."""


def archive_url(configured: str | None = None) -> str:
    """The archive URL in force: ``configured``, else ``$REACHQA_ARCHIVE_URL``, else the pinned GitHub archive."""
    return configured or os.environ.get(ARCHIVE_URL_ENV) or REACHQA_ARCHIVE_URL


def _download(url: str, dest: Path, timeout: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply, open(dest, "wb") as fh:
            expected = reply.headers.get("Content-Length")
            got = 0
            while chunk := reply.read(CHUNK):
                fh.write(chunk)
                got += len(chunk)
            if expected is not None and got != int(expected):
                raise DownloadError(f"could not download the ReachQA archive from {url}: "
                                    f"the connection closed after {got} of {expected} bytes")
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"could not download the ReachQA archive from {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"could not download the ReachQA archive from {url}: {reason}") from None
    except ValueError as exc:  # not a URL urllib knows
        raise DownloadError(f"could not download the ReachQA archive from {url!r}: {exc}") from None


def _extract_data(zpath: Path, dest: Path, url: str) -> Path:
    """Extract the ``<top>/data/`` members of the archive into ``dest``; returns the data root."""
    try:
        with zipfile.ZipFile(zpath) as zf:
            members = []
            for info in zf.infolist():
                parts = PurePosixPath(info.filename).parts
                if info.filename.startswith("/") or ".." in parts:
                    raise DownloadError(f"the archive from {url} holds an unsafe path {info.filename!r}")
                if len(parts) >= 2 and parts[1] == "data":
                    members.append(info)
            tops = {PurePosixPath(m.filename).parts[0] for m in members}
            if len(tops) != 1:
                raise DownloadError(f"the archive from {url} is not a ReachQA repository archive: expected one "
                                    f"<folder>/data/ tree, found {len(tops)}")
            zf.extractall(dest, members)
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"the file downloaded from {url} is not a valid zip archive ({exc})") from None
    except (zipfile.LargeZipFile, EOFError) as exc:
        raise DownloadError(f"the archive from {url} cannot be read ({exc})") from None
    return dest / tops.pop() / "data"


def fetch_release(url: str, cache_dir: str | Path, *, timeout: float = 120.0) -> Path:
    """The ``data/`` root of the archive at ``url``, downloaded and extracted into ``cache_dir`` once."""
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    entry = cache / f"reachqa-archive-{hashlib.sha256(url.encode()).hexdigest()[:16]}"
    if (entry / COMPLETE).is_file():
        return entry / (entry / COMPLETE).read_text(encoding="utf-8").strip()
    with tempfile.TemporaryDirectory(prefix=f".{entry.name}-", dir=cache) as tmp:
        zpath = Path(tmp) / "archive.zip"
        _download(url, zpath, timeout)
        extracted = Path(tmp) / "extracted"
        data = _extract_data(zpath, extracted, url)
        if not data.is_dir() or not any(p.name.startswith("reachqa_") for p in data.iterdir()):
            raise DownloadError(f"the archive from {url} has no data/reachqa_<split>/ folders")
        relative = data.relative_to(extracted).as_posix()
        (extracted / COMPLETE).write_text(relative + "\n", encoding="utf-8")
        if entry.exists():  # an incomplete entry (no marker) from an older, interrupted layout
            shutil.rmtree(entry)
        os.replace(extracted, entry)
    return entry / relative
