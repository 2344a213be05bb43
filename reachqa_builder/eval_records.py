"""The records of an evaluation run: prediction files and ``judged.jsonl``, their one reader.

``reachqa infer`` writes prediction files (``evaluation.predictions.PredictionWriter``: JSON lines,
one per answered sample, with :data:`PREDICTION_FIELDS` plus provenance); ``reachqa judge`` /
``evaluate`` write ``judged.jsonl`` (the same records with their verdicts) and ``report.json``
(read by :mod:`.eval_report`). Everything that reads them (judge, evaluate, compare, the viewer)
reads them here, so a file that does not fit is one error naming the file and the line::

    from reachqa_builder.eval_records import read_judged, read_predictions
    items = read_judged("report/")                 # the folder or its judged.jsonl
    preds = read_predictions("preds/chartqa.jsonl")
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

from .eval_report import REPORT_FILE
from .fileio import iter_jsonl

__all__ = ["PREDICTION_FIELDS", "JUDGED_FILE", "REPORT_FILE", "check_prediction", "read_predictions",
           "is_prediction_file", "iter_prediction_files", "read_judged"]

# what every prediction record holds (the writer refuses a record without them)
PREDICTION_FIELDS = ("id", "benchmark", "subset", "question", "answer", "prediction")
JUDGED_FILE = "judged.jsonl"  # `reachqa judge --out DIR` / `reachqa evaluate --out DIR`, beside REPORT_FILE


def check_prediction(record: Any, where: str) -> None:
    """An error naming ``where`` unless ``record`` is an object with every prediction field."""
    if not isinstance(record, dict):
        raise ValueError(f"{where}: a prediction record is a JSON object, got {type(record).__name__}")
    missing = [k for k in PREDICTION_FIELDS if k not in record]
    if missing:
        raise ValueError(f"{where}: prediction record lacks {missing}")


def read_predictions(path: str | os.PathLike, *, what: str = "prediction file") -> list[dict[str, Any]]:
    """All complete records of a prediction (or judged) JSONL file; a torn last line (a crash
    mid-write) is ignored, any other bad line is an error naming the file and line."""
    out: list[dict[str, Any]] = []
    for n, rec in enumerate(iter_jsonl(path, what=what, torn_tail_ok=True), 1):
        check_prediction(rec, f"{path}:{n}")
        out.append(rec)
    return out


def is_prediction_file(path: str | os.PathLike) -> bool:
    """Whether the first record of a ``.jsonl`` file is a prediction record (how ``reachqa judge``
    and ``reachqa view`` tell reachqa's files from other tools' and from unrelated JSON lines)."""
    try:
        with open(path, encoding="utf-8") as fh:
            first = next((line for line in fh if line.strip()), "")
        rec = json.loads(first)
    except (OSError, ValueError):
        return False
    return isinstance(rec, dict) and all(k in rec for k in PREDICTION_FIELDS)


def iter_prediction_files(folder: str | os.PathLike) -> Iterator[Path]:
    """``folder`` itself when it is a file, else its ``*.jsonl`` files in name order."""
    folder = Path(folder)
    if folder.is_file():
        yield folder
        return
    if not folder.is_dir():
        raise FileNotFoundError(f"no prediction folder or file at {folder}")
    yield from sorted(folder.glob("*.jsonl"))


def read_judged(run: str | os.PathLike) -> list[dict[str, Any]]:
    """The judged records of a run: a folder written by ``reachqa judge`` / ``evaluate`` (its
    ``judged.jsonl``) or that file."""
    path = Path(run)
    path = path / JUDGED_FILE if path.is_dir() else path
    if not path.is_file():
        raise FileNotFoundError(f"no {JUDGED_FILE} at {path} (a folder written by reachqa judge / evaluate)")
    return read_predictions(path, what="judged file")
