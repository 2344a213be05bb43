"""End to end through the ``reachqa`` command: infer (transformers, openai engines), judge and
evaluate, against the local OpenAI-compatible server."""

from __future__ import annotations

import json
import re
import time

from reachqa_builder.eval_records import read_predictions
from reachqa_builder.cli import main
from tests.evaluation import benchmark_fixtures as fx
from tests.evaluation.judge_fixtures import grading_judge
from tests.openai_server import Fault


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _judge_args(openai_server, tmp_path, *extra):
    return ["--judge-model", "judge-1", "--base-url", openai_server.url, "--api-key", "test-key",
            "--cache", str(tmp_path / "v.sqlite"), "--no-progress", *extra]


def test_infer_transformers_resume_then_judge(tmp_path, tiny_model, charts, openai_server, capsys):
    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    rq = fx.write_reachqa_data_json(tmp_path / "rq", charts)
    out = tmp_path / "preds"
    args = ["infer", "--model", str(tiny_model), "--benchmarks", f"chartqa={cq},reachqa={rq}", "--out", str(out),
            "--engine", "transformers", "--batch-size", "2", "--max-new-tokens", "4", "--no-progress"]
    assert main(args + ["--limit", "2"]) == 0
    assert len(read_predictions(out / "chartqa.jsonl")) == 2
    assert main(args) == 0  # resumes: only the missing samples are answered
    cq_preds = read_predictions(out / "chartqa.jsonl")
    assert [p["id"] for p in cq_preds] == ["human-0", "human-1", "augmented-0"]
    assert {p["engine"] for p in cq_preds} == {"transformers"} and all(p["prediction"] for p in cq_preds)
    summary = json.loads((out / "infer_summary.json").read_text())  # both runs are kept
    assert [(r["benchmark"], r["written"], r["skipped"], r["limit"]) for r in summary["runs"]] == [
        ("chartqa", 2, 0, 2), ("reachqa", 2, 0, 2), ("chartqa", 1, 2, None), ("reachqa", 1, 2, None)]
    assert all(r["engine"] == "transformers" and r["date"] for r in summary["runs"])
    # the tiny model's answers are noise; make two of them right so the report has something to show
    recs = _lines(out / "chartqa.jsonl")
    recs[0]["prediction"] = "The second bar is 5. The answer is 5."
    recs[1]["prediction"] = "There are 2.1 bars"
    (out / "chartqa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))

    openai_server.reply = grading_judge
    report = tmp_path / "report"
    capsys.readouterr()
    assert main(["judge", str(out), "--out", str(report), *_judge_args(openai_server, tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "| chartqa | all | 3 |" in table and "| reachqa | recognition |" in table
    summary = json.loads((report / "report.json").read_text())
    chartqa = summary["benchmarks"]["chartqa"]["all"]
    assert chartqa["n"] == 3 and chartqa["judge_accuracy"] == 1 / 3 and chartqa["relaxed_accuracy"] == 1 / 3
    assert chartqa["agreement"] == 1.0  # "2.1 bars" -> judge no, relaxed no ("2.1" vs "2": 5% off)
    assert summary["benchmarks"]["reachqa"]["all"]["relaxed_accuracy"] is None  # long answers: judge only
    meta = summary["meta"]
    assert (meta["model"], meta["engine"], meta["judge_model"], meta["judge_protocol"]) == (
        tiny_model.name, "transformers", "judge-1", "paper")
    assert summary["judge"]["protocol"] == "paper" and summary["judge"]["top_p"] == 0.95
    judged = _lines(report / "judged.jsonl")
    assert len(judged) == 6 and judged[0]["judge"] == "correct" and judged[0]["extracted"] == "5"
    assert judged[0]["judge_reply"].endswith("Correctness: Yes")
    md = (report / "report.md").read_text()
    assert md.startswith("# Evaluation report") and "protocol `paper`" in md and "| ChartQA |" in md


def test_infer_openai_engine(tmp_path, charts, openai_server):
    seen = []

    def reply(req):
        seen.append(req)
        return f"I see {len(req.images)} chart. The answer is 5."

    openai_server.reply = reply
    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    out = tmp_path / "preds"
    assert main(["infer", "--engine", "openai", "--model", "served-vlm", "--base-url", openai_server.url,
                 "--api-key", "test-key", "--benchmarks", f"chartqa={cq}", "--out", str(out), "--no-progress",
                 "--prompt-suffix", "Answer briefly.", "--max-new-tokens", "64"]) == 0
    preds = read_predictions(out / "chartqa.jsonl")
    assert [p["prediction"] for p in preds] == ["I see 1 chart. The answer is 5."] * 3
    assert seen[0].model == "served-vlm" and seen[0].body["max_tokens"] == 64 and seen[0].body["temperature"] == 0
    assert {bytes(r.images[0]) for r in seen} == set(charts)
    assert re.search(r"Answer briefly\.$", seen[0].last_user_text)


def test_infer_openai_failures_are_not_written(tmp_path, charts, openai_server, capsys):
    openai_server.fault_fn = lambda req, n: Fault("400") if "highest" in req.last_user_text else None
    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    out = tmp_path / "preds"
    code = main(["infer", "--engine", "openai", "--model", "m", "--base-url", openai_server.url, "--api-key",
                 "test-key", "--benchmarks", f"chartqa={cq}", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "1 requests failed for good" in err
    assert "(first: augmented-0: http_400: Error code: 400 - Bad request (injected)" in err  # the cause, too
    assert [p["id"] for p in read_predictions(out / "chartqa.jsonl")] == ["human-0", "human-1"]


def _model_or_judge(req):
    """One server for both: the evaluated model answers, the judge grades."""
    if req.model == "judge-1":
        return grading_judge(req)
    return "The bars are 3, 5 and 2.\nThe answer is 5."


def test_evaluate_one_command_resumes(tmp_path, charts, openai_server, capsys):
    openai_server.reply = _model_or_judge
    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    rq = fx.write_reachqa_data_json(tmp_path / "rq", charts)
    out = tmp_path / "eval"
    args = ["evaluate", "--engine", "openai", "--model", "served-vlm", "--base-url", openai_server.url,
            "--api-key", "test-key", "--benchmarks", f"chartqa={cq},reachqa={rq}", "--out", str(out),
            "--judge-model", "judge-1", "--judge-base-url", openai_server.url, "--judge-api-key", "test-key",
            "--judge-cache", str(tmp_path / "v.sqlite"), "--no-progress"]
    assert main(args) == 0
    first = len(openai_server.requests)
    assert first == 6 + 6  # 6 answers, 6 verdicts
    printed = capsys.readouterr().out
    assert "ReachQA Reco." in printed and "MATH-V" in printed
    summary = json.loads((out / "report.json").read_text())
    meta = summary["meta"]
    assert (meta["model"], meta["engine"], meta["adapter"], meta["judge_model"], meta["judge_protocol"]) == (
        "served-vlm", "openai", None, "judge-1", "paper")
    assert re.match(r"\d{4}-\d\d-\d\dT", meta["date"])
    cols = {c["key"]: c for c in summary["paper_table"]["columns"]}
    assert cols["chartqa"]["accuracy"] == 1 / 3  # "5" is right for human-0 only (labels 5, 2, 7)
    assert cols["reachqa/reasoning"]["accuracy"] == 0.0 and cols["chartqa"]["invalid"] == 0
    assert cols["reachqa/recognition"]["n"] == 2 and cols["reachqa/reasoning"]["n"] == 1
    assert summary["paper_table"]["average_over"] == 3 and cols["mathvista"]["accuracy"] is None
    assert (out / "predictions" / "chartqa.jsonl").is_file() and (out / "judged.jsonl").is_file()
    assert main(args) == 0  # everything done: no inference, verdicts from the cache
    assert len(openai_server.requests) == first
    runs = json.loads((out / "predictions" / "infer_summary.json").read_text())["runs"]
    assert [r["written"] for r in runs] == [3, 3, 0, 0]


def test_judge_exit_status_and_warnings(tmp_path, openai_server, capsys):
    preds = tmp_path / "preds.jsonl"
    rows = [{"id": str(i), "benchmark": "chartqa", "subset": "human", "question": f"q{i}", "answer": "5",
             "prediction": "The answer is 5."} for i in range(10)]
    preds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    openai_server.reply = lambda req: "Analysis: fine.\nCorrectness: Yes" if "q0" not in req.last_user_text \
        else "I cannot tell."
    assert main(["judge", str(preds), "--out", str(tmp_path / "r1"), *_judge_args(openai_server, tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "warning: 1 of 10 verdicts (10.0%) are invalid" in err
    cell = json.loads((tmp_path / "r1" / "report.json").read_text())["benchmarks"]["chartqa"]["all"]
    assert cell["judge_accuracy"] == 0.9 and cell["judge_accuracy_scored"] == 1.0 and cell["judge_invalid"] == 1

    openai_server.reply = lambda req: "no verdict here"
    code = main(["judge", str(preds), "--out", str(tmp_path / "r2"), *_judge_args(openai_server, tmp_path),
                 "--cache", str(tmp_path / "other.sqlite")])
    err = capsys.readouterr().err
    assert code == 1 and "the judge scored none of 10 items" in err and "Traceback" not in err

    # --timeout and --max-retries reach the client: a hanging judge gives invalid items quickly
    openai_server.hang_seconds = 5.0
    openai_server.reply = lambda req: "Correctness: Yes"
    openai_server.fault_fn = lambda req, n: Fault("timeout") if "q3" in req.last_user_text else None
    t0 = time.monotonic()
    code = main(["judge", str(preds), "--out", str(tmp_path / "r3"), *_judge_args(openai_server, tmp_path),
                 "--cache", str(tmp_path / "third.sqlite"), "--timeout", "0.5", "--max-retries", "0"])
    assert code == 0 and time.monotonic() - t0 < 5
    assert [r["judge"] for r in _lines(tmp_path / "r3" / "judged.jsonl")].count("invalid") == 1
    assert "timeout" in capsys.readouterr().err


def test_unreachable_judge_is_one_line(tmp_path, capsys):
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": "1", "benchmark": "chartqa", "subset": "human", "question": "q",
                                 "answer": "5", "prediction": "5"}) + "\n")
    t0 = time.monotonic()
    code = main(["judge", str(preds), "--out", str(tmp_path / "r"), "--judge-model", "j", "--base-url",
                 "http://127.0.0.1:9/v1", "--api-key", "k", "--cache", str(tmp_path / "c.sqlite"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and time.monotonic() - t0 < 20
    assert err.count("\n") == 1 and "cannot be used (connection)" in err and "nothing was judged" in err


def test_judge_preflight_retries_flag(tmp_path, openai_server, capsys):
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": "1", "benchmark": "chartqa", "subset": "human", "question": "q",
                                 "answer": "5", "prediction": "5"}) + "\n")
    openai_server.reply = lambda req: "Correctness: Yes"
    openai_server.faults.append(Fault("503"))
    code = main(["judge", str(preds), "--out", str(tmp_path / "r"), *_judge_args(openai_server, tmp_path),
                 "--judge-backoff-base", "0.01", "--judge-preflight-retries", "0"])
    assert code == 1 and "cannot be used (http_503 503)" in capsys.readouterr().err
    openai_server.faults.append(Fault("503"))
    assert main(["judge", str(preds), "--out", str(tmp_path / "r"), *_judge_args(openai_server, tmp_path),
                 "--judge-backoff-base", "0.01"]) == 0  # the default: 2 retries


def test_judge_imported_predictions_relaxed_only(tmp_path, capsys):
    path = tmp_path / "model-ChartQA.json"
    path.write_text(json.dumps([{"question": "q", "answer": "10", "split": "human", "prediction": "answer: 10.3"},
                                {"question": "q", "answer": "10", "split": "human", "prediction": "answer: 11"}]))
    assert main(["judge", str(path), "--format", "swift", "--no-judge", "--out", str(tmp_path / "r")]) == 0
    summary = json.loads((tmp_path / "r" / "report.json").read_text())  # benchmark read from the file name
    assert summary["benchmarks"]["chartqa"]["all"]["relaxed_accuracy"] == 0.5
    assert summary["paper_table"]["metric"] == "relaxed_accuracy"
    other = tmp_path / "my-preds.json"
    other.write_text(path.read_text())
    code = main(["judge", str(other), "--format", "swift", "--no-judge", "--out", str(tmp_path / "r2")])
    err = capsys.readouterr().err
    assert code == 1 and "not a registered benchmark" in err and "nothing was scored" in err


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["infer", "--model", "x", "--benchmarks", "chartqa,nope", "--out", str(tmp_path)]) == 2
    assert "valid names" in capsys.readouterr().err
    code = main(["infer", "--model", "x", "--benchmarks", f"chartx={tmp_path / 'missing'}", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "not found" in err and "Traceback" not in err
    assert main(["judge", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "--judge-model is required" in capsys.readouterr().err
    assert main(["judge", str(tmp_path / "nothing"), "--no-judge", "--out", str(tmp_path / "r")]) == 2
    assert "no prediction file or folder" in capsys.readouterr().err
    assert main(["judge", str(tmp_path), "--no-judge", "--out", str(tmp_path / "r")]) == 2
    assert "cannot tell the prediction format" in capsys.readouterr().err  # an empty folder
