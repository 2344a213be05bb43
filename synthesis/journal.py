"""The journal writer: append-only JSON Lines, what makes a run resumable.

Each stage appends one whole line per finished item (``{"id", "status": "ok" | "dropped", ...}``)
and flushes it, so a crash or SIGKILL loses at most the line being written; a torn last line is
ignored (and cut off) when the journal is opened again. Finished ids are skipped on resume. The
format and its readers are the foundation's (:mod:`reachqa_builder.synthesis_format`).

Example::

    >>> j = Journal(tmp / "rate.jsonl")                                  # doctest: +SKIP
    >>> j.append({"id": "c00001", "status": "ok", "score": 4.5})       # doctest: +SKIP
    >>> "c00001" in Journal(tmp / "rate.jsonl")                          # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator

from reachqa_builder import synthesis_format as _format  # the record format and its readers
from reachqa_builder.moved import moved_name

__all__ = ["Journal"]


def __getattr__(name: str):
    """The readers that moved to the foundation, for one release."""
    if name in ("scan_index", "iter_records", "read_records"):
        return moved_name(__name__, name, _format.__name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Journal:
    """An append-only JSONL file of records keyed by ``id`` (the last record of an id wins).

    Only an index (id -> offset, length, status) stays in memory; records are read back from the
    file when asked for, so journals of any size cost a few dozen bytes per item."""

    def __init__(self, path: str | os.PathLike, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._index: dict[str, tuple[int, int, str]] = {}
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._size = 0
        if self.path.exists():
            self._load()
        self._fh = open(self.path, "ab")
        self._reader = open(self.path, "rb")

    def _load(self) -> None:
        with open(self.path, "rb") as fh:
            self._index, good = _format.scan_index(fh)
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
        if good != size:  # drop the torn tail so later appends start on a fresh line
            with open(self.path, "r+b") as fh:
                fh.truncate(good)
        self._size = good

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._index

    def __len__(self) -> int:
        return len(self._index)

    def get(self, item_id: str) -> dict[str, Any] | None:
        entry = self._index.get(item_id)
        if entry is None:
            return None
        with self._lock:
            return _format.read_at(self._reader, entry)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item_id in list(self._index):
            yield self.get(item_id)

    def count(self, status: str) -> int:
        return sum(e[2] == status for e in self._index.values())

    def ok(self) -> Iterator[dict[str, Any]]:
        """The records with status ok, read one at a time."""
        for item_id, entry in list(self._index.items()):
            if entry[2] == "ok":
                yield self.get(item_id)

    def append(self, record: dict[str, Any]) -> None:
        line = _format.encode_record(record)
        with self._lock:
            self._fh.write(line)
            self._fh.flush()
            if self.fsync:
                os.fsync(self._fh.fileno())
            self._index[str(record["id"])] = (self._size, len(line), str(record.get("status", "")))
            self._size += len(line)

    def close(self) -> None:
        with self._lock:
            for fh in (self._fh, self._reader):
                if not fh.closed:
                    fh.close()
