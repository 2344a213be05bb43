"""Synthesis with the data checks on: layout flags sent to the fix stage, contradicted answers dropped."""

from __future__ import annotations

import json

import pytest

from reachqa_builder.checks.answers import verify_recognition
from reachqa_builder.cli import main
from tests.openai_server import OpenAIServer
from tests.synthesis.conftest import GOOD_CODE, ScriptedModels, chart_code, synth_args

CLEAN = GOOD_CODE.replace('ax.set_xlabel("Year")', 'ax.set_xlabel("Year")\nax.set_ylim(0, 100)')
CLIPPED = CLEAN.replace('ax.set_title("Scripted chart {tag}")',
                            'ax.set_title("Scripted chart {tag}")\nfig.text(0.8, 0.5, "a long note that is cut off at the edge")')


class ClippedFirst(ScriptedModels):
    """The first script of every chart writes text off the figure; the fixed one does not."""

    def __call__(self, req):
        values = ", ".join(str(k + 1) for k in range(10))  # low values: the legend covers none of them
        if "Now write the" in req.last_user_text:
            return "```python\n" + CLIPPED.format(values=values, tag="C") + "```"
        if "does not work" in req.last_user_text:
            return "```python\n" + CLEAN.format(values=values, tag="C") + "```"
        return super().__call__(req)


@pytest.fixture
def clipped_server():
    server = OpenAIServer(ClippedFirst(), api_key="test-key")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def plot_info(out):
    return [json.loads(line) for line in (out / "plot_info.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_layout_flags_go_back_to_the_fix_stage_named(clipped_server, tmp_path):
    out = tmp_path / "fix"
    assert main(synth_args(clipped_server, out, "--num-charts", "1", "--evolve-ratio", "0",
                           "--lint-action", "fix")) == 0
    (rec,) = plot_info(out)
    prov = rec["provenance"]
    assert prov["fixes"] == 1
    assert prov["render_errors"][0].startswith("LayoutProblem: the chart renders, but text outside figure")
    assert "cut off at the edge" in prov["render_errors"][0]
    assert "layout_flags" not in prov  # the fixed chart is clean


@pytest.mark.slow
def test_skip_rating_drops_flagged_charts_before_any_rater_is_paid(clipped_server, tmp_path):
    out = tmp_path / "skip"
    main(synth_args(clipped_server, out, "--num-charts", "1", "--evolve-ratio", "0", "--lint-action", "skip-rating",
                    "--max-attempts-factor", "2"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["execute"] == {"ok": 0, "dropped": {"layout": 2}}
    assert clipped_server.completions() and not [r for r in clipped_server.completions()
                                                 if r.model in ("rater-a", "rater-b")]


@pytest.mark.slow
def test_drop_contradicted_removes_recognition_answers_the_chart_does_not_plot(synth_server, tmp_path):
    out = tmp_path / "contra"
    assert main(synth_args(synth_server, out, "--num-charts", "2", "--evolve-ratio", "0",
                           "--drop-contradicted")) == 0
    qa = json.loads((out / "instruction_data.json").read_text())
    for rec in plot_info(out):
        code = (out / rec["code"]).read_text()
        values = eval(code.split("np.array([")[1].split("])")[0])  # the scripted chart's own data
        plotted = {"series": [{"kind": "line_y", "label": "", "values": [float(v) for v in values]}], "texts": []}
        expected = verify_recognition("What is the value of Series A in 2015?", "12", "Recognition", plotted).verdict
        kept = [q for q in qa if q["plot_id"] == rec["id"] and q["question"] == "What is the value of Series A in 2015?"]
        assert len(kept) == (0 if expected == "contradicted" else 1)
        assert rec["provenance"]["qa_contradicted_dropped"] == (1 if expected == "contradicted" else 0)
