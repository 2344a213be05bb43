"""Predictions from ms-swift, VLMEvalKit and lmms-eval read into reachqa records."""

from __future__ import annotations

import json

import pytest

from evaluation.importers import detect_format, import_predictions


def test_swift_json(tmp_path):
    path = tmp_path / "llava-base-ChartQA.json"
    path.write_text(json.dumps([{"question": "q1", "answer": "5", "split": "Human", "prediction": "p1"},
                                {"question": "q2", "answer": "7", "split": "Augmented", "prediction": "p2"}]))
    recs = import_predictions(path, benchmark="chartqa")
    assert detect_format(path) == "swift"
    assert [(r["id"], r["subset"], r["answer"], r["prediction"], r["benchmark"]) for r in recs] == [
        ("0", "human", "5", "p1", "chartqa"), ("1", "augmented", "7", "p2", "chartqa")]


def test_ms_swift_infer_jsonl(tmp_path):
    path = tmp_path / "infer.jsonl"
    rows = [{"response": "r", "labels": "3", "messages": [{"role": "user", "content": "<image>How many?"},
                                                          {"role": "assistant", "content": "r"}]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (rec,) = import_predictions(path, "swift")
    assert (rec["question"], rec["answer"], rec["prediction"], rec["benchmark"]) == ("How many?", "3", "r", "infer")


def test_vlmevalkit_xlsx(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["index", "question", "answer", "prediction", "split", "image_path"])
    sheet.append([0, "How many bars?", 3, "There are 3.", "Reasoning", "a.png"])
    sheet.append([1, "Top value?", "7", None, "Recognizing", "b.png"])
    folder = tmp_path / "vlmeval"
    folder.mkdir()
    book.save(folder / "Model_ReachQA.xlsx")
    recs = import_predictions(folder, benchmark="reachqa")
    assert detect_format(folder) == "vlmevalkit"
    assert [(r["id"], r["answer"], r["prediction"], r["subset"]) for r in recs] == [
        ("0", "3", "There are 3.", "reasoning"), ("1", "7", "", "recognizing")]
    (folder / "second.xlsx").write_bytes((folder / "Model_ReachQA.xlsx").read_bytes())
    with pytest.raises(ValueError, match="exactly one .xlsx"):
        import_predictions(folder, "vlmevalkit")


def test_vlmevalkit_missing_columns(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["index", "question", "prediction"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match=r"lacks columns \['answer'\]"):
        import_predictions(tmp_path / "x.xlsx")


def test_lmms_eval_log(tmp_path):
    path = tmp_path / "chartqa.json"
    path.write_text(json.dumps({"logs": [
        {"doc_id": 4, "doc": {"question": "q", "answer": "12", "type": "human_test"}, "target": "12",
         "resps": [["raw"]], "filtered_resps": ["The answer is 12"]},
        {"doc_id": 5, "doc": {"query": "q2"}, "target": ["8"], "resps": [["8"]]}]}))
    recs = import_predictions(path)
    assert detect_format(path) == "lmms-eval"
    assert [(r["id"], r["question"], r["answer"], r["prediction"], r["subset"]) for r in recs] == [
        ("4", "q", "12", "The answer is 12", "human_test"), ("5", "q2", "8", "8", "all")]


def test_unknown_inputs(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"foo": 1}]))
    with pytest.raises(ValueError, match="cannot tell the prediction format"):
        import_predictions(path)
    with pytest.raises(ValueError, match="unknown prediction format"):
        import_predictions(path, "csv")
    with pytest.raises(FileNotFoundError):
        import_predictions(tmp_path / "none.json")
