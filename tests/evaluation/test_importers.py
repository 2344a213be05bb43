"""Predictions from ms-swift, VLMEvalKit and lmms-eval (0.2 to 0.7) read into reachqa records;
the fixtures are written in each tool's own file layout."""

from __future__ import annotations

import csv
import json

import pytest

from evaluation.benchmarks.names import canonical_benchmark, canonical_subset
from evaluation.importers import detect_format, import_predictions


def _jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _triples(recs):
    return [(r["benchmark"], r["subset"], r["question"], r["answer"], r["prediction"]) for r in recs]


def test_swift_json(tmp_path):
    path = tmp_path / "llava-base-ChartQA.json"
    path.write_text(json.dumps([{"question": "q1", "answer": "5", "split": "Human", "prediction": "p1"},
                                {"question": "q2", "answer": "7", "split": "Augmented", "prediction": "p2"}]))
    recs = import_predictions(path)  # the benchmark comes from the file name
    assert detect_format(path) == "swift"
    assert [(r["id"], r["subset"], r["answer"], r["prediction"], r["benchmark"]) for r in recs] == [
        ("0", "human", "5", "p1", "chartqa"), ("1", "augmented", "7", "p2", "chartqa")]
    reach = tmp_path / "model-ReachQA-test.json"
    reach.write_text(json.dumps([{"question": "q", "answer": "a", "split": "Recognizing", "prediction": "p"}]))
    assert import_predictions(reach)[0]["subset"] == "recognition"


def test_ms_swift_infer_jsonl(tmp_path):
    rows = [{"response": "r", "labels": "3", "messages": [{"role": "user", "content": "<image>How many?"},
                                                          {"role": "assistant", "content": "r"}]}]
    (rec,) = import_predictions(_jsonl(tmp_path / "infer.jsonl", rows), "swift")
    assert (rec["question"], rec["answer"], rec["prediction"], rec["benchmark"]) == ("How many?", "3", "r", "infer")


def _vlmevalkit_rows():
    return [["index", "question", "answer", "prediction", "split", "image_path"],
            [0, "How many bars?", 3, "There are 3.", "Reasoning", "a.png"],
            [1, "Top value?", "7", None, "Recognizing", "b.png"]]


