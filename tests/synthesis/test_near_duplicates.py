"""Near-duplicate charts and questions as synthesis filters (--drop-near-duplicates,
--drop-near-duplicate-questions): off by default, dropped with a counted reason when asked for."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from reachqa_builder.card import _synthesis_lines
from reachqa_builder.checks import similarity as sim
from reachqa_builder.cli import main
from reachqa_builder.provenance import synthesis_record
from synthesis.data_checks import NearDuplicates, drop_near_duplicate_questions
from tests.demo_models import SIMPLE
from tests.openai_server import OpenAIServer
from tests.synthesis.synthesis_fixtures import ScriptedModels, synth_args

_SCRIPT = re.compile(r"import matplotlib\.pyplot as plt\n.*?plt\.show\(\)\n", re.S)
CROSS_TYPE = "Which category has the largest value shown?"  # a reasoning question repeating a recognizing one


def unique_script(text: str) -> str:
    """A script of its own per prompt: 10 values drawn from the prompt's hash."""
    h = hashlib.sha256(text.encode()).digest()
    return SIMPLE.format(labels=[str(y) for y in range(2010, 2020)], values=[b % 90 + 5 for b in h[:10]], tag=h[:4].hex())


class NearCopies(ScriptedModels):
    """Every Easy script is its own; every evolved script is its parent with a new title (a
    near-duplicate of it); the reasoning questions repeat a recognizing one almost word for word."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicate_questions = False  # no within-type repeat: the paper's ROUGE-L dedup drops nothing

    def __call__(self, req):
        last = req.last_user_text
        if "write the complete script" in last:
            return f"```python\n{unique_script(req.text)}```"
        if "write the final, reworked script" in last:
            parent = _SCRIPT.search(req.text).group(0)
            return "```python\n" + re.sub(r'set_title\("Scripted chart (\w+)"\)', r'set_title("Scripted chart \1, reworked")', parent) + "```"
        reply = super().__call__(req)
        if isinstance(reply, dict) and "question_list" in reply and "university entrance" in req.text:
            reply["question_list"][2] = CROSS_TYPE
        return reply


@pytest.fixture
def near_server():
    s = OpenAIServer(NearCopies(), api_key="test-key")
    s.start()
    try:
        yield s
    finally:
        s.stop()


def journal(out, name):
    return [json.loads(line) for line in (out / "work" / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def questions(out):
    return [q["question"] for q in json.loads((out / "instruction_data.json").read_text())]


def test_near_duplicate_index_scores_as_the_shared_jaccard():
    a, b, c = unique_script("a"), unique_script("b"), unique_script("a").replace("Year", "Calendar year")
    index = NearDuplicates(0.5)
    index.add("a", a)
    index.add("b", b)
    for text in (a, b, c):  # the index's score is the one reachqa stats / decontaminate compute
        want = max(sim.jaccard(sim.code_shingles(text), sim.code_shingles(x)) for x in (a, b))
        assert index.match(text)[1] == round(want, 4)
    assert index.match(c)[0] == "a"
    strict = NearDuplicates(0.99)
    strict.add("a", a)
    assert strict.match(c) is None and strict.match(a) == ("a", 1.0)
    index.add("a-again", a)
    assert index.match(a) == ("a", 1.0)  # a tie goes to the chart accepted first
    assert NearDuplicates(0.9).match(c, also={"parent": a})[0] == "parent"


def test_near_duplicate_questions_of_one_chart():
    pairs = [{"question": q, "QA_type": t} for q, t in (("Which category has the largest value?", "Recognizing"),
                                                         ("How many categories are there?", "Recognizing"),
                                                         (CROSS_TYPE, "Reasoning"))]
    kept, dropped = drop_near_duplicate_questions(pairs, 0.8)
    assert [p["question"] for p in kept] == [pairs[0]["question"], pairs[1]["question"]]
    assert dropped == [{"question": CROSS_TYPE, "QA_type": "Reasoning",
                        "near_duplicate_of": "Which category has the largest value?", "jaccard": 0.8}]
    assert drop_near_duplicate_questions(pairs, 0.81)[1] == []


@pytest.mark.slow
def test_near_duplicates_are_dropped_counted_and_reported(near_server, tmp_path, capsys):
    out = tmp_path / "charts"
    args = ["--num-charts", "2", "--drop-near-duplicates", "0.9", "--drop-near-duplicate-questions", "0.8"]
    assert main(synth_args(near_server, out, *args)) == 0
    printed = capsys.readouterr().out
    dropped = {r["id"]: r for r in journal(out, "execute") if r["status"] == "dropped"}
    assert sorted(dropped) == ["c00000e", "c00001e"]  # each evolved chart repeats its parent
    for item_id, rec in dropped.items():
        assert rec["reason"] == "near_duplicate" and rec["near_duplicate_of"] == item_id[:-1]
        assert 0.9 <= rec["code_jaccard"] < 1.0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["execute"]["dropped"] == {"near_duplicate": 2}
    assert summary["qa_pairs_dropped"]["qa:near_duplicate"] == 2
    for rec in journal(out, "qa"):
        assert rec["provenance"]["qa_near_duplicate_pairs"] == [{
            "question": CROSS_TYPE, "QA_type": "Reasoning", "near_duplicate_of": "Which category has the largest value?",
            "jaccard": 0.8}]
    assert CROSS_TYPE not in questions(out) and len(questions(out)) == 2 * 6  # 8 - repeat - rejected
    assert "near_duplicate=2" in printed and "qa:near_duplicate=2" in printed
    card = "\n".join(_synthesis_lines(synthesis_record(out)))
    assert "stage execute: 2 kept; dropped by reason: near_duplicate: 2" in card
    assert "qa:near_duplicate: 2" in card

    # resumable: a larger run keeps the decisions and asks nothing again for them
    n = len(near_server.requests)
    assert main(synth_args(near_server, out, *args[2:], "--num-charts", "3")) == 0
    evolve_requests = [r for r in near_server.requests[n:] if "write the final, reworked script" in r.last_user_text]
    assert len(evolve_requests) == 1  # only lineage 2's
    ids = [r["id"] for r in journal(out, "execute")]
    assert len(ids) == len(set(ids))
    assert sorted(r["id"] for r in journal(out, "execute") if r["status"] == "dropped") == ["c00000e", "c00001e",
                                                                                            "c00002e"]


@pytest.mark.slow
def test_without_the_options_nothing_is_dropped_as_near_duplicate(near_server, tmp_path):
    out = tmp_path / "charts"
    assert main(synth_args(near_server, out, "--num-charts", "2", "--evolve-ratio", "1")) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["execute"]["dropped"] == {}
    assert "qa:near_duplicate" not in summary["qa_pairs_dropped"]
    evolved = [r for r in journal(out, "execute") if r["id"].endswith("e")]
    assert evolved and all(r["status"] == "ok" for r in evolved)
    assert CROSS_TYPE in questions(out)


class RepeatsAcrossCharts(NearCopies):
    """Each chart's questions name the chart, except one recognizing question that every chart asks
    (and the reasoning near-copy of it)."""

    SHARED = "Which category has the largest value?"

    def __call__(self, req):
        reply = super().__call__(req)
        if isinstance(reply, dict) and "question_list" in reply:
            tag = re.search(r"Scripted chart (\w+)", req.text).group(1)
            reply["question_list"] = [q if q in (self.SHARED, CROSS_TYPE) else f"For chart {tag}: {q}"
                                      for q in reply["question_list"]]
        return reply


@pytest.mark.slow
def test_questions_repeating_another_charts_are_dropped_with_dataset_scope(tmp_path):
    server = OpenAIServer(RepeatsAcrossCharts(), api_key="test-key").start()
    out = tmp_path / "charts"
    flags = ["--evolve-ratio", "0", "--drop-near-duplicate-questions", "0.8",
             "--near-duplicate-question-scope", "dataset"]
    try:
        assert main(synth_args(server, out, "--num-charts", "1", *flags)) == 0  # c00000 alone: nothing to repeat
        assert main(synth_args(server, out, "--num-charts", "2", *flags)) == 0  # c00001 against c00000 (journal)
    finally:
        server.stop()
    qa = {r["id"]: r for r in journal(out, "qa")}
    assert sorted(qa) == ["c00000", "c00001"]
    shared = RepeatsAcrossCharts.SHARED
    assert qa["c00000"]["provenance"]["qa_near_duplicate_pairs"] == [
        {"question": CROSS_TYPE, "QA_type": "Reasoning", "near_duplicate_of": shared, "jaccard": 0.8}]
    assert qa["c00001"]["provenance"]["qa_near_duplicate_pairs"] == [
        {"question": shared, "QA_type": "Recognizing", "near_duplicate_of": shared, "chart": "c00000", "jaccard": 1.0},
        {"question": CROSS_TYPE, "QA_type": "Reasoning", "near_duplicate_of": shared, "chart": "c00000",
         "jaccard": 0.8}]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["qa_pairs_dropped"]["qa:near_duplicate"] == 3
    assert questions(out).count(shared) == 1 and len(questions(out)) == 6 + 5


@pytest.mark.parametrize("flag,value", [("--drop-near-duplicates", "1.5"), ("--drop-near-duplicate-questions", "0")])
def test_a_threshold_outside_the_unit_interval_is_refused(flag, value, tmp_path, capsys):
    assert main(["synthesize", "--model", "m", "--rater-model", "r", "--out", str(tmp_path / "o"), flag, value]) == 2
    assert f"{flag} must be within (0, 1], got {float(value)}" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # refused before anything is written
