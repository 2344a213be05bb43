"""Synthesis with the data checks on: layout flags sent to the fix stage, contradicted answers dropped."""

from __future__ import annotations

import json

import pytest

from reachqa_builder.cli import main
from tests.openai_server import OpenAIServer
from tests.synthesis.synthesis_fixtures import ScriptedModels, synth_args

CLEAN = '''import matplotlib.pyplot as plt

labels = ["2010", "2011", "2012", "2013", "2014"]
values = [1, 2, 3, 4, 5]
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(labels, values, marker="o", label="Series A")
ax.set_ylim(0, 100)
ax.set_title("Scripted chart")
ax.legend(loc="upper left")
plt.tight_layout()
plt.show()
'''
CLIPPED = CLEAN.replace('ax.set_title("Scripted chart")',
                        'ax.set_title("Scripted chart")\nfig.text(0.8, 0.5, "a long note that is cut off at the edge")')


class ClippedFirst(ScriptedModels):
    """The first script of every chart writes text off the figure; the fixed one does not."""

    def __call__(self, req):
        if "write the complete script" in req.last_user_text:
            return f"```python\n{CLIPPED}```"
        if "needs fixing" in req.last_user_text:
            return f"```python\n{CLEAN}```"
        return super().__call__(req)


class WrongValues(ScriptedModels):
    """Answers "What value is shown for X?" with a number the chart does not plot."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicate_questions = False

    def __call__(self, req):
        if "answer one question about a chart" in req.text and "What value is shown for" in req.last_user_text:
            return {"analysis": "misread", "answer": "The final answer is 999.", "concise_answer": "999"}
        return super().__call__(req)


@pytest.fixture
def server(request):
    s = OpenAIServer(request.param(), api_key="test-key")
    s.start()
    try:
        yield s
    finally:
        s.stop()


def plot_info(out):
    return [json.loads(line) for line in (out / "plot_info.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("server", [ClippedFirst], indirect=True)
def test_layout_flags_go_back_to_the_fix_stage_named(server, tmp_path):
    out = tmp_path / "fix"
    assert main(synth_args(server, out, "--num-charts", "1", "--evolve-ratio", "0", "--lint-action", "fix")) == 0
    (rec,) = plot_info(out)
    prov = rec["provenance"]
    assert prov["fixes"] == 1
    assert prov["render_errors"][0].startswith("LayoutProblem: the chart renders, but text outside figure")
    assert "cut off at the edge" in prov["render_errors"][0]
    assert "layout_flags" not in prov  # the fixed chart is clean


@pytest.mark.slow
@pytest.mark.parametrize("server", [ClippedFirst], indirect=True)
def test_skip_rating_drops_flagged_charts_before_any_rater_is_paid(server, tmp_path):
    out = tmp_path / "skip"
    main(synth_args(server, out, "--num-charts", "1", "--evolve-ratio", "0", "--lint-action", "skip-rating",
                    "--max-attempts-factor", "2"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["execute"]["dropped"] == {"layout": 2}
    assert server.completions() and not [r for r in server.completions() if r.model in ("rater-a", "rater-b")]


@pytest.mark.slow
@pytest.mark.parametrize("server", [WrongValues], indirect=True)
def test_drop_contradicted_removes_recognition_answers_the_chart_does_not_plot(server, tmp_path):
    out = tmp_path / "contra"
    assert main(synth_args(server, out, "--num-charts", "2", "--evolve-ratio", "0", "--drop-contradicted")) == 0
    qa = json.loads((out / "instruction_data.json").read_text())
    assert qa and not [q for q in qa if q["question"].startswith("What value is shown for")]
    for rec in plot_info(out):
        assert rec["provenance"]["qa_contradicted_dropped"] == 1
