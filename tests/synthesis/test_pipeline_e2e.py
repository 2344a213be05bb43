"""End-to-end synthesis through the CLI against the local server with scripted models."""

from __future__ import annotations

import json

import pytest

from reachqa_builder.cli import main
from reachqa_builder.synthesis_format import iter_records
from tests.synthesis.synthesis_fixtures import synth_args


def read_jsonl(path):
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


@pytest.mark.slow
def test_full_run_writes_reachqa_layout_with_provenance(synth_server, scripted, tmp_path, capsys):
    out = tmp_path / "charts"
    scripted.broken_first = True  # every first script fails: the LLM fix path makes them run
    rc = main(synth_args(synth_server, out, "--num-charts", "3", "--concurrency", "8"))
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    plot_info = read_jsonl(out / "plot_info.jsonl")
    assert len(plot_info) == 3
    for n, rec in enumerate(plot_info, start=1):
        assert rec["id"] == f"reachqa-synthetic-plot-{n:05d}"
        assert (out / rec["code"]).is_file() and (out / rec["image"]).read_bytes()[:2] == b"\xff\xd8"
        prov = rec["provenance"]
        assert prov["plot_model"] == "gen-model" and len(prov["prompt_version"]) == 12
        assert prov["sampling"] == {"temperature": 1.0, "top_p": 0.95, "max_tokens": 8192}
        assert set(prov["rater_scores"]) == {"rater-a", "rater-b"} and prov["rating"] == 4
        assert all("Rating: 4" in r for r in prov["rater_reasons"].values())  # paper protocol: text replies
        assert prov["rules"]["protocol"] == "paper" and prov["render_env"] == "current" and prov["run_seed"] == 0
        assert rec["level"] in ("Easy", "Hard") and rec["minor_chart_type"]
        assert len(prov["demo_ids"]) == 3 and len(prov["topics"]) == 2 and "backstory" in prov["backstory"]
        if rec["level"] == "Hard":
            assert prov["evolved_from"] and prov["direction"] in ("more_data", "visual_elements", "overlay", "subplot")
            assert prov["evolution_plan"] and "parent_plot_id" in prov
        else:
            assert prov["fixes"] == 1 and "ValueError" in prov["render_errors"][0]
        rejected = prov["qa_rejected_pairs"]
        assert len(rejected) == 1 and "sum of all values" in rejected[0]["question"]
        assert {v["verdict"] for v in rejected[0]["checks"].values()} == {"reject"}
    qa = json.loads((out / "instruction_data.json").read_text())
    # 8 questions per chart, one near-duplicate dropped by ROUGE-L, one rejected by both raters
    assert len(qa) == 3 * 6
    assert {q["QA_type"] for q in qa} == {"Recognizing", "Reasoning"}
    assert all(q["plot_id"] in {r["id"] for r in plot_info} for q in qa)
    assert not any("sum of all values" in q["question"] for q in qa)
    assert all("The final answer is" in q["answer"] and q["concise_answer"] for q in qa)
    assert all(set(q["checks"]) == {"rater-a", "rater-b"} for q in qa)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["qa_pairs_dropped"]["qa:duplicate"] >= 3
    assert summary["qa_pairs_dropped"]["check:rejected"] >= 3
    assert "output: 3 charts of 3 wanted, 18 Q&A pairs" in captured.out
    # rater requests carried the rendered image; keys never in outputs
    for p in out.rglob("*"):
        if p.is_file() and p.suffix in (".json", ".jsonl", ".py"):
            assert "test-key" not in p.read_text()


def test_rerun_costs_no_api_calls(synth_server, tmp_path):
    out = tmp_path / "charts"
    assert main(synth_args(synth_server, out, "--num-charts", "2")) == 0
    first = (out / "plot_info.jsonl").read_text()
    n = len(synth_server.requests)
    assert main(synth_args(synth_server, out, "--num-charts", "2")) == 0
    assert len(synth_server.requests) == n and (out / "plot_info.jsonl").read_text() == first
    # A single-stage re-run of rate with --no-cache would hit the server again: the journal skips
    # every chart already rated. The full run may have stopped (enough charts) before rating every
    # executed chart; those, and only those, are rated now (one request per rater).
    # One rating is also taken out of the journal, as if the run had been killed before writing it.
    rate_journal = out / "work" / "rate.jsonl"
    lines = rate_journal.read_text().splitlines(keepends=True)
    forgotten = json.loads(lines[0])["id"]
    rate_journal.write_text("".join(l for l in lines if json.loads(l)["id"] != forgotten))
    executed = {r["id"] for r in iter_records(out / "work" / "execute.jsonl", "ok")}
    unrated = executed - {r["id"] for r in iter_records(rate_journal)}
    assert forgotten in unrated
    assert main(synth_args(synth_server, out, "rate", "--no-cache")) == 0
    assert len(synth_server.requests) == n + 2 * len(unrated)
    assert main(synth_args(synth_server, out, "rate", "--no-cache")) == 0
    assert len(synth_server.requests) == n + 2 * len(unrated)


def test_low_ratings_drop_charts_and_give_up(synth_server, scripted, tmp_path, capsys):
    scripted.low_score = True
    out = tmp_path / "charts"
    rc = main(synth_args(synth_server, out, "--num-charts", "1", "--max-attempts-factor", "2", "--evolve-ratio", "0"))
    assert rc == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["rate"]["dropped"] == {"low_rating": 2}
    assert summary["output"]["charts"] == 0
    assert "only 0 of 1 charts" in capsys.readouterr().err


def test_code_that_never_runs_is_dropped_after_two_fixes(synth_server, scripted, tmp_path):
    scripted.always_broken = True
    out = tmp_path / "charts"
    assert main(synth_args(synth_server, out, "--num-charts", "1", "--max-attempts-factor", "1")) == 1
    recs = read_jsonl(out / "work" / "execute.jsonl")  # the Easy script and its evolved Hard one
    assert len(recs) == 2 and all(r["status"] == "dropped" and r["reason"] == "ValueError" for r in recs)
    assert all(len(r["render_errors"]) == 3 for r in recs)  # first run + 2 fixes, kept for curators
    fixes = [r for r in synth_server.requests if "needs fixing" in r.last_user_text]
    assert len(fixes) == 2 * 2


def test_all_pairs_rejected(synth_server, scripted, tmp_path):
    scripted.reject_all = True
    out = tmp_path / "charts"
    main(synth_args(synth_server, out, "--num-charts", "1", "--max-attempts-factor", "1", "--evolve-ratio", "0"))
    rec = read_jsonl(out / "work" / "check.jsonl")[0]
    assert rec["reason"] == "all_pairs_rejected"
