"""``reachqa stats``: the paper's statistics table for a built dataset."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from reachqa_builder.cli import main
from reachqa_builder.stats import chart_layout, dataset_stats, format_table

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import SCRIPTS


@pytest.mark.parametrize("code, expected", [
    (SCRIPTS["t1"], (True, False)),   # twin axes
    (SCRIPTS["t2"], (False, True)),   # subplots(1, 2)
    (SCRIPTS["t3"], (False, False)),
    ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.bar([1], [2])\nax.plot([1], [2])\n", (True, False)),
    ("import matplotlib.pyplot as plt\nax = plt.subplot(2, 1, 1)\nax.plot([1])\nax = plt.subplot(2, 1, 2)\n", (False, True)),
    ("fig, axs = plt.subplots(nrows=3, figsize=(4, 8))\n", (False, True)),
    ("import matplotlib.gridspec as gs\ng = gs.GridSpec(2, 2)\n", (False, True)),
    ("fig, ax = plt.subplots()\nax.plot([1]); ax.errorbar([1], [1], yerr=[1])\n", (False, False)),  # one kind
    ("this is not python(", (False, False)),
])
def test_chart_layout(code, expected):
    assert chart_layout(code) == expected


@pytest.mark.slow
def test_stats_of_a_built_dataset(built_dataset, tmp_path):
    out, status, _ = built_dataset
    assert status == 0
    stats = dataset_stats(out)
    assert stats["config"] == "qa"
    test = stats["splits"]["test"]
    assert test["charts"] == 3 and test["qa"] == 6
    assert test["qa_per_type"] == {"Reasoning": 3, "Recognizing": 3}
    assert test["overlay_charts"] == 1 and test["multi_plot_charts"] == 1
    assert test["minor_chart_types"] == 3 and test["major_chart_types"] == 3
    assert test["avg_width"] > 100 and test["avg_height"] > 100
    q_words = [len(f"What does chart {k} show ({t})?".split()) for k in ("t1", "t2", "t3")
               for t in ("Recognizing", "Reasoning")]
    assert test["avg_question_words"] == round(sum(q_words) / 6, 1)

    charts = dataset_stats(out, "charts")
    assert charts["splits"]["train"]["charts"] == 2 and charts["total"]["charts"] == 5
    assert "qa" not in charts["total"]
    table = format_table(charts)
    assert "Charts" in table and "total" in table and "Overlay charts" in table

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["stats", str(out), "--json", str(tmp_path / "s.json")]) == 0
    assert "Q&A pairs" in buf.getvalue() and "Reasoning" in buf.getvalue()
    assert json.loads((tmp_path / "s.json").read_text()) == json.loads(json.dumps(stats))

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["stats", str(out), "--config", "seed"]) == 2
    assert "not built" in err.getvalue()
