"""The evaluation report's one reader (reachqa_builder.eval_report) reads what evaluation.report writes."""

from __future__ import annotations

import json

import pytest

from evaluation.report import write_report
from reachqa_builder.eval_report import ReportFormatError, read_report


def _records():
    out = []
    for chart in range(5):
        for q in range(3):
            right = (chart * 3 + q) % 4 != 0
            out.append({"id": f"i{chart}-{q}", "benchmark": "chartbench", "subset": "acc" if q else "nqa",
                        "question": "?", "answer": "yes", "prediction": "yes",
                        "judge": "invalid" if chart == 4 and q == 2 else ("correct" if right else "incorrect"),
                        "relaxed": right, "official": "correct" if right else "incorrect",
                        "meta": {"group": f"c{chart}", "category": "bar" if chart % 2 else "pie",
                                 "pair": f"p{chart}" if q < 2 else None}})
    return out


def test_reads_every_score_and_interval_the_writer_wrote(tmp_path):
    usage = {"requests": 15, "cache_hits": 2, "prompt_tokens": 900, "completion_tokens": 80,
             "price_per_prompt_token": None, "price_per_completion_token": None, "cost": None}
    raw = write_report(tmp_path, _records(), judge_usage=usage)
    rep = read_report(tmp_path)  # the folder or the file
    assert rep == read_report(tmp_path / "report.json")
    b = rep.benchmarks["chartbench"]
    for name, cell, want in [("all", b.all, raw["benchmarks"]["chartbench"]["all"]),
                             *[(k, b.subsets[k], v) for k, v in raw["benchmarks"]["chartbench"]["subsets"].items()],
                             *[(k, b.categories[k], v) for k, v in raw["benchmarks"]["chartbench"]["categories"].items()]]:
        assert cell.n == want["n"] and cell.clusters == want["clusters"] and cell.clustered_by == want["clustered_by"]
        for m in ("judge", "relaxed", "official"):
            assert cell.scores[m].accuracy == want[f"{m}_accuracy"], (name, m)
            assert cell.scores[m].ci95 == (None if want[f"{m}_ci95"] is None else tuple(want[f"{m}_ci95"]))
            assert cell.scores[m].n == want[f"{m}_n"]
        assert cell.judge_invalid == want["judge_invalid"] and cell.agreement == want["agreement"]
    assert set(b.categories) == {"bar", "pie"} and b.all.judge_invalid == 1
    assert b.all.scores["judge"].ci95 is not None  # five charts: an interval
    ap = raw["benchmarks"]["chartbench"]["acc_plus"]
    assert b.acc_plus.pairs == ap["pairs"] == 5
    assert b.acc_plus.scores["judge"].accuracy == ap["judge"]["accuracy"]
    assert rep.judge_usage.prompt_tokens == 900 and rep.judge_usage.cost is None


def test_older_reports_without_intervals_read_with_none(tmp_path):
    raw = write_report(tmp_path, _records())
    cell = raw["benchmarks"]["chartbench"]["all"]
    for m in ("judge", "relaxed", "official"):
        cell.pop(f"{m}_ci95")
    raw["benchmarks"]["chartbench"]["categories"] = {}
    raw["benchmarks"]["chartbench"].pop("acc_plus")
    raw.pop("judge_usage")
    (tmp_path / "report.json").write_text(json.dumps(raw))
    rep = read_report(tmp_path)
    assert rep.benchmarks["chartbench"].all.scores["judge"].ci95 is None
    assert rep.benchmarks["chartbench"].acc_plus is None and rep.judge_usage is None


@pytest.mark.parametrize("change, where", [
    (lambda r: r["benchmarks"]["chartbench"]["all"].update(judge_ci95="wide"), "benchmarks.chartbench.all.judge_ci95"),
    (lambda r: r["benchmarks"]["chartbench"]["subsets"]["acc"].update(n="3"), "benchmarks.chartbench.subsets.acc.n"),
    (lambda r: r.pop("benchmarks"), "no benchmarks"),
    (lambda r: r["benchmarks"]["chartbench"]["acc_plus"].update(judge=[1]), "benchmarks.chartbench.acc_plus.judge"),
])
def test_a_report_that_does_not_fit_is_one_error_naming_the_key(tmp_path, change, where, capsys):
    raw = write_report(tmp_path, _records())
    change(raw)
    (tmp_path / "report.json").write_text(json.dumps(raw))
    with pytest.raises(ReportFormatError, match=f"report.json: .*{where}" if "." in where else where):
        read_report(tmp_path)
    # the viewer says so in one line and exits 2
    (tmp_path / "judged.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _records()))
    from reachqa_builder.cli import main

    assert main(["view", str(tmp_path), "--out", str(tmp_path / "site"), "--thumb-cache", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "report.json" in err and where.split(".")[-1] in err
