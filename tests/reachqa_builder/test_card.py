"""The dataset card: what the Hub and a reader need (license, citation, sizes, columns, how it was
built, synthesis provenance), and merges that keep what is already there."""

from __future__ import annotations

import json

import pytest
import yaml

from reachqa_builder import __version__
from reachqa_builder.release import REACHQA_COMMIT
from reachqa_builder.card import BEGIN, END, SplitEntry, merge_card
from reachqa_builder.export import build_config
from reachqa_builder.features import FEATURES

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import SCRIPTS, write_split


def _parts(text: str) -> tuple[dict, str]:
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body


def _synthesis_folder(root):
    """A split folder as ``reachqa synthesize`` writes it: provenance, summary.json, the run's settings."""
    src = write_split(root, {"t3": SCRIPTS["t3"], "t1": SCRIPTS["t1"]}, split="synthetic",
                      extra={"provenance": {"qa_model": "qa-writer", "rater_scores": {"rater-a": 4, "rater-b": 5}}})
    (src / "summary.json").write_text(json.dumps({
        "stages": {"self-instruct": {"ok": 5, "dropped": {"no_code_block": 2}},
                   "rate": {"ok": 2, "dropped": {"low_rating": 2}}},
        "qa_pairs_dropped": {"qa:duplicate": 3, "check:rejected": 1}, "output": {"charts": 2, "qa_pairs": 4}}))
    (src / "work").mkdir()
    (src / "work" / "run-full.json").write_text(json.dumps({
        "model": "code-writer", "rater_model": ["rater-a", "rater-b"], "min_rating": 3.75, "temperature": 1.0,
        "prompt_version": "7", "api_key": "sk-do-not-publish", "base_url": "http://10.0.0.1:8000/v1",
        "lint_action": "drop", "drop_contradicted": True, "drop_near_duplicates": 0.9,
        "near_duplicate_question_scope": "chart", "drop_near_duplicate_questions": None, "rater_temperature": None}))
    return src


@pytest.mark.slow
def test_the_card_of_a_synthetic_split_is_complete(tmp_path, render_cache):
    src = _synthesis_folder(tmp_path / "my-synthesis")
    out = tmp_path / "ds"
    build_config("qa", out, data_dir=str(src), split="synthetic", render_env="current", render_cache_dir=render_cache,
                 progress=False, cache_dir=str(tmp_path / "hf"))
    text = (out / "README.md").read_text()
    meta, body = _parts(text)
    assert meta["license"] == "mit"
    assert set(meta["task_categories"]) >= {"visual-question-answering", "image-text-to-text"}
    assert meta["size_categories"] == ["n<1K"]
    assert meta["reachqa"]["source"] == {"repository": "https://github.com/hewei2001/ReachQA", "commit": REACHQA_COMMIT,
                                         "paper": "https://arxiv.org/abs/2410.18798"}
    build = meta["reachqa"]["splits"]["qa/synthetic"]
    assert build["reachqa_version"] == __version__
    assert build["render"]["env"] == "current" and build["render"]["fingerprint"].startswith("current-")
    assert build["charts"] == {"total": 2, "ok": 2, "failed": 0, "dropped_qa": 0}
    syn = build["synthesis"]
    assert syn["models"] == {"chart code": {"test-model": 2}, "Q&A": {"qa-writer": 2},
                             "image raters": {"rater-a": 2, "rater-b": 2}}
    assert syn["protocol"]["model"] == "code-writer" and syn["protocol"]["min_rating"] == 3.75
    # the optional filters a run used are part of its protocol; settings left unset are not shown
    assert {k: syn["protocol"][k] for k in ("lint_action", "drop_contradicted", "drop_near_duplicates")} == {
        "lint_action": "drop", "drop_contradicted": True, "drop_near_duplicates": 0.9}
    assert "rater_temperature" not in syn["protocol"] and "drop_near_duplicate_questions" not in syn["protocol"]
    assert "drop_near_duplicates=0.9" in body
    assert syn["stages"]["rate"]["dropped"] == {"low_rating": 2}
    assert syn["qa_pairs_dropped"] == {"qa:duplicate": 3, "check:rejected": 1}
    assert "sk-do-not-publish" not in text and "10.0.0.1" not in text  # keys and endpoints stay private
    # the prose: citation, source and commit, every column described, how it was built
    assert "@article{he2024distill" in body and "arXiv:2410.18798" in body
    assert REACHQA_COMMIT in body and "MIT" in body
    for column in FEATURES["qa"]:
        row = next(line for line in body.splitlines() if line.startswith(f"| `{column}` |"))
        assert "(not described)" not in row, row
    assert "stage rate: 2 kept; dropped by reason: low_rating: 2" in body
    assert "image raters: `rater-a` (2), `rater-b` (2)" in body
    assert f"built with reachqa {__version__} from the folder `my-synthesis`" in body


