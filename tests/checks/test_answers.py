"""Answers checked against the plotted values: unit cases and `reachqa verify` on a made-up folder."""

from __future__ import annotations

import json

from reachqa_builder.checks.answers import CONTRADICTED, NOT_CHECKABLE, SUPPORTED, verify_recognition
from reachqa_builder.checks.numbers import find_numbers, relaxed_close
from reachqa_builder.cli import main
from tests.checks.checks_fixtures import CHART_3D, QAS_3D, write_folder

PLOTTED = {"series": [{"kind": "bar", "label": "Sales", "values": [12.5, 30.0, 47.25]},
                      {"kind": "pie", "label": "", "values": [25.0, 75.0]}],
           "texts": [{"kind": "tick", "text": "2019"}, {"kind": "annotation", "text": "$1.2M revenue"}]}


def verdict(answer: str, question: str = "What is shown?", qa_type: str = "Recognizing", plotted=PLOTTED):
    return verify_recognition(question, answer, qa_type, plotted)


def test_numbers_in_text_and_the_relaxed_rule():
    found = find_numbers("TikTok holds 25%, $1,200 in 2019-2023, about -3.5 and 1.2 million")
    assert [(n.value, n.percent) for n in found] == [(25.0, True), (1200.0, False), (2019.0, False), (2023.0, False),
                                                     (-3.5, False), (1.2, False)]
    assert found[-1].readings() == (1.2, 1.2e6)
    assert relaxed_close(47.0, 47.25) and relaxed_close(105, 100) and not relaxed_close(106, 100)
    assert relaxed_close(0.0, 0.0) and not relaxed_close(0.01, 0.0)


def test_stated_numbers_that_are_plotted_are_supported_with_where():
    v = verdict("Sales peak at 47 units in 2019")
    assert v.verdict == SUPPORTED
    assert any("bar 'Sales'" in e for e in v.evidence) and any("tick text" in e for e in v.evidence)
    assert verdict("Cats make up 25% of the pie").verdict == SUPPORTED  # a wedge share, in percent
    assert verdict("Revenue was $1,200,000").verdict == SUPPORTED  # "1.2M" in an annotation


def test_a_number_plotted_nowhere_contradicts_and_names_the_nearest_value():
    v = verdict("The South region sold 40 units")
    assert v.verdict == CONTRADICTED
    assert "'40' is plotted nowhere; nearest 47.25 (bar 'Sales')" in v.evidence[0]


def test_what_cannot_be_checked_says_why():
    assert verdict("Violet red").verdict == NOT_CHECKABLE
    assert verdict("2019", question="Which year, 2019 or 2020, is higher?").verdict == NOT_CHECKABLE  # echoed
    assert verdict("There are 3 bars").verdict == NOT_CHECKABLE  # a count, not a value
    assert verdict("36 units", qa_type="Reasoning").verdict == NOT_CHECKABLE
    assert verdict("36 units", plotted=None).verdict == NOT_CHECKABLE


def test_reachqa_verify_gives_each_pair_a_verdict(tmp_path, capsys):
    data = write_folder(tmp_path / "reachqa_test")
    out, table = tmp_path / "verdicts.jsonl", tmp_path / "table.json"
    status = main(["verify", str(data), "--out", str(out), "--json", str(table), "--render-env", "current",
                   "--render-cache-dir", str(tmp_path / "cache"), "--workers", "1", "--no-progress"])
    assert status == 0
    rows = {r["qa_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert [rows[f"q{i}"]["verdict"] for i in range(4)] == [SUPPORTED, CONTRADICTED, NOT_CHECKABLE, NOT_CHECKABLE]
    assert rows["q1"]["evidence"][0].startswith("'1,900' is plotted nowhere; nearest")
    summary = json.loads(table.read_text())["plotted_values"]
    assert summary["Recognizing"]["contradicted"] == 1 and summary["all"]["total"] == 4
    assert "Recognizing" in capsys.readouterr().out


def test_answers_about_a_stacked_3d_bar_chart_are_checked_against_its_bars_and_tick_labels(tmp_path):
    """A 3-D chart's values are its bars' heights and its x/y/z tick labels, read in the render
    worker from the real mplot3d figure (not from the 2-D projection)."""
    data = write_folder(tmp_path / "reachqa_test", code=CHART_3D, qas=QAS_3D)
    out = tmp_path / "verdicts.jsonl"
    assert main(["verify", str(data), "--out", str(out), "--render-env", "current", "--render-cache-dir",
                 str(tmp_path / "cache"), "--workers", "1", "--no-progress"]) == 0
    rows = {r["qa_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert [rows[f"q{i}"]["verdict"] for i in range(3)] == [SUPPORTED, CONTRADICTED, SUPPORTED]
    assert rows["q0"]["evidence"] == ["'22.5' = 22.5 (bar3d)"]  # a stacked segment: only its height says 22.5
    assert rows["q1"]["evidence"][0].startswith("'16.5' is plotted nowhere; nearest")
    assert any("tick text '25-34'" in e for e in rows["q2"]["evidence"]), rows["q2"]["evidence"]


def test_values_plotted_in_thousands_support_answers_written_in_full():
    plotted = {"series": [{"kind": "bar", "label": "", "values": [270.0, 310.0]}],
               "texts": [{"kind": "label", "text": "Trips (in thousands)"}]}
    v = verdict("Bicycles, about 270,000 trips", plotted=plotted)
    assert v.verdict == SUPPORTED and "read in thousands" in v.evidence[0]
    unlabeled = {"series": plotted["series"], "texts": []}
    assert verdict("Bicycles, about 270,000 trips", plotted=unlabeled).verdict == CONTRADICTED


def test_totals_and_gaps_one_step_from_the_plotted_values_are_derived_not_contradicted():
    plotted = {"series": [{"kind": "bar", "label": "Milk", "values": [25.0, 30.0, 22.0, 28.0, 20.0]},
                          {"kind": "bar", "label": "Dark", "values": [15.0, 18.0, 16.0, 14.0, 10.0]}],
               "texts": []}
    assert "the total of bar 'Milk'" in verdict("Milk, 125 units", plotted=plotted).evidence[-1]
    gap = verdict("Milk (30) is 12 more than Dark (18)", plotted=plotted)
    assert gap.verdict == SUPPORTED and "|30 - 18|" in gap.evidence[-1]
    assert verdict("Milk, 137 units", plotted=plotted).verdict == CONTRADICTED
