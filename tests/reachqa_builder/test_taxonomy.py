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


def test_the_chart_type_table_is_the_one_source():
    """Every list of chart types and every note comes from the table's rows, in its order."""
    rows = json.loads(taxonomy.CHART_TYPES_FILE.read_text(encoding="utf-8"))
    assert list(MINOR_TYPES) == [r["minor"] for r in rows]
    assert all(MINOR_TYPES[r["minor"]] == r["major"] and CHART_NOTES[r["minor"]] == r["notes"] for r in rows)
    assert list(MAJOR_TYPES) == list(dict.fromkeys(r["major"] for r in rows))


def test_a_new_chart_type_is_one_row_of_the_table(tmp_path):
    """A copy of the taxonomy beside a table with one more row knows the new type everywhere:
    its major type, the normalizer, the notes sent to the model."""
    import importlib.util
    import shutil

    rows = json.loads(taxonomy.CHART_TYPES_FILE.read_text(encoding="utf-8"))
    rows.append({"minor": "sankey chart", "major": "Specific Charts",
                 "notes": ["Draw the flows as bands whose width is proportional to the quantity they carry."]})
    (tmp_path / "chart_types.json").write_text(json.dumps(rows), encoding="utf-8")
    shutil.copy(taxonomy.__file__, tmp_path / "taxonomy.py")
    spec = importlib.util.spec_from_file_location("taxonomy_copy", tmp_path / "taxonomy.py")
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    assert copy.MINORS_BY_MAJOR["Specific Charts"][-1] == "sankey chart" and len(copy.MINOR_TYPES) == 33
    assert copy.normalize_minor_type("Sankey Diagram") == "sankey chart"
    assert copy.major_of("sankey chart") == "Specific Charts" and copy.CHART_NOTES["sankey chart"]


def test_every_chart_type_has_a_seed_and_every_seed_a_type():
    """The seed folder names each seed's type in its plot_info line: every row of the table has a
    seed script there, and every seed is of a type of the table."""
    from reachqa_builder.release import SEED_DIR

    seen = set()
    for line in (SEED_DIR / "plot_info.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        assert (SEED_DIR / rec["code"]).is_file(), rec["code"]
        assert MINOR_TYPES.get(rec["minor_chart_type"]) == rec["major_chart_type"], rec
        seen.add(rec["minor_chart_type"])
    assert seen == set(MINOR_TYPES), set(MINOR_TYPES) - seen
