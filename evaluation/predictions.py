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
from typing import Any

from reachqa_builder.eval_records import check_prediction as _check
from reachqa_builder.eval_records import read_predictions as _read
from reachqa_builder.fileio import cut_torn_tail

__all__ = ["PredictionWriter"]

# the reading half moved to the foundation's one reader of evaluation records
_MOVED = {"REQUIRED_FIELDS": "PREDICTION_FIELDS", "read_predictions": "read_predictions",
          "iter_prediction_files": "iter_prediction_files"}


def __getattr__(name: str):
    if name in _MOVED:
        from reachqa_builder.moved import moved_name

        return moved_name(__name__, name, "reachqa_builder.eval_records", _MOVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PredictionWriter:
    """Append records to ``path``; ``done`` holds the ids already written (earlier runs included)."""

    def __init__(self, path: str | os.PathLike, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.done: set[str] = set()
        if self.path.exists():
            cut_torn_tail(self.path)  # a line a crash cut off is not completed by the next one
            self.done = {str(r["id"]) for r in _read(self.path)}
        self._fh = open(self.path, "a", encoding="utf-8")

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
