"""A scripted judge for the local OpenAI-compatible server, shared by the evaluation tests."""

from __future__ import annotations

import re

from reachqa_builder.scoring.judge_protocol import JSON_SCHEMA
from reachqa_builder.scoring.relaxed import extract_final_answer, relaxed_match

def _fields(req):
    """(ground truth, prediction) from a judge request of either protocol."""
    text = req.last_user_text
    if req.schema is not None:
        return re.search(r"Ground truth: (.*)", text).group(1), re.search(r"Model answer: (.*)", text).group(1)
    truth = re.search(r"## Ground Truth: (.*)", text).group(1)
    pred = re.search(r"## Prediction: (.*?)\n\n", text, re.DOTALL).group(1)
    return truth, pred


def grading_judge(req):
    """A scripted judge: reads the prompt it was sent and compares the final answer numerically or
    as text (a stand-in for the LLM that still depends on the request); answers in the format the
    request's protocol asks for."""
    assert req.body["temperature"] == 0.0
    truth, pred = _fields(req)
    answer = extract_final_answer(pred).removeprefix("It is ").strip()
    ok = relaxed_match(answer, truth, tolerance=0.0)
    if req.schema is not None:
        assert req.schema == JSON_SCHEMA and req.body["top_p"] == 1.0
        return {"analysis": f"final answer {answer!r} vs {truth!r}", "correct": "Yes" if ok else "no"}
    assert req.body["top_p"] == 0.95 and "response_format" not in req.body
    return f"Analysis: the final answer {answer!r} vs {truth!r}.\nCorrectness: {'Yes' if ok else 'No'}"