def _xlsx(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _table(path, rows, delimiter):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(["" if v is None else v for v in r] for r in rows)
    return path


EXPECTED_REACHQA = [("reachqa", "reasoning", "How many bars?", "3", "There are 3."),
                    ("reachqa", "recognition", "Top value?", "7", "")]


@pytest.mark.parametrize("suffix", [".xlsx", ".tsv", ".csv"])
def test_vlmevalkit_file_kinds(tmp_path, suffix):
    path = tmp_path / "Qwen2-VL-7B" / f"Qwen2-VL-7B_ReachQA{suffix}"
    if suffix == ".xlsx":
        _xlsx(path, _vlmevalkit_rows())
    else:
        rows = _vlmevalkit_rows()
        rows[1][1] = "How many\tbars?" if suffix == ".csv" else "How many bars?"  # quoting survives
        _table(path, rows, "\t" if suffix == ".tsv" else ",")
    recs = import_predictions(path)
    assert detect_format(path) == "vlmevalkit"
    expected = list(EXPECTED_REACHQA)
    if suffix == ".csv":
        expected[0] = ("reachqa", "reasoning", "How many\tbars?", "3", "There are 3.")
    assert _triples(recs) == expected and recs[0]["model"] == "Qwen2-VL-7B"


def test_vlmevalkit_folder_with_judge_files(tmp_path):
    folder = tmp_path / "llava-reachqa"
    _xlsx(folder / "llava-reachqa_ChartQA_TEST.xlsx",
          [["index", "question", "answer", "prediction", "category"], [0, "q", "5", "5", "human_test"]])
    # the judge's copy (extra columns) and a score file, named after the predictions they scored
    _xlsx(folder / "llava-reachqa_ChartQA_TEST_gpt-4o-mini.xlsx",
          [["index", "question", "answer", "prediction", "category", "res", "log"], [0, "q", "5", "5", "human", 1, ""]])
    _table(folder / "llava-reachqa_ChartQA_TEST_acc.csv", [["split", "Overall"], ["test", 100.0]], ",")
    _xlsx(folder / "llava-reachqa_MathVista_MINI.xlsx",
          [["index", "question", "answer", "prediction", "question_type"], [7, "x?", "4", "4", "free_form"]])
    recs = import_predictions(folder)
    assert sorted((r["benchmark"], r["subset"], r["id"]) for r in recs) == [
        ("chartqa", "human", "0"), ("mathvista", "free_form", "7")]  # the model's name does not confuse it
    with pytest.raises(ValueError, match="holds predictions for 2 datasets"):
        import_predictions(folder, benchmark="chartqa")
    _table(folder / "notes.csv", [["a", "b"], [1, 2]], ",")
    with pytest.raises(ValueError, match=r"notes.csv: VLMEvalKit sheet lacks columns"):
        import_predictions(folder)


def test_vlmevalkit_missing_columns(tmp_path):
    _xlsx(tmp_path / "x.xlsx", [["index", "question", "prediction"]])
    with pytest.raises(ValueError, match=r"lacks columns \['answer'\]"):
        import_predictions(tmp_path / "x.xlsx")


# lmms-eval samples as each version wrote them (generate_until tasks, one response per document)
def _sample_v02(i, doc):   # 0.2: the log JSON's "logs", resps [[text]], filtered_resps [text]
    return {"doc_id": i, "doc": doc, "target": doc["answer"], "arguments": [[doc["question"], {"max_new_tokens": 16}]],
            "resps": [[f"The answer is {doc['answer']}"]], "filtered_resps": [f"The answer is {doc['answer']}"]}


def _sample_v03(i, doc):   # 0.3: samples JSONL; arguments keep the serialisable request args
    return {**_sample_v02(i, doc), "doc_hash": "h", "prompt_hash": "p", "target_hash": "t", "relaxed_overall": 1.0,
            "arguments": [doc["question"], {"max_new_tokens": 16}, i, "chartqa", "test"]}


def _sample_v05(i, doc):   # 0.4-0.6: the document's text fields are not kept; the prompt is in "input"
    s = _sample_v03(i, doc)
    s["doc"] = {"type": doc["type"]}
    s["input"] = doc["question"]
    s["target"] = doc["answer"]
    return s


def _sample_v07(i, doc):   # 0.7: single responses flattened: resps [text], filtered_resps text
    s = _sample_v03(i, doc)
    s["resps"], s["filtered_resps"] = s["filtered_resps"], s["filtered_resps"][0]
    return s


def _sample_args_only(i, doc):  # no question in doc and no input: only the request arguments
    s = _sample_v03(i, doc)
    s["doc"] = {"type": doc["type"]}
    s["arguments"] = {"gen_args_0": {"arg_0": doc["question"], "arg_1": {"max_new_tokens": 16}}}
    return s


DOCS = [{"question": "What is the highest value?", "answer": "71708", "type": "human_test"},
        {"question": "How many bars?", "answer": "3", "type": "augmented_test"}]
EXPECTED_LMMS = [("chartqa", "human", "What is the highest value?", "71708", "The answer is 71708"),
                 ("chartqa", "augmented", "How many bars?", "3", "The answer is 3")]


def test_lmms_eval_02_log_json(tmp_path):
    path = tmp_path / "chartqa.json"
    path.write_text(json.dumps({"model_configs": {"task": "chartqa"},
                                "logs": [_sample_v02(i, d) for i, d in enumerate(DOCS)]}))
    assert detect_format(path) == "lmms-eval" and _triples(import_predictions(path)) == EXPECTED_LMMS


@pytest.mark.parametrize("make", [_sample_v03, _sample_v05, _sample_v07, _sample_args_only])
def test_lmms_eval_samples_jsonl_versions(tmp_path, make):
    path = _jsonl(tmp_path / "20250101_120000_samples_chartqa.jsonl", [make(i, d) for i, d in enumerate(DOCS)])
    recs = import_predictions(path)
    assert detect_format(path) == "lmms-eval"
    assert _triples(recs) == EXPECTED_LMMS and [r["id"] for r in recs] == ["0", "1"]


def test_lmms_eval_output_folder(tmp_path):
    run = tmp_path / "logs" / "llava__reachqa"
    run.mkdir(parents=True)
    (run / "20250101_120000_results.json").write_text(json.dumps({
        "results": {"chartqa": {"relaxed_overall,none": 1.0}, "charxiv_val_reasoning": {"acc,none": 0.5}},
        "configs": {"chartqa": {"task": "chartqa"}, "charxiv_val_reasoning": {"task": "charxiv_val_reasoning"}},
        "config": {"model": "llava", "model_args": "pretrained=runs/llava-reachqa,conv_template=vicuna"}}))
    _jsonl(run / "20250101_120000_samples_chartqa.jsonl", [_sample_v07(i, d) for i, d in enumerate(DOCS)])
    cx = {"question": "Which series grows fastest?", "answer": "A", "type": "x"}
    _jsonl(run / "samples_charxiv_val_reasoning_2025-01-01T12-00-00.123456.jsonl", [_sample_v03(0, cx)])
    recs = import_predictions(tmp_path / "logs")
    assert detect_format(tmp_path / "logs") == "lmms-eval"
    assert sorted(_triples(recs)) == sorted(EXPECTED_LMMS + [
        ("charxiv", "reasoning", "Which series grows fastest?", "A", "The answer is A")])
    assert {r["model"] for r in recs} == {"runs/llava-reachqa"}
    assert [r["id"] for r in recs if r["benchmark"] == "charxiv"] == ["reasoning-0"]


@pytest.mark.parametrize("change,message", [
    (lambda s: s.update(filtered_resps={"text": "x"}), "filtered_resps is a dict"),
    (lambda s: s.update(filtered_resps=["a", "b"]), "holds 2 responses"),
    (lambda s: s.update(filtered_resps=[7]), "filtered_resps is a int"),
    (lambda s: (s.pop("filtered_resps"), s.pop("resps")), "no filtered_resps or resps"),
    (lambda s: s.update(doc={}, arguments=[]), "no question in doc, input or arguments"),
    (lambda s: s.update(doc={"question": "q", "answer": ["1", "2"]}), "target holds 2 answers"),
    (lambda s: s.update(doc=["not", "a", "dict"]), "doc is a list"),
])
def test_lmms_eval_unexpected_shapes_are_errors(tmp_path, change, message):
    sample = _sample_v03(0, DOCS[0])
    change(sample)
    path = _jsonl(tmp_path / "samples_chartqa.jsonl", [sample])
    with pytest.raises(ValueError, match=message):
        import_predictions(path, "lmms-eval")


def test_same_names_whatever_the_source():
    for raw in ("ChartQA_TEST", "chartqa", "llava_ChartQA_TEST"):
        assert canonical_benchmark(raw) == ("chartqa", None)
    assert canonical_benchmark("MathVista_MINI") == ("mathvista", None)
    assert canonical_benchmark("mathvista_testmini_cot") == ("mathvista", None)
    assert canonical_benchmark("MathVision") == ("mathvision", None)
    assert canonical_benchmark("math_vision_test") == ("mathvision", None)
    assert canonical_benchmark("CharXiv_descriptive_val") == ("charxiv", "descriptive")
    assert canonical_benchmark("charxiv_val_reasoning") == ("charxiv", "reasoning")
    assert canonical_benchmark("chartqapro") == (None, None)
    with pytest.raises(ValueError, match="several benchmarks"):
        canonical_benchmark("reachqa-model_ChartQA")
    assert canonical_subset("chartqa", "human_test") == canonical_subset("chartqa", "Human") == "human"
    assert canonical_subset("reachqa", "Recognizing") == canonical_subset("reachqa", "recognition") == "recognition"
    assert canonical_subset("chartqa", None) == "all"


def test_unknown_inputs(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"foo": 1}]))
    with pytest.raises(ValueError, match="cannot tell the prediction format"):
        import_predictions(path)
    with pytest.raises(ValueError, match="unknown prediction format"):
        import_predictions(path, "csv")
    with pytest.raises(FileNotFoundError):
        import_predictions(tmp_path / "none.json")


