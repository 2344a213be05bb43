"""The chart taxonomy: sizes, names as the released data spells them, tolerant normalization."""

import json

import pytest

from tests.prerequisites import SHARED_DATA, needs_shared
from reachqa_builder import taxonomy
from reachqa_builder.taxonomy import (
    MAJOR_TYPES,
    MINOR_TYPES,
    MINORS_BY_MAJOR,
    CHART_NOTES,
    TOPICS,
    major_of,
    normalize_major_type,
    normalize_minor_type,
)

RELEASED = SHARED_DATA


def test_sizes_match_the_paper():
    assert len(MAJOR_TYPES) == 10
    assert len(MINOR_TYPES) == 32
    assert len(TOPICS) == 38 and len(set(TOPICS)) == 38
    assert sum(len(v) for v in MINORS_BY_MAJOR.values()) == 32
    assert [len(MINORS_BY_MAJOR[m]) for m in MAJOR_TYPES] == [3, 4, 5, 3, 2, 2, 2, 2, 3, 6]
    assert "Artificial Intelligence and Robotics" in TOPICS and "Futurism and Innovation" in TOPICS  # the paper's list


def test_every_minor_type_has_chart_notes_and_nothing_else_does():
    """The notes are keyed by the canonical minor names (a misspelt key would never be sent)."""
    assert list(CHART_NOTES) == list(MINOR_TYPES)
    for minor, notes in CHART_NOTES.items():
        assert notes and all(isinstance(n, str) and 20 < len(n) < 600 for n in notes), minor


def test_the_code_prompt_carries_the_notes_of_its_chart_type():
    """What synthesis sends the code-writing model for a chart type includes that type's notes."""
    from synthesis.prompts import chart_note

    for minor in MINOR_TYPES:
        text = chart_note(minor)
        assert all(note in text for note in CHART_NOTES[minor]), minor


def test_canonical_names_are_fixed_points():
    for minor, major in MINOR_TYPES.items():
        assert normalize_minor_type(minor) == minor
        assert major_of(minor) == major
    for major in MAJOR_TYPES:
        assert normalize_major_type(major) == major


@pytest.mark.parametrize(
    "loose, canon",
    [
        ("Stacked-Bar  Chart", "stacked bar chart"),
        ("HEATMAP", "heat map"),
        ("treemap", "tree map"),
        ("donut_chart", "donut pie chart"),
        ("Doughnut plot", "donut pie chart"),
        ("3-D bar plot", "3D bar chart"),
        ("3d stacked bar chart", "stacked 3D bar chart"),
        ("bubble chart", "3D scatter chart (bubble chart)"),
        ("3D Scatter Chart", "3D scatter chart (bubble chart)"),
        ("  Box Plot ", "vertical box chart"),
        ("horizontal boxplot", "horizontal box chart"),
        ("Radar charts with area filling", "radar chart with area filling"),
        ("line chart with error bars", "line chart with error bar"),
        ("100% stacked bar chart", "percentage bar chart"),
        ("Nightingale rose chart", "rose chart"),
    ],
)
def test_variants_normalize(loose, canon):
    assert normalize_minor_type(loose) == canon


def test_major_variants_normalize():
    assert normalize_major_type("bar") == "Bar Charts"
    assert normalize_major_type("3d bar chart") == "3D Bar Charts"
    assert normalize_major_type("specific") == "Specific Charts"
    assert major_of("Heatmap") == "Specific Charts"


def test_unknown_minor_type_lists_valid_names():
    with pytest.raises(ValueError) as info:
        normalize_minor_type("sankey diagram")
    message = str(info.value)
    assert "'sankey diagram'" in message
    for minor in MINOR_TYPES:
        assert repr(minor) in message


def test_unknown_major_type_lists_valid_names():
    with pytest.raises(ValueError) as info:
        normalize_major_type("Sankey Charts")
    for major in MAJOR_TYPES:
        assert repr(major) in str(info.value)


def test_non_string_is_rejected():
    with pytest.raises(TypeError):
        normalize_minor_type(None)


def test_aliases_point_at_canonical_names():
    for alias, canon in taxonomy._MINOR_ALIASES.items():
        assert canon in MINOR_TYPES, alias
        assert normalize_minor_type(alias) == canon


@needs_shared(RELEASED, "released ReachQA data")
@pytest.mark.parametrize("split", ["reachqa_train", "reachqa_test"])
def test_released_names_are_canonical(split):
    seen = set()
    with open(RELEASED / split / "plot_info.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            assert rec["major_chart_type"] in MAJOR_TYPES
            assert normalize_minor_type(rec["minor_chart_type"]) == rec["minor_chart_type"]
            assert major_of(rec["minor_chart_type"]) == rec["major_chart_type"]
            seen.add(rec["minor_chart_type"])
    if split == "reachqa_train":
        assert seen == set(MINOR_TYPES)
