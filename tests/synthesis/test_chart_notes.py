"""Every chart type's drawing tips are checked by a tiny script that follows them
(tests/synthesis/note_examples.py), rendered in both render environments: a tip that leads to an
error on matplotlib 3.9.2 (faithful) or the installed one (current) fails here."""

from __future__ import annotations

import re

import pytest

from reachqa_builder.render import render_scripts
from reachqa_builder.taxonomy import MINOR_TYPES
from synthesis import prompts
from tests.synthesis.note_examples import NOTE_EXAMPLES

CALL = re.compile(r"\b(?:ax|ax2|plt|np|nx|fig|squarify|matplotlib\.patches)\.(\w+)\(")


def test_every_chart_type_has_tips_and_an_example():
    assert set(prompts.CHART_NOTES) == set(MINOR_TYPES) == set(NOTE_EXAMPLES)
    assert all(6 <= len(tips) <= 9 for tips in prompts.CHART_NOTES.values())


@pytest.mark.parametrize("minor", sorted(prompts.CHART_NOTES))
def test_each_call_a_tip_names_is_in_its_example(minor):
    code = NOTE_EXAMPLES[minor]
    named = {m for tip in prompts.CHART_NOTES[minor] for m in CALL.findall(tip)}
    missing = sorted(m for m in named if not re.search(rf"\b{m}\(", code))
    assert not missing, f"{minor}: the example never calls {missing}, which its tips name"


@pytest.mark.slow
@pytest.mark.parametrize("env", ["current", "faithful"])
def test_every_example_renders(env, tmp_path):
    # the reading the old radar tips allowed: ticks at the closed angles, one label per spoke
    wrong = NOTE_EXAMPLES["radar chart"].replace("ax.set_xticks(angles)", "ax.set_xticks(angles + angles[:1])")
    records = render_scripts(dict(NOTE_EXAMPLES, wrong=wrong), tmp_path, env=env, progress=False, report=False)
    by_id = {r.id: r for r in records}
    assert by_id.pop("wrong").error.startswith("ValueError")
    failed = {r.id: r.error for r in by_id.values() if r.status != "ok"}
    assert not failed, failed
    assert len(by_id) == 32 and all(r.image for r in by_id.values())


def test_the_radar_tips_name_the_label_count_rule():
    for minor in ("radar chart", "radar chart with area filling"):
        text = " ".join(prompts.CHART_NOTES[minor])
        assert "repeat the first name" in text and "ValueError" in text