def _sample_v04_no_doc(i, doc):  # >= 0.4: no doc; "input" is the full prompt; per-split metric keys
    split = "human" if doc["type"] == "human_test" else "augmented"
    return {"doc_id": i, "input": doc["question"] + "\nAnswer the question with a single word.",
            "target": doc["answer"], "arguments": {"gen_args_0": {"arg_0": "<image>", "arg_1": {}}},
            "resps": [["The answer is " + doc["answer"]]], "filtered_resps": ["The answer is " + doc["answer"]],
            "doc_hash": "h", "prompt_hash": "p", "target_hash": "t", "relaxed_overall": 1.0,
            f"relaxed_{split}_split": 1.0}


def test_lmms_eval_04_without_doc_keeps_split_and_strips_the_format_suffix(tmp_path):
    path = _jsonl(tmp_path / "20250101_120000_samples_chartqa.jsonl", [_sample_v04_no_doc(i, d) for i, d in enumerate(DOCS)])
    assert _triples(import_predictions(path)) == EXPECTED_LMMS
    # a run whose task config names its own post prompt: the results file says which
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text(json.dumps({
        "results": {"chartqa": {}}, "configs": {"chartqa": {"task": "chartqa", "lmms_eval_specific_kwargs": {
            "default": {"pre_prompt": "Look closely. ", "post_prompt": " Reply in one token."}}}}}))
    sample = _sample_v04_no_doc(0, DOCS[0])
    sample["input"] = "Look closely. What is the highest value? Reply in one token."
    _jsonl(run / "samples_chartqa.jsonl", [sample])
    assert _triples(import_predictions(run)) == EXPECTED_LMMS[:1]


