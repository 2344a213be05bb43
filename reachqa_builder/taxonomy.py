"""The ReachQA chart taxonomy: 10 major and 32 minor chart types, 38 topics, plotting notes.

The names are spelled exactly as the released ReachQA data spells them in the
``major_chart_type`` / ``minor_chart_type`` fields of ``plot_info.jsonl`` (e.g. ``"Bar Charts"``,
``"bar chart with data annotation"``, ``"3D scatter chart (bubble chart)"``), so released and
newly synthesized charts share one vocabulary.

- :data:`MAJOR_TYPES`: the 10 major types, in the paper's order.
- :data:`MINOR_TYPES`: ``{minor: major}`` for the 32 minor types, grouped by major type.
- :data:`MINORS_BY_MAJOR`: ``{major: (minor, ...)}``.
- :data:`TOPICS`: the paper's 38 broad domains that synthesized charts are about (two are
  offered to the code-writing model per chart).
- :data:`PLOTTING_NOTES`: a one-line hint per minor type on how to draw it with matplotlib
  (synthesis gives the model the longer per-type tips of ``synthesis/prompts/chart_notes.json``).
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

import re

__all__ = [
    "MAJOR_TYPES",
    "MINOR_TYPES",
    "MINORS_BY_MAJOR",
    "TOPICS",
    "PLOTTING_NOTES",
    "normalize_minor_type",
    "normalize_major_type",
    "major_of",
]

MINORS_BY_MAJOR: dict[str, tuple[str, ...]] = {
    "Line Charts": (
        "line chart",
        "line chart with data annotation",
        "line chart with error bar",
    ),
    "Pie Charts": (
        "pie chart",
        "donut pie chart",
        "sector pie chart",
        "ring chart",
    ),
    "Bar Charts": (
        "bar chart",
        "bar chart with data annotation",
        "stacked bar chart",
        "percentage bar chart",
        "horizontal bar chart",
    ),
    "3D Bar Charts": (
        "3D bar chart",
        "stacked 3D bar chart",
        "percentage 3D bar chart",
    ),
    "Node Charts": (
        "directed node chart",
        "undirected node chart",
    ),
    "Radar Charts": (
        "radar chart",
        "radar chart with area filling",
    ),
    "Area Charts": (
        "area chart",
        "stacked area chart",
    ),
    "Box Charts": (
        "vertical box chart",
        "horizontal box chart",
    ),
    "Scatter Charts": (
        "scatter chart",
        "scatter chart with smooth fitting",
        "3D scatter chart (bubble chart)",
    ),
    "Specific Charts": (
        "heat map",
        "rose chart",
        "funnel chart",
        "waterfall chart",
        "histogram",
        "tree map",
    ),
}

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

PLOTTING_NOTES: dict[str, str] = {
    "line chart": (
        "Draw one or more series with ax.plot over an ordered x axis (years, months, steps); "
        "give each series a marker, a distinct colour and a legend label; add a grid."
    ),
    "line chart with data annotation": (
        "Plot the series with markers and write the value of each point (or of the notable "
        "points) next to it with ax.annotate or ax.text, offset so labels do not cover the line."
    ),
    "line chart with error bar": (
        "Use ax.errorbar with yerr (and capsize) so every point shows its uncertainty; the "
        "error values should be plausible fractions of the measurement."
    ),
    "pie chart": (
        "Use ax.pie with labels and autopct percentages; keep it to 3-8 slices, optionally "
        "explode the largest one, and call ax.axis('equal') so the pie is round."
    ),
    "donut pie chart": (
        "Draw ax.pie with wedgeprops=dict(width=...) (or a white circle on top) so the centre "
        "is hollow; a total or a title can sit in the hole."
    ),
    "sector pie chart": (
        "A pie where one or more sectors are pulled out with explode and highlighted, or that "
        "covers only part of the circle via startangle/counterclock; label the sectors."
    ),
    "ring chart": (
        "Nest two or more rings with ax.pie and wedgeprops width (outer ring for the totals, "
        "inner ring for the breakdown) so categories and sub-categories share the centre."
    ),
    "bar chart": (
        "Vertical bars with ax.bar over categories, or grouped bars side by side with offset x "
        "positions and a legend; label the axes and rotate long tick labels."
    ),
    "bar chart with data annotation": (
        "Bars whose heights are written on or above each bar (ax.bar_label or ax.text) so the "
        "exact values can be read from the image."
    ),
    "stacked bar chart": (
        "Stack series with the bottom= argument of ax.bar (cumulative sums); each segment gets "
        "its own colour and legend entry; totals may be written on top."
    ),
    "percentage bar chart": (
        "Normalize each category to 100% and stack the shares with bottom=; the y axis runs "
        "from 0 to 100 and segments may carry their percentage."
    ),
    "horizontal bar chart": (
        "Use ax.barh with the categories on the y axis, usually sorted by value; long category "
        "names fit better here; values can be written at the bar ends."
    ),
    "3D bar chart": (
        "Create a 3D axes (projection='3d') and draw bars with ax.bar3d over an x-y grid of "
        "two categorical dimensions; set tick labels for both and label the z axis."
    ),
    "stacked 3D bar chart": (
        "Use ax.bar3d on a 3D axes, stacking several series on top of each other by passing "
        "the running total as the z start; give each layer a colour and a legend proxy."
    ),
    "percentage 3D bar chart": (
        "Convert each group to percentages that sum to 100 and stack them with ax.bar3d on a "
        "3D axes; the z axis runs from 0 to 100%."
    ),
    "directed node chart": (
        "Build a networkx.DiGraph, place nodes with a layout (spring, circular, shell) and draw "
        "arrows with nx.draw_networkx_edges(arrows=True); label nodes and, where useful, edges."
    ),
    "undirected node chart": (
        "Build a networkx.Graph, lay it out, scale node size or colour by a property (degree, "
        "volume) and edge width by weight; label the nodes."
    ),
    "radar chart": (
        "Use a polar axes: spread N angles over 2*pi, close each series by repeating its first "
        "value, draw with ax.plot and set the category names with set_thetagrids or xticks."
    ),
    "radar chart with area filling": (
        "A radar chart whose polygons are also filled with ax.fill at low alpha so overlapping "
        "profiles stay visible; one legend entry per series."
    ),
    "area chart": (
        "Draw a series with ax.fill_between (down to zero or a baseline) and its outline with "
        "ax.plot; several overlapping areas need transparency."
    ),
    "stacked area chart": (
        "Use ax.stackplot with one array per component over a shared x axis, with labels and "
        "a legend; the top edge shows the total."
    ),
    "vertical box chart": (
        "Use ax.boxplot on a list of samples (vert=True by default), set category names with "
        "ax.set_xticks/ax.set_xticklabels; patch_artist=True allows coloured boxes."
    ),
    "horizontal box chart": (
        "Use ax.boxplot(..., vert=False) (orientation='horizontal' from matplotlib 3.10) so the "
        "boxes lie horizontally; put the category names on the y axis with ax.set_yticks/"
        "ax.set_yticklabels."
    ),
    "scatter chart": (
        "Use ax.scatter with x and y measurements of many items; colour or size may encode a "
        "third variable (add a colorbar or legend for it)."
    ),
    "scatter chart with smooth fitting": (
        "Scatter the observations and overlay a fitted curve (np.polyfit/np.poly1d, a moving "
        "average or an exponential fit) drawn as a smooth line over a dense x grid."
    ),
    "3D scatter chart (bubble chart)": (
        "Either a 3D axes with ax.scatter(x, y, z) or a 2D bubble chart whose marker size s "
        "encodes a third variable; explain the size/colour encoding in a legend or colorbar."
    ),
    "heat map": (
        "Show a 2D matrix with ax.imshow or ax.pcolormesh, add a colorbar, label rows and "
        "columns with tick labels, and optionally write each cell's value inside it."
    ),
    "rose chart": (
        "A polar bar chart (Nightingale rose): ax.bar on a polar axes with one wedge per "
        "category or direction, the radius giving the value."
    ),
    "funnel chart": (
        "Centered horizontal bars (ax.barh with left=-width/2) shrinking from the top stage to "
        "the bottom one; write the count and conversion rate on each stage."
    ),
    "waterfall chart": (
        "Bars that start where the previous cumulative total ended (bottom= running sum), "
        "green for increases and red for decreases, with the start and final totals as full bars."
    ),
    "histogram": (
        "Use ax.hist on raw samples with a chosen number of bins (optionally several "
        "overlapping distributions with alpha, or density=True); label the value axis."
    ),
    "tree map": (
        "Split a rectangle into tiles whose areas are proportional to the values "
        "(squarify.plot or computed rectangles), label each tile with name and value, axis off."
    ),
}


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
