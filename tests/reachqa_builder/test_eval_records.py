"""The records of an evaluation run (prediction files, judged.jsonl) have one reader, in the
foundation: what `reachqa infer` and `reachqa judge` write reads back through it, damage is named,
and nothing else spells the files' names or fields."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from evaluation.predictions import PredictionWriter
from reachqa_builder.eval_records import (JUDGED_FILE, PREDICTION_FIELDS, REPORT_FILE, is_prediction_file,
                                          read_judged, read_predictions)

ROOT = Path(__file__).resolve().parents[2]


def _record(i: int) -> dict:
    return {"id": f"q{i}", "benchmark": "chartqa", "subset": "human", "question": "How many?", "answer": "3",
            "prediction": "3", "model": "m"}


def test_what_the_writer_writes_reads_back_and_a_torn_tail_is_cut(tmp_path):
    path = tmp_path / "chartqa.jsonl"
    with PredictionWriter(path) as w:
        for i in range(3):
            w.write(_record(i))
    with open(path, "a") as fh:
        fh.write('{"id": "q3", "bench')  # a crash mid-write
    assert [r["id"] for r in read_predictions(path)] == ["q0", "q1", "q2"] and is_prediction_file(path)
    with PredictionWriter(path) as w:  # resumes: the torn line is cut, not completed
        assert w.done == {"q0", "q1", "q2"}
        w.write(_record(3))
    assert [r["id"] for r in read_predictions(path)] == ["q0", "q1", "q2", "q3"]


@pytest.mark.parametrize("bad, message", [
    ("not json\n", ":2: not a JSON record"),
    ('{"id": "q9"}\n', ":2: prediction record lacks ['benchmark', 'subset', 'question', 'answer', 'prediction']"),
    ("[1, 2]\n", ":2: a prediction record is a JSON object, got list"),
])
def test_a_bad_line_is_named_by_file_and_line(tmp_path, bad, message):
    path = tmp_path / "preds.jsonl"
    path.write_text(json.dumps(_record(0)) + "\n" + bad + json.dumps(_record(1)) + "\n")
    with pytest.raises(ValueError) as info:
        read_predictions(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_judged_runs_are_read_from_the_folder_or_the_file(tmp_path):
    (tmp_path / JUDGED_FILE).write_text("".join(json.dumps(dict(_record(i), judge="correct")) + "\n" for i in range(2)))
    assert [r["judge"] for r in read_judged(tmp_path)] == ["correct", "correct"]
    assert read_judged(tmp_path / JUDGED_FILE) == read_judged(tmp_path)
    with pytest.raises(FileNotFoundError, match=f"no {JUDGED_FILE} at"):
        read_judged(tmp_path / "elsewhere")


def test_foreign_json_lines_are_not_prediction_files(tmp_path):
    other = tmp_path / "plot_info.jsonl"
    other.write_text('{"id": "c1", "code": "c1.py"}\n')
    assert not is_prediction_file(other) and not is_prediction_file(tmp_path / "missing.jsonl")


def _spellings(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module spells the evaluation files' names or the prediction fields itself."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in (JUDGED_FILE, REPORT_FILE):
            found.append((node.lineno, node.value))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            if {"id", "question", "answer", "prediction"} <= values:
                found.append((node.lineno, "the prediction fields"))
    return found


def test_nothing_but_the_format_modules_spells_the_files_or_the_fields():
    homes = {"reachqa_builder/eval_records.py", "reachqa_builder/eval_report.py"}
    found = []
    for package in ("reachqa_builder", "evaluation", "synthesis", "training"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in homes:
                found += [f"{rel}:{line} {what}" for line, what in _spellings(ast.parse(path.read_text()))]
    assert not found, found


def test_the_scan_finds_a_second_spelling():
    src = 'OUT = "judged.jsonl"\nFIELDS = ("id", "benchmark", "question", "answer", "prediction")\nopen(d / "report.json")\n'
    assert [line for line, _ in _spellings(ast.parse(src))] == [1, 2, 3]
    assert PREDICTION_FIELDS[0] == "id"
