"""Append-only JSON Lines journals and atomic file writes: what makes a run resumable.

Each stage appends one whole line per finished item (``{"id", "status": "ok" | "dropped", ...}``)
and flushes it, so a crash or SIGKILL loses at most the line being written; a torn last line is
ignored (and cut off) when the journal is opened again. Finished ids are skipped on resume.

Example::

    >>> j = Journal(tmp / "rate.jsonl")                                  # doctest: +SKIP
    >>> j.append({"id": "c00001", "status": "ok", "score": 4.5})       # doctest: +SKIP
    >>> "c00001" in Journal(tmp / "rate.jsonl")                          # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Iterator


def scan_index(fh) -> tuple[dict[str, tuple[int, int, str]], int]:
    """``({id: (offset, length, status)}, good bytes)`` of a journal file, streamed line by line."""
    index: dict[str, tuple[int, int, str]] = {}
    good = 0
    for line in fh:
        if not line.endswith(b"\n"):
            break  # torn last line from a killed writer
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            break
        if isinstance(rec, dict) and "id" in rec:
            index[str(rec["id"])] = (good, len(line), str(rec.get("status", "")))
        good += len(line)
    return index, good


def iter_records(path: str | os.PathLike, status: str | None = None) -> Iterator[dict[str, Any]]:
    """The last record of every id (optionally only those with ``status``), read one at a time:
    memory holds the ids and offsets, never the whole journal."""
    path = Path(path)
    if not path.exists():
        return
    with open(path, "rb") as fh:
        index, _ = scan_index(fh)
        for offset, length, st in index.values():
            if status is None or st == status:
                fh.seek(offset)
                yield json.loads(fh.read(length))


def read_records(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """``{id: last record}`` of a journal, read only (a torn last line is ignored); for small
    journals (prefer :func:`iter_records`)."""
    return {str(r["id"]): r for r in iter_records(path)}


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
            self._index, good = scan_index(fh)
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
            self._reader.seek(entry[0])
            return json.loads(self._reader.read(entry[1]))

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
        if "id" not in record:
            raise ValueError("journal records need an 'id'")
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
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