def _entry(split, n, features=None, build=None):
    features = features or [{"name": "question", "dtype": "string"}]
    return SplitEntry("qa", split, n, 10 * n, features, build)


def test_merging_keeps_other_splits_prose_and_keys():
    hub = merge_card(None, [_entry("test", 2000, build={"reachqa_version": "0.0.9"})])
    meta, body = _parts(hub)
    meta["annotations_creators"] = ["machine-generated"]
    hub = "---\n" + yaml.safe_dump(meta) + "---\n# Our notes\n\nKept.\n" + body + "\nAfter the card.\n"
    merged = merge_card(hub, [_entry("synthetic", 40)])
    meta, body = _parts(merged)
    assert meta["annotations_creators"] == ["machine-generated"]
    assert [f["split"] for f in meta["configs"][0]["data_files"]] == ["test", "synthetic"]
    assert {s["name"]: s["num_examples"] for s in meta["dataset_info"][0]["splits"]} == {"test": 2000, "synthetic": 40}
    assert meta["reachqa"]["splits"] == {"qa/test": {"reachqa_version": "0.0.9"}}
    assert body.startswith("# Our notes\n\nKept.\n") and body.rstrip().endswith("After the card.")
    assert body.count(BEGIN) == 1 and body.count(END) == 1
    assert "| qa | synthetic | 40 |" in body and "| qa | test | 2000 |" in body
    # a card written by someone else (no markers) keeps its text; ours is added after it
    foreign = merge_card("---\nlicense: other\n---\n# Someone's card\n", [_entry("test", 3)])
    assert foreign.split("---\n", 2)[2].startswith("# Someone's card\n") and BEGIN in foreign
    assert meta["size_categories"] == ["1K<n<10K"]


def test_new_columns_are_described_from_the_features_table(monkeypatch):
    from reachqa_builder import features

    columns = [{"name": "question", "dtype": "string"}, {"name": "verdict", "dtype": "string"}]
    body = _parts(merge_card(None, [_entry("test", 1, columns)]))[1]
    assert "| `verdict` | string | (not described) |" in body
    monkeypatch.setitem(features.COLUMN_DESCRIPTIONS, "qa", {"verdict": "the checkers' verdict"})
    body = _parts(merge_card(None, [_entry("test", 1, columns)]))[1]
    assert "| `verdict` | string | the checkers' verdict |" in body


def test_removed_splits_leave_the_card_and_an_old_reachqa_body_is_replaced():
    card = merge_card(None, [_entry("test", 5), SplitEntry("charts", "train", 3, 30, _entry("x", 1).features)])
    merged = merge_card(card, [_entry("synthetic", 2)], remove=["qa/test", "charts/train"])
    meta, _ = _parts(merged)
    assert [c["config_name"] for c in meta["configs"]] == ["qa"]
    assert [f["split"] for f in meta["configs"][0]["data_files"]] == ["synthetic"] and meta["configs"][0]["default"]
    assert [i["config_name"] for i in meta["dataset_info"]] == ["qa"]
    # the body reachqa 0.1.0 wrote (no markers) is ours: replaced, not kept beside the new one
    old = "---\nlicense: mit\n---\n\n# ReachQA\n\nReasoning-intensive charts ... Built with `reachqa build`; ...\n"
    body = _parts(merge_card(old, [_entry("test", 1)]))[1]
    assert body.count("# ReachQA") == 1 and "Built with `reachqa build`" not in body
