"""Scores with uncertainty: clustered 95% intervals, per-category tables, ChartBench Acc+, and the
paired comparison of two runs (``reachqa compare``)."""

from __future__ import annotations

import json
import math
import random

import pytest

from evaluation.report import summarize
from evaluation.stats import Z95, clustered_mean, interval, paired_difference
from reachqa_builder.cli import main


def _rec(i, chart, relaxed, bench="reachqa", subset="reasoning", category=None, pair=None, judge=None):
    meta = {"group": chart} if chart is not None else {}
    if category:
        meta["category"] = category
    if pair:
        meta["pair"] = pair
    r = {"id": str(i), "benchmark": bench, "subset": subset, "question": "q", "answer": "a", "prediction": "p",
         "relaxed": relaxed, "meta": meta}
    if judge is not None:
        r["judge"] = judge
    return r


def test_clustered_standard_error_by_hand():
    # two charts, two questions each: chart A all right, chart B all wrong
    stat = clustered_mean([1, 1, 0, 0], ["A", "A", "B", "B"])
    assert stat["mean"] == 0.5 and stat["clusters"] == 2
    assert stat["se"] == pytest.approx(math.sqrt(2 / 1 * (1.0 ** 2 + 1.0 ** 2) / 16))  # 0.5
    alone = clustered_mean([1, 1, 0, 0], [0, 1, 2, 3])  # each item its own cluster: s / sqrt(n)
    assert alone["se"] == pytest.approx(math.sqrt(4 / 3 * 1.0 / 16))
    assert stat["se"] > alone["se"]  # correlated questions on a chart widen the interval
    assert interval(stat) == [0.0, pytest.approx(min(1.0, 0.5 + Z95 * 0.5))]
    assert clustered_mean([1, 0], ["A", "A"])["se"] is None and interval(clustered_mean([1], ["A"])) is None


def test_interval_covers_the_true_accuracy_about_95_percent_of_the_time():
    """Simulated benchmark: 60 charts x 4 questions, chart difficulty shared by its questions."""
    rng = random.Random(7)
    hits = 0
    trials = 400
    for _ in range(trials):
        values, clusters = [], []
        for c in range(60):
            p = rng.choice([0.2, 0.5, 0.9])  # true accuracy over charts: (0.2 + 0.5 + 0.9) / 3
            for _ in range(4):
                values.append(float(rng.random() < p))
                clusters.append(c)
        lo, hi = interval(clustered_mean(values, clusters))
        hits += lo <= 1.6 / 3 <= hi
    assert 0.90 <= hits / trials <= 0.99


def test_paired_difference():
    a = [1, 1, 1, 0, 1, 1, 0, 1]
    b = [1, 0, 1, 0, 0, 1, 0, 0]
    d = paired_difference(a, b, [0, 0, 1, 1, 2, 2, 3, 3])
    assert d["difference"] == pytest.approx(3 / 8) and d["n"] == 8 and d["clusters"] == 4
    assert d["ci95"][0] < 3 / 8 < d["ci95"][1] and -1 <= d["ci95"][0]


def test_report_cells_categories_and_acc_plus():
    recs = [_rec(0, "c1", True, category="Bar"), _rec(1, "c1", True, category="Bar"),
            _rec(2, "c2", False, category="Line"), _rec(3, "c2", True, category="Line"),
            _rec(4, None, True, bench="chartqa", subset="human")]
    recs += [_rec(10, "img1", True, bench="chartbench", subset="ve", category="bar", pair="7"),
             _rec(11, "img1", False, bench="chartbench", subset="ve", category="bar", pair="7"),
             _rec(12, "img2", True, bench="chartbench", subset="ve", category="line", pair="8"),
             _rec(13, "img2", True, bench="chartbench", subset="ve", category="line", pair="8"),
             _rec(14, "img2", True, bench="chartbench", subset="nqa", category="line")]
    s = summarize(recs)
    rq = s["benchmarks"]["reachqa"]
    assert rq["all"]["relaxed_accuracy"] == 0.75 and rq["all"]["clusters"] == 2
    assert rq["all"]["clustered_by"] == "chart" and len(rq["all"]["relaxed_ci95"]) == 2
    assert rq["categories"]["Bar"]["relaxed_accuracy"] == 1.0 and rq["categories"]["Line"]["relaxed_accuracy"] == 0.5
    assert s["benchmarks"]["chartqa"]["all"]["clustered_by"] == "item"
    cb = s["benchmarks"]["chartbench"]
    assert cb["acc_plus"]["pairs"] == 2 and cb["acc_plus"]["relaxed"]["accuracy"] == 0.5
    assert cb["acc_plus"]["judge"] is None
    assert cb["all"]["relaxed_accuracy"] == 0.8
    col = next(c for c in s["paper_table"]["columns"] if c["key"] == "reachqa/reasoning")
    assert col["ci95"] == rq["subsets"]["reasoning"]["relaxed_ci95"]


def _write_run(folder, outcomes):
    folder.mkdir(parents=True)
    rows = [_rec(i, f"chart{i // 2}", ok, judge="correct" if ok else "incorrect") for i, ok in enumerate(outcomes)]
    (folder / "judged.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_compare_command(tmp_path, capsys):
    _write_run(tmp_path / "new", [True, True, True, False, True, True, False, True, True, True])
    _write_run(tmp_path / "old", [True, False, True, False, False, True, False, False, True, False])
    assert main(["compare", str(tmp_path / "new"), str(tmp_path / "old"), "--out", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "| reachqa | all | 10 | 80.00 | 40.00 | +40.00 [" in out
    cmp = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    entry = cmp["benchmarks"]["reachqa"]["all"]
    assert cmp["metric"] == "judge" and entry["difference"] == pytest.approx(0.4) and entry["clusters"] == 5
    assert entry["ci95"][0] < 0.4 < entry["ci95"][1]
    assert main(["compare", str(tmp_path / "new"), str(tmp_path / "nowhere")]) == 2
    assert "no judged.jsonl" in capsys.readouterr().err
