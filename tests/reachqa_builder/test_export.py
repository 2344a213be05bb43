"""``reachqa build``: a Parquet dataset folder with a card that ``load_dataset`` reads."""

from __future__ import annotations

import contextlib
import io
import shutil

import datasets
import pytest
import yaml

from reachqa_builder.cli import main
from reachqa_builder.export import build_config, list_configs

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import SCRIPTS, chart_id, write_split


def _card_meta(folder):
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


@pytest.mark.slow
def test_build_writes_a_folder_that_load_dataset_reads(built_dataset, monkeypatch):
    out, status, printed = built_dataset
    assert status == 0
    # the summary: rows per split, rendered / from cache / failed, failed ids listed
    assert "config qa" in printed and "config charts" in printed
    assert "test: 6 rows; charts: 4 total" in printed and "1 failed" in printed
    assert f"failed {chart_id('test', 't4')}: IndexError" in printed
    assert "train: 2 rows" in printed

    assert sorted(p.name for p in out.iterdir()) == ["README.md", "charts", "qa"]
    assert {c: sorted(s) for c, s in list_configs(out).items()} == {"charts": ["test", "train"], "qa": ["test"]}
    meta = _card_meta(out)
    by_name = {c["config_name"]: c for c in meta["configs"]}
    assert by_name["qa"]["default"] is True and "default" not in by_name["charts"]
    assert {"split": "test", "path": "qa/test-*"} in by_name["qa"]["data_files"]

    monkeypatch.chdir(out.parent)
    qa = datasets.load_dataset("reachqa")  # the default config, from the working directory
    assert list(qa) == ["test"] and qa["test"].num_rows == 6
    assert isinstance(qa["test"].features["image"], datasets.Image)
    image = qa["test"][0]["image"]
    assert image.format == "JPEG" and image.size[0] > 100
    charts = datasets.load_dataset("reachqa", "charts")
    assert charts["train"].num_rows == 2 and charts["test"].num_rows == 3
    assert set(charts["test"]["chart_id"]) == {chart_id("test", k) for k in ("t1", "t2", "t3")}


@pytest.mark.slow
def test_second_config_keeps_the_first_and_rebuild_replaces_one(tmp_path, render_cache):
    src = write_split(tmp_path / "reachqa_test", {"t3": SCRIPTS["t3"]}, split="test")
    out = tmp_path / "ds"
    kw = dict(data_dir=str(src), render_env="current", render_cache_dir=render_cache, progress=False,
              cache_dir=str(tmp_path / "hf"))
    first = build_config("charts", out, **kw)
    assert first.rows == {"test": 1}
    assert [c["config_name"] for c in _card_meta(out)["configs"]] == ["charts"]
    assert _card_meta(out)["configs"][0]["default"] is True  # the only config is the default
    build_config("qa", out, **kw)
    assert sorted(list_configs(out)) == ["charts", "qa"]
    # a rebuild of qa from a changed source replaces qa's files only
    (src / "instruction_data.json").write_text('[{"plot_id": "reachqa-test-plot-t3", "question": "Q?", '
                                               '"answer": "A", "QA_type": "Reasoning"}]')
    again = build_config("qa", out, **kw)
    assert again.rows == {"test": 1} and again.reports["test"].rendered == 0
    assert datasets.load_dataset(str(out), "qa")["test"]["qa_id"] == ["reachqa-test-plot-t3-qa-01"]
    assert datasets.load_dataset(str(out), "charts")["test"].num_rows == 1
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging leftovers


