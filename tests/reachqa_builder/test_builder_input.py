"""Reading the ReachQA layout: data roots, split folders, the released data, and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reachqa_builder import ReachQA
from reachqa_builder.generation import load_sources
from reachqa_builder.layout import LayoutError, find_splits, iter_json_records

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import SCRIPTS, SHARED_DATA, TRAIN_SCRIPTS, chart_id, write_root, write_split
from tests.prerequisites import needs_shared


def test_root_and_split_folders_are_both_accepted(tmp_path):
    root = write_root(tmp_path / "data")
    assert [(s.name, s.qa_file is not None) for s in find_splits(root)] == [("test", True), ("train", False)]
    assert [s.name for s in find_splits(root, "train")] == ["train"]
    assert [s.name for s in find_splits(root / "reachqa_test")] == ["test"]
    assert [s.name for s in find_splits(root / "reachqa_test", "synthetic")] == ["synthetic"]
    plain = write_split(tmp_path / "my-charts", {"t3": SCRIPTS["t3"]}, split="x")
    assert [s.name for s in find_splits(plain)] == ["train"]
    with pytest.raises(LayoutError, match="no split 'valid'; found test, train"):
        find_splits(root, "valid")


def test_qa_leaves_out_splits_without_qa_and_charts_keeps_them(tmp_path, caplog):
    root = write_root(tmp_path / "data")
    qa = load_sources("qa", root)
    assert [s.name for s in qa] == ["test"]
    assert len(qa[0].qas) == 2 * len(SCRIPTS) and len(qa[0].charts) == len(SCRIPTS)
    assert "no Q&A file" in caplog.text and "'train'" in caplog.text
    charts = load_sources("charts", root)
    assert [(s.name, len(s.charts), s.qas) for s in charts] == [("test", 4, None), ("train", len(TRAIN_SCRIPTS), None)]
    assert charts[1].charts[0].code == TRAIN_SCRIPTS["r1"]
    with pytest.raises(LayoutError, match="no split has a Q&A file"):
        load_sources("qa", root / "reachqa_train")


@needs_shared(SHARED_DATA / "reachqa_test", "released ReachQA test data")
def test_released_data_gives_the_2000_test_questions(caplog):
    splits = load_sources("qa", SHARED_DATA)
    assert [s.name for s in splits] == ["test"]
    test = splits[0]
    assert len(test.qas) == 2000 and len(test.charts) == 500
    assert sum(q.qa_type == "Reasoning" for q in test.qas) == 1000
    assert len({c.major_chart_type for c in test.charts}) == 10
    assert "'train'" in caplog.text and "left out" in caplog.text
    charts = load_sources("charts", SHARED_DATA)
    assert {s.name: len(s.charts) for s in charts} == {"test": 500, "train": 3249}


def test_json_records_report_their_lines(tmp_path):
    arr = tmp_path / "a.json"
    arr.write_text('[\n {"a": 1},\n\n {"b": 2}\n]\n')
    assert list(iter_json_records(arr)) == [(2, {"a": 1}), (4, {"b": 2})]
    lines = tmp_path / "a.jsonl"
    lines.write_text('{"a": 1}\n\n{"b": 2}\n')
    assert list(iter_json_records(lines)) == [(1, {"a": 1}), (3, {"b": 2})]


# --- bad input: a clear error naming the file and line ------------------------------------------

def _root(tmp_path):
    return write_root(tmp_path / "data")


def _edit_plot_info(tmp_path, index: int, edit) -> tuple[Path, Path]:
    """The test folder with line ``index`` of its plot_info replaced by ``edit(line)``."""
    root = _root(tmp_path)
    info = root / "reachqa_test" / "plot_info.jsonl"
    lines = info.read_text().splitlines()
    lines[index] = edit(lines[index])
    info.write_text("\n".join(lines) + "\n")
    return root, info


def test_malformed_plot_info_line(tmp_path):
    root, info = _edit_plot_info(tmp_path, 2, lambda line: line[:-5])
    with pytest.raises(LayoutError, match=rf"{info}:3: malformed JSON line"):
        load_sources("charts", root)


def test_plot_info_record_without_code(tmp_path):
    def drop_code(line: str) -> str:
        record = json.loads(line)
        del record["code"]
        return json.dumps(record)

    root, info = _edit_plot_info(tmp_path, 1, drop_code)
    with pytest.raises(LayoutError, match=rf"{info}:2: missing field 'code'"):
        load_sources("charts", root)


def test_qa_naming_a_missing_chart(tmp_path):
    root = _root(tmp_path)
    qa_file = root / "reachqa_test" / "instruction_data.json"
    records = json.loads(qa_file.read_text())
    records[3]["plot_id"] = "reachqa-test-plot-99999"
    qa_file.write_text(json.dumps(records, indent=1))
    line = qa_file.read_text().splitlines().index(" {") + 1  # first record's line
    with pytest.raises(LayoutError) as err:
        load_sources("qa", root)
    msg = str(err.value)
    assert msg.startswith(f"{qa_file}:") and "'reachqa-test-plot-99999'" in msg and "not in" in msg
    bad_line = int(msg.split(":")[1])
    assert bad_line > line and '"plot_id": "reachqa-test-plot-99999"' in "\n".join(
        qa_file.read_text().splitlines()[bad_line - 1:bad_line + 6])


def test_script_that_is_not_utf8(tmp_path):
    root = _root(tmp_path)
    script = root / "reachqa_test" / "code" / "t2.py"
    script.write_bytes(b"import matplotlib.pyplot as plt\n# caf\xe9\nplt.show()\n")
    with pytest.raises(LayoutError, match=rf"{script}:2: chart '{chart_id('test', 't2')}'.*not valid UTF-8"):
        load_sources("charts", root)


def test_missing_script_and_duplicate_id(tmp_path):
    root = _root(tmp_path)
    (root / "reachqa_test" / "code" / "t3.py").unlink()
    with pytest.raises(LayoutError, match=r"plot_info.jsonl:3: chart .* script 'code/t3.py' not found"):
        load_sources("charts", root)
    shutil.rmtree(root)
    root = _root(tmp_path)
    info = root / "reachqa_test" / "plot_info.jsonl"
    lines = info.read_text().splitlines()
    info.write_text("\n".join(lines + [lines[0]]) + "\n")
    with pytest.raises(LayoutError, match=rf"{info}:5: duplicate chart id .* \(first on line 1\)"):
        load_sources("charts", root)


def test_paths_that_are_not_directories(tmp_path):
    with pytest.raises(LayoutError, match="no such directory"):
        find_splits(tmp_path / "nope")
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(LayoutError, match=rf"{f}: not a directory"):
        find_splits(f)
    with pytest.raises(LayoutError, match="neither a split folder"):
        find_splits(tmp_path)


def test_bad_input_fails_before_rendering_and_the_cache_keeps_what_was_rendered(tmp_path):
    root = write_split(tmp_path / "split", {"t3": SCRIPTS["t3"]}, split="test")
    kw = dict(data_dir=str(root), render_env="current", render_cache_dir=str(tmp_path / "rc"), progress=False)
    first = ReachQA(config_name="charts", cache_dir=str(tmp_path / "hf1"), **kw)
    first.download_and_prepare()
    assert first.render_reports["train"].rendered == 1
    info = root / "plot_info.jsonl"
    good = info.read_text()
    info.write_text(good + "{not json\n")
    with pytest.raises(LayoutError, match=rf"{info}:2:"):
        ReachQA(config_name="charts", cache_dir=str(tmp_path / "hf2"), **kw).download_and_prepare()
    info.write_text(good)
    again = ReachQA(config_name="charts", cache_dir=str(tmp_path / "hf3"), **kw)
    again.download_and_prepare()
    assert again.render_reports["train"].rendered == 0 and again.render_reports["train"].cached == 1
