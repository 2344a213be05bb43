"""End to end through the ``reachqa`` command: infer (transformers, openai engines) and judge."""

from __future__ import annotations

import json
import re

from evaluation.predictions import read_predictions
from reachqa_builder.cli import main
from tests.evaluation import benchmark_fixtures as fx
from tests.evaluation.test_judge import grading_judge


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


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
    summary = json.loads((out / "infer_summary.json").read_text())
    assert [(r["benchmark"], r["written"], r["skipped"]) for r in summary["runs"]] == [("chartqa", 1, 2),
                                                                                        ("reachqa", 1, 2)]
    # the tiny model's answers are noise; make two of them right so the report has something to show
    recs = _lines(out / "chartqa.jsonl")
    recs[0]["prediction"] = "The second bar is 5. The answer is 5."
    recs[1]["prediction"] = "There are 2.1 bars"
    (out / "chartqa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))

    openai_server.reply = grading_judge
    report = tmp_path / "report"
    capsys.readouterr()
    assert main(["judge", str(out), "--judge-model", "judge-1", "--base-url", openai_server.url,
                 "--api-key", "test-key", "--cache", str(tmp_path / "v.sqlite"), "--out", str(report),
                 "--no-progress"]) == 0
    table = capsys.readouterr().out
    assert "| chartqa | all | 3 |" in table and "| reachqa | recognition |" in table
    summary = json.loads((report / "report.json").read_text())
    chartqa = summary["benchmarks"]["chartqa"]["all"]
    assert chartqa["n"] == 3 and chartqa["judge_accuracy"] == 1 / 3 and chartqa["relaxed_accuracy"] == 1 / 3
    assert chartqa["agreement"] == 1.0  # "2.1 bars" -> judge no, relaxed no ("2.1" vs "2": 5% off)
    assert summary["benchmarks"]["reachqa"]["all"]["relaxed_accuracy"] is None  # long answers: judge only
    assert summary["judge"]["judge_model"] == "judge-1"
    judged = _lines(report / "judged.jsonl")
    assert len(judged) == 6 and judged[0]["judge"] == "correct" and judged[0]["extracted"] == "5"
    assert (report / "report.md").read_text().startswith("| benchmark |")


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


def test_infer_openai_failures_are_not_written(tmp_path, charts, openai_server):
    from tests.openai_server import Fault

    openai_server.fault_fn = lambda req, n: Fault("400") if "highest" in req.last_user_text else None
    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    out = tmp_path / "preds"
    code = main(["infer", "--engine", "openai", "--model", "m", "--base-url", openai_server.url, "--api-key",
                 "test-key", "--benchmarks", f"chartqa={cq}", "--out", str(out), "--no-progress"])
    assert code == 1
    assert [p["id"] for p in read_predictions(out / "chartqa.jsonl")] == ["human-0", "human-1"]


def test_judge_imported_predictions_relaxed_only(tmp_path, capsys):
    path = tmp_path / "model-ChartQA.json"
    path.write_text(json.dumps([{"question": "q", "answer": "10", "split": "human", "prediction": "answer: 10.3"},
                                {"question": "q", "answer": "10", "split": "human", "prediction": "answer: 11"}]))
    assert main(["judge", str(path), "--format", "swift", "--benchmark", "chartqa", "--no-judge",
                 "--out", str(tmp_path / "r")]) == 0
    summary = json.loads((tmp_path / "r" / "report.json").read_text())
    assert summary["benchmarks"]["chartqa"]["all"]["relaxed_accuracy"] == 0.5


def test_cli_errors(tmp_path, capsys):
    assert main(["infer", "--model", "x", "--benchmarks", "chartqa,nope", "--out", str(tmp_path)]) == 2
    assert "valid names" in capsys.readouterr().err
    assert main(["judge", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "--judge-model is required" in capsys.readouterr().err
    assert main(["judge", str(tmp_path), "--no-judge", "--out", str(tmp_path / "r")]) == 2
    assert "cannot tell the prediction format" in capsys.readouterr().err  # an empty folder