@pytest.mark.slow
def test_building_a_split_into_an_existing_folder_keeps_the_other_splits(built_dataset, tmp_path, render_cache):
    built, _, _ = built_dataset
    out = tmp_path / "reachqa"
    shutil.copytree(built, out)
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.parquet")}
    src = write_split(tmp_path / "synthetic-charts", {"t3": SCRIPTS["t3"]}, split="syn")
    status, printed, err = _run(["build", "--config", "qa", "--data-dir", str(src), "--split", "synthetic",
                                 "--out", str(out), "--render-env", "current", "--render-cache-dir", render_cache,
                                 "--cache-dir", str(tmp_path / "hf"), "--no-progress"])
    assert status == 0, err
    assert "synthetic: 2 rows" in printed
    for f, data in before.items():  # qa/test and charts untouched
        assert (out / f).read_bytes() == data, f
    assert {c: sorted(s) for c, s in list_configs(out).items()} == {"charts": ["test", "train"],
                                                                     "qa": ["synthetic", "test"]}
    meta = _card_meta(out)
    qa_entry = next(c for c in meta["configs"] if c["config_name"] == "qa")
    assert sorted(f["split"] for f in qa_entry["data_files"]) == ["synthetic", "test"] and qa_entry["default"]
    builds = meta["reachqa"]["splits"]
    assert set(builds) == {"qa/test", "qa/synthetic", "charts/test", "charts/train"}
    assert builds["qa/synthetic"]["source"] == {"kind": "folder", "folder": "synthetic-charts"}
    qa = datasets.load_dataset(str(out), "qa")
    assert {s: qa[s].num_rows for s in qa} == {"test": 6, "synthetic": 2}
    assert set(qa["synthetic"]["chart_id"]) == {chart_id("syn", "t3")}
    assert datasets.load_dataset(str(out), "charts")["train"].num_rows == 2
    # rebuilding the split replaces it (and only it)
    (src / "instruction_data.json").write_text('[{"plot_id": "reachqa-syn-plot-t3", "question": "Q?", '
                                               '"answer": "A", "QA_type": "Reasoning"}]')
    assert _run(["build", "--config", "qa", "--data-dir", str(src), "--split", "synthetic", "--out", str(out),
                 "--render-env", "current", "--render-cache-dir", render_cache, "--cache-dir", str(tmp_path / "hf"),
                 "--no-progress"])[0] == 0
    qa = datasets.load_dataset(str(out), "qa")
    assert {s: qa[s].num_rows for s in qa} == {"test": 6, "synthetic": 1}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_split_with_other_columns_is_refused_before_anything_changes(tmp_path):
    from reachqa_builder.card import CardConflict, SplitEntry, merge_card

    old = merge_card(None, [SplitEntry("qa", "test", 6, 100, [{"name": "question", "dtype": "string"}])])
    new = SplitEntry("qa", "synthetic", 2, 50, [{"name": "question", "dtype": "string"},
                                                 {"name": "verdict", "dtype": "string"}])
    with pytest.raises(CardConflict, match="'synthetic' has other columns than the split.s. test"):
        merge_card(old, [new])
    # written together with the kept split, it is accepted
    both = merge_card(old, [new, SplitEntry("qa", "test", 6, 100, new.features)])
    assert "verdict" in both


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_build_errors_are_clear_and_exit_2(tmp_path):
    status, _, err = _run(["build", "--data-dir", str(tmp_path / "missing"), "--out", str(tmp_path / "o"),
                           "--render-env", "current"])
    assert status == 2 and "reachqa build: error:" in err and "no such directory" in err
    src = write_split(tmp_path / "src", {"t3": SCRIPTS["t3"]}, split="test")
    (src / "plot_info.jsonl").write_text('{"id": "x", "code": "code/t3.py"}\n{"id": 5}\n')
    status, _, err = _run(["build", "--config", "charts", "--data-dir", str(src), "--out", str(tmp_path / "o"),
                           "--render-env", "current"])
    assert status == 2 and f"{src / 'plot_info.jsonl'}:2:" in err
    with pytest.raises(SystemExit):
        with contextlib.redirect_stderr(io.StringIO()):
            main(["build", "--config", "tables"])


@pytest.mark.slow
def test_default_build_is_the_seed_config_into_reachqa(tmp_path, monkeypatch, render_cache):
    from reachqa_builder.taxonomy import MINOR_TYPES

    monkeypatch.chdir(tmp_path)
    status, printed, err = _run(["build", "--render-env", "current", "--render-cache-dir", render_cache,
                                 "--cache-dir", str(tmp_path / "hf"), "--no-progress"])
    assert status == 0, err
    assert "config seed" in printed and "0 failed" in printed
    seed = datasets.load_dataset("reachqa")
    assert list(seed) == ["train"]
    assert sorted(p.name for p in (tmp_path / "reachqa").iterdir()) == ["README.md", "seed"]
    minor = set(seed["train"]["minor_chart_type"])
    assert minor == set(MINOR_TYPES)  # at least one seed chart for each of the 32 minor types
    assert all(m for m in seed["train"]["major_chart_type"])
    assert seed["train"].features["image"] == datasets.Image()
