"""A scripted chart-writing LLM and MLLM raters behind the local OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.openai_server import OpenAIServer

GOOD_CODE = '''import matplotlib.pyplot as plt
import numpy as np

years = np.arange(2010, 2020)
values = np.array([{values}])
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(years, values, marker="o", color="tab:blue", label="Series A")
ax.set_title("Scripted chart {tag}")
ax.set_xlabel("Year")
ax.set_ylabel("Value")
ax.legend(loc="upper left")
ax.grid(True, linestyle="--")
plt.tight_layout()
plt.show()
'''


def chart_code(tag: str, broken: bool = False) -> str:
    """A small valid matplotlib script (two variants, so the render cache keeps tests fast)."""
    tag = "AB"[int(hashlib.sha256(tag.encode()).hexdigest()[:6], 16) % 2]
    n = int(hashlib.sha256(tag.encode()).hexdigest()[:6], 16)
    values = ", ".join(str((n >> k) % 50 + k) for k in range(10))
    code = GOOD_CODE.format(values=values, tag=tag)
    if broken:
        code = code.replace("ax.plot(years, values,", "ax.plot(years, values[:3],")
    return code


class ScriptedModels:
    """Replies like a generator LLM and MLLM raters would, keyed on our prompt texts.

    Knobs: ``broken_first`` (first code reply of every chart fails to run, so the fix path runs),
    ``always_broken`` (code never runs), ``low_score`` (every chart is rated 2), ``reject_all``
    (raters reject every pair). Raters always reject the "sum of all values" question.
    """

    def __init__(self) -> None:
        self.broken_first = False
        self.always_broken = False
        self.low_score = False
        self.reject_all = False
        self.rating = 4
        self.duplicate_questions = True

    def __call__(self, req) -> object:
        text = req.text  # single-turn requests (and their re-asks) keep the prompt in the first message
        if "Score the chart from 1 to 5" in text:
            assert len(req.images) == 1 and req.images[0][:2] == b"\xff\xd8"  # a JPEG
            return {"reason": "clear chart", "score": 2 if self.low_score else self.rating}
        if "judge a question-and-answer pair" in text:
            assert len(req.images) == 1
            reject = self.reject_all or "sum of all values" in text
            return {"reason": "checked", "verdict": "reject" if reject else "accept"}
        if "READ this chart" in text:
            return {"questions": [
                {"question": "What is the value of Series A in 2015?", "steps": ["Find 2015 on the x axis.", "Read the line."], "answer": "12"},
                {"question": "What is the value of Series A in the year 2015?" if self.duplicate_questions
                 else "What colour is the line?", "steps": ["Read it."], "answer": "12"},
                {"question": "What is the label of the x axis?", "steps": [], "answer": "Year"},
                {"question": "How many points does the line have?", "steps": ["Count the markers."], "answer": "10"},
            ]}
        if "REASONING over this chart" in text:
            return {"questions": [
                {"question": "What is the difference between the 2019 and 2010 values?", "steps": ["Read both.", "Subtract."], "answer": "5"},
                {"question": "What is the sum of all values shown?", "steps": ["Add them."], "answer": "250"},
                {"question": "In which year does the series peak?", "steps": ["Find the highest marker."], "answer": "2018"},
                {"question": "What is the average yearly change over the decade?", "steps": ["Divide the change by 9."], "answer": "0.6"},
            ]}
        tag = hashlib.sha256(req.text.encode()).hexdigest()[:8]
        text = req.last_user_text  # multi-turn generation: the newest turn says what is wanted
        if "Your task is to plan a NEW chart" in text:
            return "Backstory: a scripted chart. Data: 2010-2019 values. Title: Scripted."
        if "We want a harder, richer version" in text:
            return "- add annotations\n- keep it readable"
        if "does not work" in text:
            return f"Fixed:\n```python\n{chart_code(tag, broken=self.always_broken)}```"
        if "Now write the" in text:
            return f"```python\n{chart_code(tag, broken=self.broken_first or self.always_broken)}```"
        raise AssertionError(f"unexpected prompt: {text[:200]!r}")


@pytest.fixture(scope="session", autouse=True)
def _render_cache(tmp_path_factory):
    """A render cache for this test session: the first render of a script is real, later ones hit."""
    mp = pytest.MonkeyPatch()
    mp.setenv("REACHQA_RENDER_CACHE", str(tmp_path_factory.mktemp("render-cache")))
    yield
    mp.undo()


@pytest.fixture
def scripted():
    return ScriptedModels()


@pytest.fixture
def synth_server(scripted):
    server = OpenAIServer(scripted, api_key="test-key")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def synth_args(server, out, *extra):
    return ["synthesize", "--base-url", server.url, "--api-key", "test-key", "--model", "gen-model",
            "--rater-model", "rater-a", "--rater-model", "rater-b", "--out", str(out),
            "--render-env", "current", "--render-workers", "2", "--no-progress", "--backoff-base", "0.01",
            "--timeout", "10", *extra]
