"""Prediction files: append-only JSONL, one flushed line per answered sample, resumable.

A record holds ``id, benchmark, subset, question, answer, prediction`` plus provenance
(``model``, ``engine``, ``finish_reason``, token counts). :class:`PredictionWriter` skips ids that
are already in the file, so an interrupted ``reachqa infer`` continues where it stopped; a torn
last line (a crash mid-write) is cut off before appending.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

from reachqa_builder.fileio import iter_jsonl

__all__ = ["REQUIRED_FIELDS", "PredictionWriter", "iter_prediction_files", "read_predictions"]

REQUIRED_FIELDS = ("id", "benchmark", "subset", "question", "answer", "prediction")


def _check(record: dict[str, Any], where: str) -> None:
    missing = [k for k in REQUIRED_FIELDS if k not in record]
    if missing:
        raise ValueError(f"{where}: prediction record lacks {missing}")


def read_predictions(path: str | os.PathLike) -> list[dict[str, Any]]:
    """All complete records of a prediction JSONL file (a torn last line is ignored)."""
    out: list[dict[str, Any]] = []
    for n, rec in enumerate(iter_jsonl(path, what="prediction file", torn_tail_ok=True), 1):
        _check(rec, f"{path}:{n}")
        out.append(rec)
    return out


def iter_prediction_files(folder: str | os.PathLike) -> Iterator[Path]:
    folder = Path(folder)
    if folder.is_file():
        yield folder
        return
    if not folder.is_dir():
        raise FileNotFoundError(f"no prediction folder or file at {folder}")
    yield from sorted(folder.glob("*.jsonl"))


class PredictionWriter:
    """Append records to ``path``; ``done`` holds the ids already written (earlier runs included)."""

    def __init__(self, path: str | os.PathLike, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.done: set[str] = set()
        if self.path.exists():
            self._repair_tail()
            self.done = {str(r["id"]) for r in read_predictions(self.path)}
        self._fh = open(self.path, "a", encoding="utf-8")

    def _repair_tail(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as fh:
                fh.truncate(cut)

    def write(self, record: dict[str, Any]) -> None:
        _check(record, str(self.path))
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())
        self.done.add(str(record["id"]))

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "PredictionWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
