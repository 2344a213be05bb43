"""The LLM judge: the paper's protocol by default, the JSON protocol as an option, verdict parsing
checked against the ReachQA authors' reading, through ``evaluate.load`` and ``judge_items``
against the local OpenAI-compatible server."""

from __future__ import annotations

import re

import evaluate
import pytest

from reachqa_builder.scoring.judge import JudgeConfig, JudgeUnavailable, judge_fingerprint, judge_items
from evaluation.metrics import metric_path
from reachqa_builder.scoring.judge_protocol import (JSON_SCHEMA, PARSING_DIFFERENCES, get_protocol,
                                                         parse_json_verdict, parse_paper_verdict,
                                                         summarize_verdicts)
from tests.openai_server import Fault, Reply
from tests.evaluation.judge_fixtures import grading_judge

QUESTIONS = ["How many bars?", "What is the highest value?", "Which color is the first bar?", "What is the sum?"]
REFERENCES = ["3", "7", "blue", "12"]
PREDICTIONS = ["Counting them, the answer is 3.", "The tallest bar reaches 6, so the answer is 6.",
               "It is Blue.", "Adding up: 5 + 7 = 12. The answer is 12."]


@pytest.fixture(autouse=True)
def reachqa_home(tmp_path, monkeypatch):
    """The judge's default reply cache ($REACHQA_HOME/judge-cache.sqlite) goes to a folder of the test."""
    monkeypatch.setenv("REACHQA_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _judge(openai_server, tmp_path, **kw):
    judge = evaluate.load(metric_path("llm_judge"))
    args = dict(predictions=PREDICTIONS, references=REFERENCES, questions=QUESTIONS, judge_model="judge-1",
                base_url=openai_server.url, api_key="test-key", cache_path=str(tmp_path / "verdicts.sqlite"),
                timeout=5.0, max_retries=3)
    args.update(kw)
    return judge.compute(**args)


def test_paper_protocol_is_the_default(openai_server, tmp_path):
    openai_server.reply = grading_judge
    out = _judge(openai_server, tmp_path)
    assert out["verdicts"] == ["correct", "incorrect", "correct", "correct"]
    assert out["accuracy"] == 0.75 and out["accuracy_scored"] == 0.75 and out["scored"] == 4 and out["invalid"] == 0
    assert out["fingerprint"] == judge_fingerprint("judge-1", "paper")
    assert out["fingerprint"]["protocol"] == "paper" and out["fingerprint"]["top_p"] == 0.95
    # requests run concurrently, so they arrive in any order: take the one for the first item
    sent = next(r for r in openai_server.requests if "How many bars?" in r.last_user_text)
    assert sent.model == "judge-1" and sent.images == [] and sent.messages[0]["role"] == "system"
    assert sent.body["max_tokens"] == 4096
    prompt = sent.last_user_text
    # the authors' substance: no credit for wrong / over / under answers, variation accepted, the format
    for phrase in ("wrong answer earns nothing", "over-answering", "under-answering", "some variation is acceptable",
                   "Correctness: (Yes or No)", "## Question: How many bars?", "## Ground Truth: 3"):
        assert phrase in prompt
    assert "Counting them, the answer is 3." in prompt  # the whole prediction, not an extracted answer


def test_json_protocol_option_accepts_any_case(openai_server, tmp_path):
    openai_server.reply = grading_judge  # replies "Yes" with a capital Y
    out = _judge(openai_server, tmp_path, protocol="json")
    assert out["verdicts"] == ["correct", "incorrect", "correct", "correct"] and out["invalid"] == 0
    assert out["fingerprint"]["protocol"] == "json"
    assert openai_server.requests[0].schema == JSON_SCHEMA
    with pytest.raises(ValueError, match="unknown protocol"):
        _judge(openai_server, tmp_path, protocol="strict")


def test_invalid_verdicts_count_as_wrong_over_all_items(openai_server, tmp_path):
    def reply(req):
        if "How many bars?" in req.last_user_text:
            return "Analysis: hard to say.\nCorrectness: unclear"
        if "highest value" in req.last_user_text:
            return "I think the prediction is fine."
        return grading_judge(req)

    openai_server.reply = reply
    with pytest.warns(UserWarning, match=r"2 of 4 verdicts \(50.0%, above 5%\) are invalid"):
        out = _judge(openai_server, tmp_path)
    assert out["verdicts"] == ["invalid", "invalid", "correct", "correct"]
    assert out["invalid"] == 2 and out["scored"] == 2
    assert out["accuracy"] == 0.5 and out["accuracy_scored"] == 1.0  # paper: 2 of 4; over scored: 2 of 2
    # each unreadable reply was asked twice more before it counted as invalid
    assert out["reasks"] == 4 and len(openai_server.requests) == 4 + 4
    assert "no verdict in 3 replies" in out["errors"][0]


def _unreadable_twice(text):
    """A judge whose first two replies about the first question have no verdict."""
    sent = {"n": 0}

    def reply(req):
        if "How many bars?" in req.last_user_text and sent["n"] < 2:
            sent["n"] += 1
            return text
        return grading_judge(req)

    return reply


def test_metric_reasks_an_unreadable_verdict_and_caches_by_default(openai_server, tmp_path, reachqa_home):
    openai_server.reply = _unreadable_twice("<html>502 Bad Gateway</html>")
    first = _judge(openai_server, tmp_path, cache_path=None)  # None: the default place
    assert first["verdicts"] == ["correct", "incorrect", "correct", "correct"] and first["invalid"] == 0
    assert first["reasks"] == 2 and len(openai_server.requests) == 6
    assert (reachqa_home / "judge-cache.sqlite").is_file()  # the default of `reachqa judge` too
    second = _judge(openai_server, tmp_path, cache_path=None)
    assert second["verdicts"] == first["verdicts"] and len(openai_server.requests) == 6  # all from the cache
    assert second["requests"]["cache_hits"] == 4
    third = _judge(openai_server, tmp_path, no_cache=True)  # the opt-out
    assert third["verdicts"] == first["verdicts"] and len(openai_server.requests) == 10


def test_second_compute_makes_no_requests(openai_server, tmp_path):
    openai_server.reply = grading_judge
    first = _judge(openai_server, tmp_path)
    n = len(openai_server.requests)
    second = _judge(openai_server, tmp_path)
    assert len(openai_server.requests) == n and second["verdicts"] == first["verdicts"]
    _judge(openai_server, tmp_path, judge_model="judge-2")  # another judge is another cache key
    assert len(openai_server.requests) == n + 4


def test_metric_faults_are_retried(openai_server, tmp_path):
    openai_server.reply = grading_judge
    openai_server.faults.extend([Fault("429", retry_after=0.01), Fault("500"), Fault("reset")])
    out = _judge(openai_server, tmp_path)
    assert out["verdicts"] == ["correct", "incorrect", "correct", "correct"] and out["invalid"] == 0
    assert len(openai_server.requests) >= 4 + 3


def test_metric_raises_when_nothing_could_be_judged(openai_server, tmp_path):
    with pytest.raises(Exception, match=r"none of the 4 items could be judged by judge-1 .*(401|Authentication)") as err:
        _judge(openai_server, tmp_path, api_key="wrong", no_cache=True)
    assert type(err.value).__name__ == "JudgeFailed"
    with pytest.raises(Exception, match=r"none of the 4 items could be judged .*cannot be used \(connection\)") as err:
        _judge(openai_server, tmp_path, base_url="http://user:sk-SECRET@127.0.0.1:9/v1", max_retries=0)
    assert "sk-SECRET" not in str(err.value)


# -- the command's judge (shared API client) -----------------------------------------------------

def _config(openai_server, tmp_path, **kw):
    args = dict(judge_model="judge-1", base_url=openai_server.url, api_key="test-key",
                cache_path=str(tmp_path / "c.sqlite"), progress=False, backoff_base=0.01, timeout=5.0, max_retries=2)
    args.update(kw)
    return JudgeConfig(**args)


def test_judge_items_both_protocols(openai_server, tmp_path):
    openai_server.reply = grading_judge
    for protocol in ("paper", "json"):
        result = judge_items(QUESTIONS, REFERENCES, PREDICTIONS, _config(openai_server, tmp_path, protocol=protocol))
        assert result.verdicts == ["correct", "incorrect", "correct", "correct"]
        assert result.fingerprint["protocol"] == protocol and result.accuracy == 0.75
        assert "final answer" in result.analyses[0] and result.replies[0]


def test_judge_items_truncated_and_unreadable_are_invalid(openai_server, tmp_path):
    def reply(req):
        if "How many bars?" in req.last_user_text:
            return Reply("Analysis: the prediction", finish_reason="length")  # cut off before the verdict
        if "highest value" in req.last_user_text:
            return "Correctness: maybe"
        return grading_judge(req)

    openai_server.reply = reply
    result = judge_items(QUESTIONS, REFERENCES, PREDICTIONS, _config(openai_server, tmp_path))
    assert result.verdicts == ["invalid", "invalid", "correct", "correct"]
    assert result.accuracy == 0.5 and result.accuracy_scored == 1.0 and result.invalid == 2
    assert "no verdict in 3 replies" in result.errors[1]
    assert result.usage["reasks"] == 4  # both unreadable items asked twice more


def test_judge_items_reasks_past_the_cache_and_keeps_the_readable_reply(openai_server, tmp_path):
    openai_server.reply = _unreadable_twice("Analysis: fine.\nCorrectness: perhaps")
    first = judge_items(QUESTIONS, REFERENCES, PREDICTIONS, _config(openai_server, tmp_path))
    assert first.verdicts == ["correct", "incorrect", "correct", "correct"] and first.usage["reasks"] == 2
    assert len(openai_server.requests) == 6
    second = judge_items(QUESTIONS, REFERENCES, PREDICTIONS, _config(openai_server, tmp_path))
    assert second.verdicts == first.verdicts and len(openai_server.requests) == 6  # the readable reply was cached
    assert second.usage["reasks"] == 0


def test_defaults_from_environment(openai_server, tmp_path, monkeypatch):
    openai_server.reply = grading_judge
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    result = judge_items(QUESTIONS[:1], REFERENCES[:1], PREDICTIONS[:1],
                         JudgeConfig(judge_model="j", cache_path=None, progress=False))
    assert result.verdicts == ["correct"] and openai_server.requests[-1].authorized


def test_unusable_judge_stops_after_the_first_item(openai_server, tmp_path):
    with pytest.raises(JudgeUnavailable, match="http_401"):
        judge_items(QUESTIONS, REFERENCES, PREDICTIONS, _config(openai_server, tmp_path, api_key="wrong"))
    assert len(openai_server.requests) == 1
    with pytest.raises(JudgeUnavailable, match="connection"):
        judge_items(QUESTIONS, REFERENCES, PREDICTIONS, _config(openai_server, tmp_path, base_url="http://127.0.0.1:9/v1"))


def test_preflight_retries_bound_the_first_item_only(openai_server, tmp_path):
    openai_server.reply = grading_judge
    openai_server.faults.extend([Fault("500"), Fault("500")])
    with pytest.raises(JudgeUnavailable, match="http_500"):
        judge_items(QUESTIONS, REFERENCES, PREDICTIONS, _config(openai_server, tmp_path, preflight_retries=1))
    assert len(openai_server.requests) == 2
    openai_server.faults.extend([Fault("500"), Fault("500")])
    result = judge_items(QUESTIONS, REFERENCES, PREDICTIONS, _config(openai_server, tmp_path, preflight_retries=2))
    assert result.verdicts == ["correct", "incorrect", "correct", "correct"] and len(openai_server.requests) == 2 + 6
    with pytest.raises(ValueError, match="preflight_retries must be >= 0"):
        _config(openai_server, tmp_path, preflight_retries=-1)


def test_input_errors():
    with pytest.raises(ValueError, match="judge_model is required"):
        judge_items(["q"], ["a"], ["p"], JudgeConfig(judge_model=None, cache_path=None))
    with pytest.raises(ValueError, match="differ in length"):
        judge_items(["q"], ["a", "b"], ["p"], JudgeConfig(judge_model="j", cache_path=None))
    with pytest.raises(ValueError, match="unknown judge protocol"):
        JudgeConfig(judge_model="j", protocol="strict")


# -- verdict parsing against the authors' reading ------------------------------------------------

def authors_reading(reply: str) -> int:
    """The ReachQA authors' verdict parsing, re-implemented from hewei2001/ReachQA
    ``openai_llm_evaluation.py`` (``post_process_model_response``): search (ignoring case, across
    lines) for "Correctness:" and take everything after the first one; 1 if it contains "yes"
    (ignoring case), else 0 if it contains "no", else -1; no marker gives -1."""
    m = re.search(r"Correctness:\s*(.*)", reply, re.IGNORECASE | re.DOTALL)
    if m is None:
        return -1
    rest = m.group(1).strip().lower()
    return 1 if "yes" in rest else 0 if "no" in rest else -1


AS_INT = {"correct": 1, "incorrect": 0, "invalid": -1}

# reply, our verdict, the rule that explains a difference from the authors' reading (None: same)
REPLIES = [
    ("Analysis: The prediction says 12, as does the ground truth.\nCorrectness: Yes", 1, None),
    ("Analysis: 6 is not 7.\nCorrectness: No", 0, None),
    ("correctness: yes", 1, None),
    ("CORRECTNESS: NO", 0, None),
    ("**Correctness:** Yes", 1, None),
    ("Correctness: **No**", 0, None),
    ("Correctness:\nYes", 1, None),
    ("Correctness: Yes.", 1, None),
    ("Correctness: (Yes)", 1, None),
    ("Analysis: it says yes, but the truth is no.\nCorrectness: No", 0, None),
    ("The prediction is right.", -1, None),
    ("", -1, None),
    ("Correctness: Partially", -1, None),
    ("Correctness: Incorrect", -1, None),
    ("Correctness: The prediction is correct, so Yes", 1, None),
    ("Analysis: fine\nCorrectness - Yes", -1, None),
    ("Correctness: YES, fully consistent", 1, None),
    ("Analysis: The ground truth is 5.\n\nCorrectness: no.", 0, None),
    ("Correctness: No. A yes would need 15.", 0, "first-word"),
    ("Correctness: Not correct", -1, "whole-word"),
    ("Correctness: Nope", -1, "whole-word"),
    ("Correctness: unknown", -1, "whole-word"),
    ("Correctness: (Yes or No)\nAnalysis: wrong value.\nCorrectness: No", 0, "last-marker"),
    ("Correctness: yes\nCorrectness: no", 0, "last-marker"),
    ("Correctness: No\nNote: one could also read the question as yes/no.", 0, "verdict-line"),
    ("Correctness: -\nThe prediction says yes.", -1, "verdict-line"),
]


@pytest.mark.parametrize("reply,ours,rule", REPLIES)
def test_verdict_parsing_against_the_authors(reply, ours, rule):
    got = AS_INT[parse_paper_verdict(reply)]
    assert got == ours
    theirs = authors_reading(reply)
    if rule is None:
        assert got == theirs, "undocumented difference from the authors' reading"
    else:
        assert got != theirs and rule in PARSING_DIFFERENCES


def test_every_parsing_difference_is_exercised():
    assert {r for _, _, r in REPLIES if r} == set(PARSING_DIFFERENCES)
    agree = sum(r is None for _, _, r in REPLIES)
    assert agree >= 15 and len(REPLIES) - agree == 8


def test_json_verdicts_and_summary():
    assert parse_json_verdict({"analysis": "", "correct": "Yes"}) == "correct"
    assert parse_json_verdict('```json\n{"analysis": "x", "correct": "NO"}\n```') == "incorrect"
    assert parse_json_verdict({"correct": "maybe"}) == "invalid" and parse_json_verdict("no json") == "invalid"
    s = summarize_verdicts(["correct", "invalid", "incorrect", "invalid"])
    assert s == {"accuracy": 0.25, "accuracy_scored": 0.5, "n": 4, "correct": 1, "scored": 2, "invalid": 2}
    assert "paper" in get_protocol("paper").description.lower()


def test_metric_runs_inside_an_event_loop(openai_server, tmp_path):
    """A notebook calls compute() with a loop running: the metric still answers."""
    import asyncio

    openai_server.reply = grading_judge

    async def inside():
        return _judge(openai_server, tmp_path, no_cache=True)

    assert asyncio.run(inside())["verdicts"] == ["correct", "incorrect", "correct", "correct"]
