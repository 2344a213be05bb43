"""Whole runs on benchmark copies in their real layouts: CharXiv from its published columns through
`reachqa evaluate` (the official questions, CharXiv's own grading beside the paper's judge,
categories and intervals in report.json), plus the rough edges: `judge DIR --out DIR` twice,
a judge answering 5xx, judge tokens and cost, a missing model folder."""

from __future__ import annotations

import json
import re
import time

from reachqa_builder.cli import main
from tests.evaluation import benchmark_fixtures as fx
from tests.evaluation.judge_fixtures import grading_judge
from tests.openai_server import Fault


def _charxiv_grader(req):
    """The judge server: CharXiv grading queries get JSON scores (right when the response holds the
    ground truth), the paper's protocol gets its verdict."""
    text = req.last_user_text
    if "extract_answer_T1" in text:  # descriptive batch
        triples = re.findall(r"T(\d+):\nResponse \d+: (.*?)\nGround Truth \d+: (.*?)\n\n", text, re.DOTALL)
        out = {}
        for k, resp, truth in triples:
            out[f"extract_answer_T{k}"] = resp
            out[f"score_T{k}"] = int(truth.lower() in resp.lower())
        return out
    if "### Your Turn ###" in text:  # reasoning (the rules' examples come before this mark)
        text = text.split("### Your Turn ###")[-1]
        truth = re.search(r"\* Ground Truth: (.*)", text).group(1)
        resp = re.search(r"\* Response: (.*)", text).group(1)
        return {"extracted_answer": resp, "score": int(truth.lower() in resp.lower())}
    return grading_judge(req)


def _model(req):
    q = req.last_user_text
    if "what is its title" in q:
        return "The title is Loss curves."
    if "How many peaks" in q:
        return "The answer is 3."
    return "I am not sure. The answer is 7."


def test_charxiv_real_layout_evaluate(tmp_path, charts, openai_server, capsys):
    openai_server.reply = lambda req: _charxiv_grader(req) if req.model == "judge-1" else _model(req)
    root = fx.write_charxiv_parquet(tmp_path / "charxiv", charts)
    out = tmp_path / "eval"
    args = ["evaluate", "--engine", "openai", "--model", "vlm", "--base-url", openai_server.url, "--api-key",
            "test-key", "--benchmarks", f"charxiv={root}", "--out", str(out), "--judge-model", "judge-1",
            "--judge-base-url", openai_server.url, "--judge-api-key", "test-key",
            "--judge-cache", str(tmp_path / "j.sqlite"), "--no-progress", "--prompt-suffix", "",
            "--judge-price-per-prompt-token", "2e-6", "--judge-price-per-completion-token", "1e-5"]
    assert main(args) == 0
    asked = [r.last_user_text for r in openai_server.requests if r.model == "vlm"]
    assert len(asked) == 15 and any(q.startswith("For the subplot at row 2 and column 1, what is the label") for q in asked)
    graded = [r for r in openai_server.requests if r.model == "judge-1" and "response_format" in r.body]
    assert len(graded) == 3 + 12 and all(r.body["response_format"] == {"type": "json_object"} and
                                         r.body["seed"] == 42 and r.body["top_p"] == 1 for r in graded)
    # descriptive: one batch per template (12 questions, 12 distinct templates), reasoning: one per figure
    assert sum("extract_answer_T1" in r.last_user_text for r in graded) == 12
    summary = json.loads((out / "report.json").read_text())
    cx = summary["benchmarks"]["charxiv"]
    assert cx["all"]["n"] == 15 and cx["all"]["clusters"] == 3 and cx["all"]["clustered_by"] == "chart"
    assert cx["subsets"]["reasoning"]["official_accuracy"] == 1 / 3  # "3" for the peaks question
    assert cx["subsets"]["descriptive"]["official_accuracy"] == 1 / 12  # the title
    assert cx["all"]["official_ci95"] is not None and cx["all"]["judge_ci95"] is not None
    assert set(cx["categories"]) == {"information extraction", "counting", "pattern recognition", "enumeration",
                                     "compositionality", "text-in-chart", "number-in-chart", "number-in-general"}
    usage = summary["judge_usage"]
    assert usage["requests"] == 15 + 15 and usage["prompt_tokens"] > 0
    assert usage["cost"] == 2e-6 * usage["prompt_tokens"] + 1e-5 * usage["completion_tokens"]
    printed = capsys.readouterr().out
    assert "charxiv by category:" in printed and "benchmark's own grading" in printed


def test_judge_reruns_into_its_own_folder(tmp_path, openai_server, capsys):
    openai_server.reply = grading_judge
    preds = tmp_path / "preds"
    preds.mkdir()
    rows = [{"id": str(i), "benchmark": "chartqa", "subset": "human", "question": f"q{i}", "answer": "5",
             "prediction": f"The answer is {4 + i % 2}."} for i in range(6)]
    (preds / "chartqa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["judge", str(preds), "--out", str(preds), "--judge-model", "judge-1", "--base-url", openai_server.url,
            "--api-key", "test-key", "--cache", str(tmp_path / "c.sqlite"), "--no-progress"]
    assert main(args) == 0
    first = json.loads((preds / "report.json").read_text())
    sent = len(openai_server.requests)
    assert main(args) == 0, capsys.readouterr().err  # judged.jsonl in the folder is output, not input
    assert len(openai_server.requests) == sent
    again = json.loads((preds / "report.json").read_text())
    assert again["benchmarks"] == first["benchmarks"] and again["judge_usage"]["requests"] == 0
    assert again["judge_usage"]["cache_hits"] == 6


def test_precheck_stops_on_persistent_5xx(tmp_path, openai_server, capsys):
    openai_server.fault_fn = lambda req, n: Fault("500")
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": str(i), "benchmark": "chartqa", "subset": "human", "question": "q",
                                         "answer": "5", "prediction": "5"}) + "\n" for i in range(8)))
    t0 = time.monotonic()
    code = main(["judge", str(preds), "--out", str(tmp_path / "r"), "--judge-model", "judge-1", "--base-url",
                 openai_server.url, "--api-key", "test-key", "--cache", str(tmp_path / "c.sqlite"), "--no-progress",
                 "--judge-backoff-base", "0.05"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "cannot be used" in err and "500" in err
    assert len(openai_server.requests) <= 3 and time.monotonic() - t0 < 15


def test_missing_model_folder_is_one_line(tmp_path, charts, capsys):
    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    missing = tmp_path / "runs" / "merged-model"
    code = main(["infer", "--model", str(missing), "--benchmarks", f"chartqa={cq}", "--out", str(tmp_path / "p")])
    err = capsys.readouterr().err
    assert code == 2 and err == f"reachqa infer: no model at {missing} (not a folder here, and not a Hub id " \
                                "'owner/name')\n"
