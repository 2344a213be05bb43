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


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync and ``os.replace``."""
    from reachqa_builder.fileio import atomic_write

    atomic_write(Path(path), data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def read_records(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """``{id: last record}`` of a journal, read only (a torn last line is ignored)."""
    out: dict[str, dict[str, Any]] = {}
    path = Path(path)
    if not path.exists():
        return out
    for line in path.read_bytes().splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            break
        if isinstance(rec, dict) and "id" in rec:
            out[str(rec["id"])] = rec
    return out


class Journal:
    """An append-only JSONL file of records keyed by ``id`` (the last record of an id wins)."""

    def __init__(self, path: str | os.PathLike, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.records: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._load()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _load(self) -> None:
        data = self.path.read_bytes()
        good = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # torn last line from a killed writer
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break
            if isinstance(rec, dict) and "id" in rec:
                self.records[str(rec["id"])] = rec
            good += len(line)
        if good != len(data):  # drop the torn tail so later appends start on a fresh line
            with open(self.path, "r+b") as fh:
                fh.truncate(good)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self.records

    def __len__(self) -> int:
        return len(self.records)

    def get(self, item_id: str) -> dict[str, Any] | None:
        return self.records.get(item_id)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.records.values()))

    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if r.get("status") == "ok"]

    def append(self, record: dict[str, Any]) -> None:
        if "id" not in record:
            raise ValueError("journal records need an 'id'")
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()
            if self.fsync:
                os.fsync(self._fh.fileno())
            self.records[str(record["id"])] = record

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()
