"""The LLM judge metric against the local OpenAI-compatible server: verdicts, cache, faults."""

from __future__ import annotations

import re

import evaluate
import pytest

from evaluation.judge import JUDGE_SCHEMA, JudgeConfig, judge_fingerprint, judge_items
from evaluation.metrics import metric_path
from evaluation.relaxed import extract_final_answer, relaxed_match
from tests.openai_server import Fault, Reply

QUESTIONS = ["How many bars?", "What is the highest value?", "Which color is the first bar?", "What is the sum?"]
REFERENCES = ["3", "7", "blue", "12"]
PREDICTIONS = ["Counting them, the answer is 3.", "The tallest bar reaches 6, so the answer is 6.",
               "It is Blue.", "Adding up: 5 + 7 = 12. The answer is 12."]


def grading_judge(req):
    """A scripted judge: reads the prompt it was sent and compares the final answer numerically
    or as text (a stand-in for the LLM that still depends on the request)."""
    assert req.schema == JUDGE_SCHEMA and req.body["temperature"] == 0.0
    truth = re.search(r"Ground truth: (.*)", req.last_user_text).group(1)
    pred = re.search(r"Model answer: (.*)", req.last_user_text).group(1)
    answer = extract_final_answer(pred).removeprefix("It is ").strip()
    ok = relaxed_match(answer, truth, tolerance=0.0)
    return {"analysis": f"final answer {answer!r} vs {truth!r}", "correct": "yes" if ok else "no"}


def _judge(openai_server, tmp_path, **kw):
    judge = evaluate.load(metric_path("llm_judge"))
    args = dict(predictions=PREDICTIONS, references=REFERENCES, questions=QUESTIONS, judge_model="judge-1",
                base_url=openai_server.url, api_key="test-key", cache_path=str(tmp_path / "verdicts.sqlite"),
                backoff_base=0.01, timeout=5.0)
    args.update(kw)
    return judge.compute(**args)


def test_verdicts_accuracy_and_fingerprint(openai_server, tmp_path):
    openai_server.reply = grading_judge
    out = _judge(openai_server, tmp_path)
    assert out["verdicts"] == ["correct", "incorrect", "correct", "correct"]
    assert out["accuracy"] == 0.75 and out["scored"] == 4 and out["invalid"] == 0
    assert out["fingerprint"] == judge_fingerprint("judge-1")
    assert out["fingerprint"]["judge_model"] == "judge-1" and len(out["fingerprint"]["prompt_sha256"]) == 16
    assert len(openai_server.requests) == 4
    sent = openai_server.requests[0]
    assert sent.model == "judge-1" and sent.images == []


def test_second_compute_makes_no_requests(openai_server, tmp_path):
    openai_server.reply = grading_judge
    first = _judge(openai_server, tmp_path)
    n = len(openai_server.requests)
    second = _judge(openai_server, tmp_path)
    assert len(openai_server.requests) == n and second["verdicts"] == first["verdicts"]
    _judge(openai_server, tmp_path, judge_model="judge-2")  # another judge is another cache key
    assert len(openai_server.requests) == n + 4


def test_faults_are_retried(openai_server, tmp_path):
    openai_server.reply = grading_judge
    openai_server.faults.extend([Fault("429", retry_after=0.01), Fault("500"), Fault("reset"), Fault("garbage")])
    out = _judge(openai_server, tmp_path)
    assert out["verdicts"] == ["correct", "incorrect", "correct", "correct"] and out["invalid"] == 0
    assert len(openai_server.requests) >= 4 + 3


def test_unscorable_items_are_invalid_not_wrong(openai_server, tmp_path):
    def reply(req):
        if "How many bars?" in req.last_user_text:
            return Reply("the server always fails here", finish_reason="length")  # truncated every time
        if "highest value" in req.last_user_text:
            return {"analysis": "unsure", "correct": "maybe"}  # never fits the schema
        return grading_judge(req)

    openai_server.reply = reply
    out = _judge(openai_server, tmp_path, max_retries=1)
    assert out["verdicts"] == ["invalid", "invalid", "correct", "correct"]
    assert out["invalid"] == 2 and out["scored"] == 2 and out["accuracy"] == 1.0


def test_defaults_from_environment(openai_server, tmp_path, monkeypatch):
    openai_server.reply = grading_judge
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    result = judge_items(QUESTIONS[:1], REFERENCES[:1], PREDICTIONS[:1],
                         JudgeConfig(judge_model="j", cache_path=None, progress=False))
    assert result.verdicts == ["correct"] and openai_server.requests[-1].authorized


def test_wrong_key_gives_invalid_items(openai_server, tmp_path):
    out = _judge(openai_server, tmp_path, api_key="wrong", cache_path=None)
    assert out["verdicts"] == ["invalid"] * 4 and out["accuracy"] == 0.0


def test_input_errors():
    with pytest.raises(ValueError, match="judge_model is required"):
        judge_items(["q"], ["a"], ["p"], JudgeConfig(judge_model=None, cache_path=None))
    with pytest.raises(ValueError, match="differ in length"):
        judge_items(["q"], ["a", "b"], ["p"], JudgeConfig(judge_model="j", cache_path=None))
