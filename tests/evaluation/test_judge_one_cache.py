"""One judge: the ``llm_judge`` metric (through ``evaluate.load``) and ``reachqa judge`` send the same
requests through the same client and share one reply cache, ``$REACHQA_HOME/judge-cache.sqlite`` by
default; outages are retried by that client, and what fails for good is counted or raised."""

from __future__ import annotations

import json

import evaluate
import pytest

from evaluation.metrics import metric_path
from reachqa_builder.cli import main
from tests.evaluation.judge_fixtures import grading_judge
from tests.openai_server import Fault

QUESTIONS = ["How many bars?", "What is the highest value?", "Which color is the first bar?", "What is the sum?"]
REFERENCES = ["3", "7", "blue", "12"]
PREDICTIONS = ["Counting them, the answer is 3.", "The tallest bar reaches 6, so the answer is 6.",
               "It is Blue.", "Adding up: 5 + 7 = 12. The answer is 12."]
VERDICTS = ["correct", "incorrect", "correct", "correct"]


@pytest.fixture(autouse=True)
def reachqa_home(tmp_path, monkeypatch):
    monkeypatch.setenv("REACHQA_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _metric(openai_server, judge_model="judge-1", **kw):
    """The metric with its defaults (no cache_path: the default cache)."""
    return evaluate.load(metric_path("llm_judge")).compute(
        predictions=PREDICTIONS, references=REFERENCES, questions=QUESTIONS, judge_model=judge_model,
        base_url=openai_server.url, api_key="test-key", timeout=5.0, **kw)


def _reachqa_judge(openai_server, tmp_path, judge_model, out):
    """``reachqa judge`` with its defaults (no --cache: the default cache); the verdicts it wrote."""
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": str(i), "benchmark": "chartqa", "subset": "human", "question": q,
                                         "answer": a, "prediction": p}) + "\n"
                             for i, (q, a, p) in enumerate(zip(QUESTIONS, REFERENCES, PREDICTIONS))))
    assert main(["judge", str(preds), "--out", str(tmp_path / out), "--judge-model", judge_model,
                 "--base-url", openai_server.url, "--api-key", "test-key", "--no-progress"]) == 0
    lines = (tmp_path / out / "judged.jsonl").read_text().splitlines()
    return [json.loads(x)["judge"] for x in lines]


def test_a_reply_the_metric_got_is_a_cache_hit_for_reachqa_judge(openai_server, tmp_path, reachqa_home):
    openai_server.reply = grading_judge
    assert _metric(openai_server)["verdicts"] == VERDICTS and len(openai_server.requests) == 4
    assert (reachqa_home / "judge-cache.sqlite").is_file()
    assert _reachqa_judge(openai_server, tmp_path, "judge-1", "r") == VERDICTS
    assert len(openai_server.requests) == 4  # nothing asked again
    usage = json.loads((tmp_path / "r" / "report.json").read_text())["judge_usage"]
    assert usage["cache_hits"] == 4 and usage["requests"] == 0


def test_a_reply_reachqa_judge_got_is_a_cache_hit_for_the_metric(openai_server, tmp_path):
    openai_server.reply = grading_judge
    assert _reachqa_judge(openai_server, tmp_path, "judge-2", "r") == VERDICTS
    assert len(openai_server.requests) == 4
    out = _metric(openai_server, judge_model="judge-2")
    assert out["verdicts"] == VERDICTS and len(openai_server.requests) == 4  # nothing asked again
    assert out["requests"]["cache_hits"] == 4 and out["requests"]["requests"] == 0
    # an explicit cache_path is another cache: asked again there
    other = _metric(openai_server, judge_model="judge-2", cache_path=str(tmp_path / "other.sqlite"))
    assert other["verdicts"] == VERDICTS and len(openai_server.requests) == 8
    assert (tmp_path / "other.sqlite").is_file()


def test_no_cache_reads_and_writes_none(openai_server, tmp_path, reachqa_home):
    openai_server.reply = grading_judge
    assert _metric(openai_server, no_cache=True)["verdicts"] == VERDICTS
    assert not (reachqa_home / "judge-cache.sqlite").exists()
    _metric(openai_server)  # fills the default cache
    out = _metric(openai_server, no_cache=True)
    assert out["verdicts"] == VERDICTS and out["requests"]["cache_hits"] == 0 and len(openai_server.requests) == 12


def test_server_errors_then_success_are_retried_by_the_client(openai_server):
    openai_server.reply = grading_judge
    openai_server.faults.extend([Fault("503"), Fault("500")])
    out = _metric(openai_server, no_cache=True, max_retries=2)
    assert out["verdicts"] == VERDICTS and out["invalid"] == 0
    assert out["requests"]["retries"] == {"http_503": 1, "http_500": 1} and out["requests"]["failures"] == 0
    assert len(openai_server.requests) == 4 + 2


def test_an_item_failing_for_good_is_counted_invalid(openai_server):
    openai_server.reply = grading_judge
    openai_server.fault_fn = lambda req, n: Fault("500") if "What is the sum?" in req.last_user_text else None
    with pytest.warns(UserWarning, match=r"1 of 4 verdicts \(25.0%, above 5%\) are invalid") as warned:
        out = _metric(openai_server, no_cache=True, max_retries=1)
    assert type(warned[0].message).__name__ == "InvalidVerdictsWarning"
    assert out["verdicts"] == VERDICTS[:3] + ["invalid"] and out["invalid"] == 1 and out["accuracy"] == 0.5
    assert "http_500" in out["errors"][3] and out["requests"]["failures"] == 1
    assert sum("What is the sum?" in r.last_user_text for r in openai_server.requests) == 2  # one retry


def test_a_judge_failing_for_good_raises(openai_server):
    openai_server.fault_fn = lambda req, n: Fault("500")
    with pytest.raises(Exception, match=r"none of the 4 items could be judged by judge-1 because .*http_500") as err:
        _metric(openai_server, no_cache=True, max_retries=1)
    assert type(err.value).__name__ == "JudgeFailed"
    assert len(openai_server.requests) == 2  # the first item and its retry, then the run stops


def test_the_metric_declares_no_judge_setting_of_its_own():
    """The metric's compute() leaves every judge setting it does not receive to JudgeConfig (the
    defaults of `reachqa judge`): its keyword defaults are None (or the off switch no_cache)."""
    import ast
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "evaluation/metrics/llm_judge/llm_judge.py"
    compute = next(n for n in ast.walk(ast.parse(source.read_text())) if isinstance(n, ast.FunctionDef)
                   and n.name == "_compute")
    names = [a.arg for a in compute.args.args[-len(compute.args.defaults):]]
    defaults = {name: ast.literal_eval(d) for name, d in zip(names, compute.args.defaults)}
    assert defaults and all(v is None for k, v in defaults.items() if k != "no_cache"), defaults
    assert defaults["no_cache"] is False
