"""The ReachQA chart taxonomy: 10 major and 32 minor chart types, 38 topics, the chart notes.

The names are spelled exactly as the released ReachQA data spells them in the
``major_chart_type`` / ``minor_chart_type`` fields of ``plot_info.jsonl`` (e.g. ``"Bar Charts"``,
``"bar chart with data annotation"``, ``"3D scatter chart (bubble chart)"``), so released and
newly synthesized charts share one vocabulary.

- :data:`MAJOR_TYPES`: the 10 major types, in the paper's order.
- :data:`MINOR_TYPES`: ``{minor: major}`` for the 32 minor types, grouped by major type.
- :data:`MINORS_BY_MAJOR`: ``{major: (minor, ...)}``.
- :data:`TOPICS`: the paper's 38 broad domains that synthesized charts are about (two are
  offered to the code-writing model per chart).
- :data:`CHART_TYPES`: the one chart-type table (``chart_types.json`` beside this module): a row per
  minor type with its major type and the drawing tips synthesis sends the code-writing model
  (:data:`CHART_NOTES`); :data:`MINORS_BY_MAJOR`, :data:`MINOR_TYPES` and :data:`MAJOR_TYPES` are read
  from it. A new chart type is one row there plus its seed: a script in ``seed_charts/`` and its line
  in ``seed_charts/plot_info.jsonl`` (which names its type).
- :func:`normalize_minor_type` / :func:`normalize_major_type`: map loose spellings ("Heatmap",
  "donut_chart", "3d bubble") to the canonical names; unknown names raise :class:`ValueError`
  listing the valid ones.
- :func:`major_of`: the major type of a minor type.

Example::

    >>> normalize_minor_type("Stacked-Bar  Chart")
    'stacked bar chart'
    >>> major_of("treemap")
    'Specific Charts'
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = [
    "MAJOR_TYPES",
    "MINOR_TYPES",
    "MINORS_BY_MAJOR",
    "TOPICS",
    "CHART_TYPES",
    "CHART_TYPES_FILE",
    "CHART_NOTES",
    "normalize_minor_type",
    "normalize_major_type",
    "major_of",
]

CHART_TYPES_FILE = Path(__file__).resolve().parent / "chart_types.json"
# the chart-type table: one row per minor type, {"minor", "major", "notes"}, grouped by major type in
# the paper's order; "notes" are the drawing tips synthesis sends the code-writing model
CHART_TYPES: tuple[dict, ...] = tuple(json.loads(CHART_TYPES_FILE.read_text(encoding="utf-8")))

MINORS_BY_MAJOR: dict[str, tuple[str, ...]] = {}
for _row in CHART_TYPES:
    MINORS_BY_MAJOR[_row["major"]] = MINORS_BY_MAJOR.get(_row["major"], ()) + (_row["minor"],)
del _row

MAJOR_TYPES: tuple[str, ...] = tuple(MINORS_BY_MAJOR)

MINOR_TYPES: dict[str, str] = {
    minor: major for major, minors in MINORS_BY_MAJOR.items() for minor in minors
}

# the paper's 38 topics (hewei2001/ReachQA, openai_generate_code.py), spelled as there
TOPICS: tuple[str, ...] = (
    "Business and Finance",
    "Healthcare and Health",
    "Science and Engineering",
    "Social Media and the Web",
    "Government and Public Policy",
    "Education and Academics",
    "Environment and Sustainability",
    "Retail and E-commerce",
    "Human Resources and Employee Management",
    "Agriculture and Food Production",
    "Energy and Utilities",
    "Transportation and Logistics",
    "Real Estate and Housing Market",
    "Manufacturing and Production",
    "Sports and Entertainment",
    "Social Sciences and Humanities",
    "Law and Legal Affairs",
    "Food and Beverage Industry",
    "History and Culture",
    "Society and Community",
    "Art and Design",
    "Travel and Exploration",
    "Religion and Spirituality",
    "Language and Communication",
    "Fashion and Style",
    "Music and Performance",
    "Film and Cinema",
    "Literature and Writing",
    "Architecture and Building",
    "Mathematics and Statistics",
    "Physics and Chemistry",
    "Biology and Life Sciences",
    "Astronomy and Space",
    "Computer Science and Information Technology",
    "Marketing and Advertising",
    "Futurism and Innovation",
    "Books and Publishing",
    "Artificial Intelligence and Robotics",
)

# per minor type, the drawing tips synthesis sends the code-writing model (part of its prompt version)
CHART_NOTES: dict[str, list[str]] = {row["minor"]: list(row["notes"]) for row in CHART_TYPES}


def _key(name: str) -> str:
    """A loose comparison key: lower case, words only, 'plot'/'graph'/'diagram' read as 'chart'."""
    text = name.lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9%]+", " ", text)
    text = re.sub(r"\b(plots?|graphs?|diagrams?|charts)\b", "chart", text)
    text = re.sub(r"\b3 d\b", "3d", text)
    return " ".join(text.split())


# Spellings seen in model outputs and other chart datasets, mapped to the canonical names.
_MINOR_ALIASES: dict[str, str] = {
    "line": "line chart",
    "line chart with annotation": "line chart with data annotation",
    "line chart with annotations": "line chart with data annotation",
    "annotated line chart": "line chart with data annotation",
    "line chart with error bars": "line chart with error bar",
    "error bar chart": "line chart with error bar",
    "pie": "pie chart",
    "donut chart": "donut pie chart",
    "doughnut chart": "donut pie chart",
    "doughnut pie chart": "donut pie chart",
    "exploded pie chart": "sector pie chart",
    "sector chart": "sector pie chart",
    "nested pie chart": "ring chart",
    "multi ring chart": "ring chart",
    "bar": "bar chart",
    "grouped bar chart": "bar chart",
    "bar chart with data annotations": "bar chart with data annotation",
    "bar chart with annotation": "bar chart with data annotation",
    "annotated bar chart": "bar chart with data annotation",
    "percent bar chart": "percentage bar chart",
    "100% stacked bar chart": "percentage bar chart",
    "percentage stacked bar chart": "percentage bar chart",
    "barh": "horizontal bar chart",
    "3d bar": "3D bar chart",
    "3d stacked bar chart": "stacked 3D bar chart",
    "3d percentage bar chart": "percentage 3D bar chart",
    "directed graph": "directed node chart",
    "directed network chart": "directed node chart",
    "undirected graph": "undirected node chart",
    "network chart": "undirected node chart",
    "undirected network chart": "undirected node chart",
    "spider chart": "radar chart",
    "radar": "radar chart",
    "filled radar chart": "radar chart with area filling",
    "radar chart with area fill": "radar chart with area filling",
    "area": "area chart",
    "stackplot": "stacked area chart",
    "box chart": "vertical box chart",
    "box plot": "vertical box chart",
    "boxplot": "vertical box chart",
    "vertical box plot": "vertical box chart",
    "horizontal box plot": "horizontal box chart",
    "horizontal boxplot": "horizontal box chart",
    "scatter": "scatter chart",
    "scatter chart with fitting": "scatter chart with smooth fitting",
    "scatter chart with regression line": "scatter chart with smooth fitting",
    "scatter chart with trend line": "scatter chart with smooth fitting",
    "bubble chart": "3D scatter chart (bubble chart)",
    "3d scatter chart": "3D scatter chart (bubble chart)",
    "3d bubble chart": "3D scatter chart (bubble chart)",
    "heatmap": "heat map",
    "heat map chart": "heat map",
    "heatmap chart": "heat map",
    "nightingale rose chart": "rose chart",
    "polar bar chart": "rose chart",
    "funnel": "funnel chart",
    "waterfall": "waterfall chart",
    "histogram chart": "histogram",
    "treemap": "tree map",
    "treemap chart": "tree map",
    "tree map chart": "tree map",
}

_MINOR_LOOKUP: dict[str, str] = {_key(m): m for m in MINOR_TYPES}
_MINOR_LOOKUP.update({_key(alias): canon for alias, canon in _MINOR_ALIASES.items()})

_MAJOR_LOOKUP: dict[str, str] = {}
for _major in MAJOR_TYPES:
    _MAJOR_LOOKUP[_key(_major)] = _major
    _MAJOR_LOOKUP[_key(_major.rsplit(" ", 1)[0])] = _major  # "Bar Charts" -> also "bar"
    _MAJOR_LOOKUP[_key(_major[:-1])] = _major  # singular: "Bar Chart"


def _normalize(name: str, lookup: dict[str, str], valid: tuple[str, ...], kind: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{kind} chart type must be a string, got {type(name).__name__}")
    canon = lookup.get(_key(name))
    if canon is None:
        listing = ", ".join(repr(v) for v in valid)
        raise ValueError(f"unknown {kind} chart type {name!r}; valid {kind} types: {listing}")
    return canon


def normalize_minor_type(name: str) -> str:
    """Return the canonical minor chart type for ``name`` (case, spacing and variants tolerated).

    Raises ``ValueError`` listing the valid minor types when ``name`` is not one of them.
    """
    return _normalize(name, _MINOR_LOOKUP, tuple(MINOR_TYPES), "minor")


def normalize_major_type(name: str) -> str:
    """Return the canonical major chart type for ``name`` ("bar", "Bar Chart", "bar charts").

    Raises ``ValueError`` listing the valid major types when ``name`` is not one of them.
    """
    return _normalize(name, _MAJOR_LOOKUP, MAJOR_TYPES, "major")


def major_of(minor: str) -> str:
    """The major chart type that the minor type ``minor`` (any accepted spelling) belongs to."""
    return MINOR_TYPES[normalize_minor_type(minor)]


def __getattr__(name: str):
    if name == "CHART_NOTES_FILE":  # the notes file became the chart-type table's "notes" column
        raise AttributeError("reachqa_builder.taxonomy.CHART_NOTES_FILE is gone: the notes are the 'notes' of each "
                             "row of CHART_TYPES_FILE (chart_types.json); CHART_NOTES maps each type to them")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
