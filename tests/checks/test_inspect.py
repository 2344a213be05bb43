"""Figure inspection in the render worker: plotted values, layout flags, byte identity, hostile input."""

from __future__ import annotations

import json

import pytest

from reachqa_builder.render import REPORT_NAME, render_scripts
from reachqa_builder.render.inspection import MAX_SERIES, MAX_VALUES, validate_inspection

HEADER = "import matplotlib.pyplot as plt\n"

SCRIPTS = {
    "clean": HEADER + """fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(["North", "South", "East"], [12.5, 30, 47.25], label="Sales")
ax.plot([0, 1, 2], [10, 20, 45], color="black", label="Trend")
ax.annotate("peak: 47.25", (2, 47.25), xytext=(1.2, 52))
ax.set_ylim(0, 80)
ax.set_title("Sales by region")
ax.legend(loc="upper left")
plt.show()
""",
    "suptitle": HEADER + """fig, axes = plt.subplots(1, 2, figsize=(7, 3))
fig.suptitle("Two panels under one figure title", fontsize=14)
axes[0].plot([1, 2, 3], [3, 1, 2])
axes[1].bar(["a", "b"], [2, 5])
plt.show()
""",
    "overlap": HEADER + """fig, ax = plt.subplots(figsize=(4, 3))
ax.bar(range(6), [1, 2, 3, 4, 5, 6])
ax.set_xticks(range(6))
ax.set_xticklabels([f"A rather long category name {i}" for i in range(6)])
plt.show()
""",
    "outside": HEADER + """fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([1, 2, 3], [3, 1, 2])
fig.text(0.9, 0.5, "a note that runs off the right edge", fontsize=12)
plt.show()
""",
    "tiny": HEADER + """fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([1, 2, 3], [3, 1, 2])
ax.tick_params(labelsize=3)
plt.show()
""",
    "empty": HEADER + """fig, axes = plt.subplots(1, 2, figsize=(6, 3))
axes[0].plot([1, 2, 3], [3, 1, 2])
plt.show()
""",
    "legend": HEADER + """fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 1, 2, 3], [9, 9.5, 9.8, 10], label="flat high")
ax.plot([0, 1, 2, 3], [0, 1, 2, 3], label="rising")
ax.legend(loc="upper left")
plt.show()
""",
    "pie_table": HEADER + """fig, (a, b) = plt.subplots(1, 2, figsize=(7, 3))
a.pie([25, 75], labels=["Cats", "Dogs"], autopct="%1.1f%%")
b.axis("off")
b.table(cellText=[["2021", "1,250"], ["2022", "1,400"]], colLabels=["Year", "Visitors"], loc="center")
plt.show()
""",
    "bars3d": HEADER + """fig = plt.figure(figsize=(5, 4))
ax = fig.add_subplot(projection="3d")
ax.bar3d([0, 1], [0, 0], [0, 0], 0.5, 0.5, [7.5, 12.0])
ax.scatter([1], [2], [33.3])
ax.text(1, 2, 40, "a 3-D label")
plt.show()
""",
    "lines3d": HEADER + """fig = plt.figure(figsize=(5, 4))
ax = fig.add_subplot(projection="3d")
ax.plot([0, 1, 2], [0, 0, 0], [4.5, 6.25, 8.0], label="Output")
ax.scatter([0, 1], [1, 1], [2.5, 3.75], label="Samples")
ax.set_xticks([0, 1, 2])
ax.set_xticklabels(["Mon", "Tue", "Wed"])
ax.set_zticks([0, 5, 10])
ax.set_zlabel("Output (kWh)")
plt.show()
""",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("inspected")
    cache = tmp_path_factory.mktemp("cache")
    records = render_scripts(SCRIPTS, out, env="current", workers=2, cache_dir=cache, progress=False)
    return {r.id: r for r in records}, out, cache


def kinds(record) -> set[str]:
    return {f["kind"] for f in record.lint}


def test_plotted_values_are_read_from_the_artists(rendered):
    records, _, _ = rendered
    clean = records["clean"]
    assert clean.status == "ok" and clean.inspect_problem is None
    series = {(s["kind"], s["label"]): s["values"] for s in clean.plotted["series"]}
    assert series[("bar", "Sales")] == [12.5, 30.0, 47.25]
    assert series[("line_y", "Trend")] == [10.0, 20.0, 45.0]
    texts = {(t["kind"], t["text"]) for t in clean.plotted["texts"]}
    assert ("annotation", "peak: 47.25") in texts and ("title", "Sales by region") in texts
    assert ("tick", "South") in texts and ("legend", "Sales") in texts
    pie = records["pie_table"].plotted
    shares = next(s["values"] for s in pie["series"] if s["kind"] == "pie")
    assert shares == pytest.approx([25.0, 75.0])
    cells = {t["text"] for t in pie["texts"] if t["kind"] == "table"}
    assert {"Visitors", "1,250", "2022"} <= cells
    z = [v for s in records["bars3d"].plotted["series"] if s["kind"] == "values_z" for v in s["values"]]
    assert {7.5, 12.0, 33.3} <= set(z)  # data coordinates, not the 2-D projection
    bars = [s["values"] for s in records["bars3d"].plotted["series"] if s["kind"] == "bar3d"]
    assert bars == [[7.5, 12.0]]  # each bar3d box's height


def test_3d_axes_give_their_tick_labels_and_data_coordinates(rendered):
    records, _, _ = rendered
    rec = records["lines3d"]
    series = {(s["kind"], s["label"]): s["values"] for s in rec.plotted["series"]}
    assert series[("values_z", "Output")] == [4.5, 6.25, 8.0] and series[("line_x", "Output")] == [0.0, 1.0, 2.0]
    assert series[("values_z", "Samples")] == [2.5, 3.75] and series[("points_y", "Samples")] == [1.0, 1.0]
    texts = [(t["kind"], t["text"]) for t in rec.plotted["texts"]]
    assert [t for k, t in texts if k == "tick" and t in ("Mon", "Tue", "Wed", "0", "5", "10")] == \
        ["Mon", "Tue", "Wed", "0", "5", "10"]  # x tick labels, then z (y's are numbers of its own)
    assert ("label", "Output (kWh)") in texts
    assert rec.lint == []  # 3-D axis texts are placed by projection while drawing: not linted


def test_each_layout_problem_is_flagged_and_a_clean_chart_is_not(rendered):
    records, _, _ = rendered
    assert records["clean"].lint == []
    assert records["suptitle"].lint == []  # a figure title is one text, not two overlapping ones
    assert "overlapping_text" in kinds(records["overlap"])
    assert kinds(records["outside"]) == {"text_outside_figure"}
    assert kinds(records["tiny"]) == {"font_too_small"}
    assert kinds(records["empty"]) == {"empty_axes"}
    assert "legend_covers_data" in kinds(records["legend"])
    assert "text_outside_figure" not in kinds(records["bars3d"])  # 3-D texts are not measured
    detail = next(f for f in records["outside"].lint)["detail"]
    assert "runs off the right edge" in detail and "px beyond" in detail


def test_report_carries_flags_and_cached_records_keep_them(rendered, tmp_path):
    records, out, cache = rendered
    lines = {json.loads(x)["id"]: json.loads(x) for x in (out / REPORT_NAME).read_text().splitlines()}
    assert lines["empty"]["lint"][0]["kind"] == "empty_axes" and "plotted" not in lines["empty"]
    again = {r.id: r for r in render_scripts(SCRIPTS, tmp_path, env="current", workers=2, cache_dir=cache,
                                              progress=False)}
    assert all(r.cached for r in again.values())
    for sid, rec in records.items():
        assert again[sid].lint == rec.lint and again[sid].plotted == rec.plotted


def test_inspection_never_changes_an_output_byte(rendered, tmp_path):
    records, _, _ = rendered
    plain = render_scripts(SCRIPTS, tmp_path, env="current", workers=2, use_cache=False, progress=False,
                           inspect=False)
    for rec in plain:
        assert rec.lint is None and rec.plotted is None
        assert rec.sha256 == records[rec.id].sha256
    assert "lint" not in json.loads((tmp_path / REPORT_NAME).read_text().splitlines()[0])


def forger(label_chars: int, values: int) -> str:
    return HEADER + f"""import sys, types
fake = types.ModuleType("_inspect")
fake.inspect_figure = lambda fig, dpi: {{
    "plotted": {{"series": [{{"kind": "bar", "label": "x" * {label_chars}, "values": [1.0] * {values} + ["NaN", True]}}] * 1000,
                "texts": [{{"kind": "evil", "text": "t"}}, {{"kind": "tick", "text": 5}}]}},
    "lint": [{{"kind": "rm -rf", "severity": "severe", "detail": "x"}}]}}
sys.modules["_inspect"] = fake  # what the worker imports after the script ran
plt.plot([1, 2], [3, 4])
plt.show()
"""


def test_a_script_that_forges_its_inspection_is_capped_and_typed_by_the_parent(tmp_path):
    records = {r.id: r for r in render_scripts({"forger": forger(200, 30), "flood": forger(10**5, 5000)}, tmp_path,
                                               env="current", use_cache=False, progress=False)}
    rec = records["forger"]
    assert rec.status == "ok"
    # The forged payload did reach the parent (a weakened parent would pass it on as is) ...
    assert "malformed or excess" in rec.inspect_problem
    # ... and the parent kept only typed content within its caps.
    assert sum(len(s["values"]) for s in rec.plotted["series"]) <= MAX_VALUES
    assert len(rec.plotted["series"]) == MAX_SERIES
    assert all(len(s["label"]) <= 200 for s in rec.plotted["series"])
    assert all(isinstance(v, float) for s in rec.plotted["series"] for v in s["values"])
    assert rec.plotted["texts"] == [] and rec.lint == []
    # A result message over the worker's 1 MiB cap fails that script's own render (a figure's
    # inspection stays far below it: _inspect.py caps values and texts).
    flood = records["flood"]
    assert flood.status == "error" and flood.error.startswith("ProtocolError") and flood.plotted is None
    assert validate_inspection("not a dict")[2].startswith("inspection is a str")
