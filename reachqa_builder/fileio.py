"""Reading and writing files, shared by every package of reachqa.

Writes are atomic (temp file in the same folder, fsync, ``os.replace``): readers see either the old
file or the whole new one. Readers fail with the file and line that is wrong.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterator

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_json", "read_json", "iter_jsonl", "check_parquet"]

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux ``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:  # elsewhere: set and restore (brief, serialized)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync and ``os.replace``.

    Readers see either the old file or the whole new one, never a partial write. The file gets
    the mode a plain ``open(path, "w")`` would give it (``0o666`` less the umask, so 0644 under
    umask 022), not the 0600 of a temp file. ``fsync=False`` skips the flush to disk, for
    files that can be made again (still atomic for readers).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:64]}.")  # fits any legal name
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write` of ``text`` as UTF-8."""
    return atomic_write(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, value: Any, *, indent: int = 2, **dumps_kwargs: Any) -> Path:
    """:func:`atomic_write` of ``value`` as indented JSON (non-ASCII kept) with a final newline."""
    return atomic_write_text(path, json.dumps(value, indent=indent, ensure_ascii=False, **dumps_kwargs) + "\n")


def read_json(path: str | os.PathLike, *, what: str = "file") -> Any:
    """The JSON document in ``path``; a missing file or invalid JSON is an error naming the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None


def iter_jsonl(path: str | os.PathLike, *, what: str = "file", torn_tail_ok: bool = False) -> Iterator[Any]:
    """The records of a JSON-lines file, blank lines skipped; a line that is not JSON is an error
    naming the file and line. ``torn_tail_ok``: an unterminated, unparsable last line (a write cut
    off by a crash) ends the file instead."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                if torn_tail_ok and not line.endswith("\n"):
                    return
                raise ValueError(f"{path}:{n}: not a JSON record: {exc}") from None


def cut_torn_tail(path: str | os.PathLike) -> None:
    """Drop a last line without its newline (a write cut off by a crash) from an append-only file,
    so the next appended line starts fresh instead of completing it into a damaged one."""
    path = Path(path)
    if not path.exists():
        return
    with open(path, "r+b") as fh:
        end = fh.seek(0, os.SEEK_END)
        if end == 0:
            return
        fh.seek(end - 1)
        if fh.read(1) == b"\n":
            return
        pos = end
        while pos > 0:  # back, a block at a time, to the last newline
            start = max(0, pos - 65536)
            fh.seek(start)
            block = fh.read(pos - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                fh.truncate(start + cut + 1)
                return
            pos = start
        fh.truncate(0)


def check_parquet(path: str | os.PathLike) -> Path:
    """``path`` if it ends like a whole Parquet file (``PAR1`` footer magic after a footer length
    that fits); a truncated or foreign file is a ``ValueError`` naming it (pyarrow's own message
    names no file)."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(max(0, size - 8))
        tail = fh.read(8)
    if size < 12 or head != b"PAR1" or tail[4:] != b"PAR1" or int.from_bytes(tail[:4], "little") > size - 12:
        raise ValueError(f"{path}: not a complete Parquet file ({size} bytes; truncated or corrupt): "
                         f"rebuild it with `reachqa build`")
    return path