def _pandas_frame():
    import pandas as pd

    return pd.DataFrame({"index": [0, 1], "question": ["What is the highest value?", "How many bars?"],
                         "answer": ["71708", "3"], "prediction": ["71708", float("nan")],
                         "category": ["human_test", "augmented_test"]})


@pytest.mark.parametrize("fmt", ["xlsx", "tsv", "json"])
@pytest.mark.parametrize("run_id", ["T20250101-120000", "T20241203_G8a4f2e1", None])
def test_vlmevalkit_run_folders_model_names_and_pred_formats(tmp_path, fmt, run_id):
    """Written as VLMEvalKit's ``dump`` writes each PRED_FORMAT (pandas; json: ``to_dict('records')``)."""
    model = "ReachQA-LLaVA-8B"  # names a benchmark itself
    folder = tmp_path / model / run_id if run_id else tmp_path / model
    folder.mkdir(parents=True)
    path = folder / f"{model}_ChartQA_TEST.{fmt}"
    frame = _pandas_frame()
    if fmt == "xlsx":
        frame.to_excel(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, sep="\t", index=False, encoding="utf-8", quoting=csv.QUOTE_ALL)
    else:
        json.dump(frame.to_dict("records"), open(path, "w"), indent=4, ensure_ascii=False)
    (folder / "status.json").write_text(json.dumps({"status": "done"}))
    for source in (folder, path):
        recs = import_predictions(source)
        assert detect_format(source) == "vlmevalkit"
        assert [(r["benchmark"], r["subset"], r["question"], r["answer"], r["prediction"]) for r in recs] == [
            ("chartqa", "human", "What is the highest value?", "71708", "71708"),
            ("chartqa", "augmented", "How many bars?", "3", "")]
        assert {r["model"] for r in recs} == {model}
