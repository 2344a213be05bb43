"""Append-only JSON-lines files after a crash: the torn last line is cut, whole lines are kept."""

import json

import pytest

from reachqa_builder.fileio import cut_torn_tail, iter_jsonl


@pytest.mark.parametrize("torn", ['{"id": "c2", "st', '{"keys": [' + '"k", ' * 40000])  # the second: > 64 KiB
def test_cut_torn_tail_keeps_every_whole_line(tmp_path, torn):
    path = tmp_path / "log.jsonl"
    whole = "".join(json.dumps({"id": f"c{i}", "pad": "x" * 300}) + "\n" for i in range(300))  # ~100 KB
    path.write_text(whole + torn)
    cut_torn_tail(path)
    assert path.read_text() == whole
    cut_torn_tail(path)  # nothing torn: unchanged
    assert path.read_text() == whole
    with open(path, "a") as fh:
        fh.write(json.dumps({"id": "next"}) + "\n")
    assert [r["id"] for r in iter_jsonl(path)][-2:] == ["c299", "next"]


def test_cut_torn_tail_of_a_file_that_is_one_torn_line(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"id": "c0"')
    cut_torn_tail(path)
    assert path.read_text() == ""
    cut_torn_tail(tmp_path / "missing.jsonl")  # nothing to do
