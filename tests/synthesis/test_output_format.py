"""The contract between synthesis (the writer) and the format's readers: a real run writes every name
``reachqa_builder.synthesis_format`` reads (journals, summary, run record, provenance keys)."""

from __future__ import annotations

import pytest

from reachqa_builder import synthesis_format as sf
from reachqa_builder.cli import main
from reachqa_builder.layout import find_splits, read_charts
from reachqa_builder.provenance import synthesis_record
from tests.synthesis.synthesis_fixtures import synth_args


def test_a_run_writes_what_the_readers_read(synth_server, tmp_path, capsys):
    out = tmp_path / "charts"
    rc = main(synth_args(synth_server, out, "--num-charts", "1", "--evolve-ratio", "0",
                         "--drop-near-duplicate-questions", "0.9"))
    assert rc == 0, capsys.readouterr().err
    work = out / sf.WORK_DIR
    # journals: one per stage that ran, each id's last record ok or dropped with a reason
    for stage in ("self-instruct", "execute", "rate", "qa", "check"):
        records = list(sf.iter_records(sf.journal_path(work, stage)))
        assert records and all(r["status"] == "ok" or r.get("reason") for r in records), stage
    # the summary: per stage counts that agree with the journals
    summary = sf.read_summary(out)
    for stage, counts in summary["stages"].items():
        assert counts["ok"] == sum(1 for _ in sf.iter_records(sf.journal_path(work, stage), "ok")), stage
    # pair drops counted from the provenance keys the readers use
    checked = next(sf.iter_records(sf.journal_path(work, "check"), "ok"))
    qa = sf.read_records(sf.journal_path(work, "qa"))[checked["id"]]
    assert set(sf.pairs_dropped("qa", qa)) == {"qa:duplicate", "qa:near_duplicate"}
    assert set(sf.pairs_dropped("check", checked)) == {"check:rejected"}
    assert summary["qa_pairs_dropped"]["qa:duplicate"] == sf.pairs_dropped("qa", qa)["qa:duplicate"] >= 1
    # each kept chart carries the provenance keys the card, the viewer and the builder read
    P = sf.Provenance
    charts = read_charts(find_splits(out)[0])
    assert charts and all(c.plot_model == "gen-model" for c in charts)
    for c in charts:
        prov = c.extra["provenance"]
        assert prov[P.QA_MODEL] == "gen-model" and set(prov[P.RATER_SCORES]) == {"rater-a", "rater-b"}
        assert prov[P.RENDER_ENV] == "current"
        assert {P.QA_DUPLICATES, P.QA_NEAR_DUPLICATES, P.QA_REJECTED} <= set(prov)
    # the run record: every protocol key, read back as the card shows it
    (record,) = sf.read_run_records(out)
    assert set(sf.PROTOCOL_KEYS) <= set(record)
    card = synthesis_record(out)
    assert card["protocol"]["mode"] == "full" and card["protocol"]["drop_near_duplicate_questions"] == 0.9
    assert card["models"]["Q&A"] == {"gen-model": 1} and card["models"]["image raters"] == {"rater-a": 1, "rater-b": 1}


def test_a_damaged_journal_stops_a_resume_in_one_line_and_keeps_the_journal(synth_server, tmp_path, capsys):
    out = tmp_path / "charts"
    journal = sf.journal_path(out / sf.WORK_DIR, "rate")
    journal.parent.mkdir(parents=True)
    content = b'{"id": "c00000", "status": "ok"}\n{"id": "c00001", "sta\n{"id": "c00002", "status": "ok"}\n'
    journal.write_bytes(content)
    assert main(synth_args(synth_server, out, "--num-charts", "1")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rate.jsonl:2: damaged journal line" in err[0], err
    assert journal.read_bytes() == content  # the records after the damage are still there


def test_the_usage_log_survives_a_torn_line_and_damage_is_named(tmp_path):
    from types import SimpleNamespace

    from synthesis.usage_log import UsageLog

    work = tmp_path / "work"
    log = work / sf.USAGE_FILE
    log.parent.mkdir(parents=True)
    log.write_bytes(b'{"stage": "rate", "model": "r", "prompt_tokens": 10, "completion_tokens": 2}\n{"stage": "ra')
    assert sf.usage_by_stage(work) == {("rate", "r"): {"requests": 1, "prompt_tokens": 10, "completion_tokens": 2}}
    usage = UsageLog(log)  # a resumed run: its first line must not complete the torn one
    usage.record("qa", "g", SimpleNamespace(prompt_tokens=5, completion_tokens=7))
    usage.close()
    assert sf.usage_by_stage(work) == {("rate", "r"): {"requests": 1, "prompt_tokens": 10, "completion_tokens": 2},
                                       ("qa", "g"): {"requests": 1, "prompt_tokens": 5, "completion_tokens": 7}}
    log.write_bytes(b'{"stage": "rate", "mo\n' + log.read_bytes())
    with pytest.raises(ValueError, match=r"usage\.jsonl:1: not a JSON record"):
        sf.usage_by_stage(work)
