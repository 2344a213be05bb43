"""``reachqa push``: one commit that replaces the pushed splits only and merges the card.

The Hub is unreachable here, so the boundary (``HfApi.create_repo``, ``repo_info``,
``list_repo_files``, ``hf_hub_download``, ``create_commit``) is patched onto a local folder that
stands for the repository; the commit operations are the real ``huggingface_hub`` objects
``reachqa push`` builds. ``--dry-run DIR`` applies the same plan to a folder, which loads back.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import datasets
import pytest
import yaml
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from reachqa_builder.cli import main
from reachqa_builder.export import build_config
from reachqa_builder.push import PLAN_NAME, load_config

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import SCRIPTS, write_split

PROSE = "\n## Notes from the maintainers\n\nWritten on the Hub by a person; reachqa must keep it.\n"


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not any(s.startswith(".") for s in p.relative_to(folder).parts))


def _meta(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1])


def _splits_in_card(text: str) -> dict[str, list[str]]:
    meta = _meta(text)
    listed = {c["config_name"]: sorted(f["split"] for f in c["data_files"]) for c in meta["configs"]}
    infos = {i["config_name"]: sorted(s["name"] for s in i["splits"]) for i in meta["dataset_info"]}
    assert listed == infos  # configs: and dataset_info agree
    return listed


def _load(folder: Path, config: str) -> datasets.DatasetDict:
    return datasets.load_dataset(str(folder), config, download_mode="force_redownload")


def _raw_rows(ds: datasets.Dataset) -> list[dict]:
    return ds.cast_column("image", datasets.Image(decode=False)).to_list()


class FakeHub:
    """The Hub's side of ``HfApi`` for one dataset repository, kept in a local folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.commits: list[list] = []

    def install(self, monkeypatch):
        hub = self

        def create_repo(self, repo_id, **kw):
            hub.folder.mkdir(parents=True, exist_ok=True)

        def repo_info(self, repo_id, **kw):
            return SimpleNamespace(sha=f"commit-{len(hub.commits)}")

        def list_repo_files(self, repo_id, **kw):
            assert kw.get("repo_type") == "dataset" and kw.get("revision") == f"commit-{len(hub.commits)}"
            return _files(hub.folder)

        def hf_hub_download(self, repo_id, filename, **kw):
            return str(hub.folder / filename)

        def create_commit(self, repo_id, operations, **kw):
            assert kw.get("repo_type") == "dataset" and kw.get("parent_commit") == f"commit-{len(hub.commits)}"
            ops = list(operations)
            hub.commits.append(ops)
            for op in ops:
                dest = hub.folder / op.path_in_repo
                if isinstance(op, CommitOperationDelete):
                    dest.unlink()
                else:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    src = op.path_or_fileobj
                    dest.write_bytes(src if isinstance(src, bytes) else Path(src).read_bytes())

        for name, fn in dict(create_repo=create_repo, repo_info=repo_info, list_repo_files=list_repo_files,
                             hf_hub_download=hf_hub_download, create_commit=create_commit).items():
            monkeypatch.setattr(HfApi, name, fn)


@pytest.fixture(scope="module")
def synthetic_dataset(tmp_path_factory, render_cache):
    """A folder with one built split, qa/synthetic (from a synthesis-style split folder)."""
    tmp = tmp_path_factory.mktemp("synthetic")
    src = write_split(tmp / "synthetic-charts", {"t3": SCRIPTS["t3"]}, split="synthetic")
    out = tmp / "ds"
    build_config("qa", out, data_dir=str(src), split="synthetic", render_env="current", render_cache_dir=render_cache,
                 progress=False, cache_dir=str(tmp / "hf"))
    return out


@pytest.mark.slow
def test_dry_run_files_load_back(built_dataset, tmp_path):
    out, status, _ = built_dataset
    assert status == 0
    staged = tmp_path / "staged"
    status, printed, err = _run(["push", "someone/reachqa", "--out", str(out), "--dry-run", str(staged)])
    assert status == 0, err
    files = _files(staged)
    assert files == ["README.md", "charts/test-00000-of-00001.parquet", "charts/train-00000-of-00001.parquet",
                     "qa/test-00000-of-00001.parquet"]
    for f in files:
        assert f in printed
    plan = json.loads((staged / PLAN_NAME).read_text())
    assert plan["delete"] == [] and sorted(plan["add"]) == files
    for config in ("qa", "charts"):
        original = load_config(out, config)
        again = datasets.load_dataset(str(staged), config)
        assert set(again) == set(original)
        for split in original:
            assert again[split].features == original[split].features
            assert _raw_rows(again[split]) == _raw_rows(original[split])
    assert list(datasets.load_dataset(str(staged))) == ["test"]  # default config qa
    assert _splits_in_card((staged / "README.md").read_text()) == {"qa": ["test"], "charts": ["test", "train"]}


@pytest.mark.slow
def test_pushing_one_split_keeps_the_others_on_the_hub(built_dataset, synthetic_dataset, tmp_path, monkeypatch):
    out, _, _ = built_dataset
    # the repository before: qa/test and charts (pushed earlier), in shards of another size, and prose
    repo = tmp_path / "hub"
    assert _run(["push", "someone/reachqa", "--out", str(out), "--dry-run", str(repo), "--max-shard-size", "20KB"])[0] == 0
    (repo / PLAN_NAME).unlink()
    (repo / "README.md").write_text((repo / "README.md").read_text() + PROSE)
    before = {f: (repo / f).read_bytes() for f in _files(repo)}
    assert sum(f.startswith("qa/test-") for f in before) > 1
    twin = tmp_path / "twin"
    shutil.copytree(repo, twin)

    hub = FakeHub(repo)
    hub.install(monkeypatch)
    status, printed, err = _run(["push", "someone/reachqa", "--out", str(synthetic_dataset),
                                 "--config", "qa", "--split", "synthetic"])
    assert status == 0, err
    [ops] = hub.commits
    assert not [op for op in ops if isinstance(op, CommitOperationDelete)]  # nothing of another split deleted
    added = sorted(op.path_in_repo for op in ops if isinstance(op, CommitOperationAdd))
    assert added == ["README.md", "qa/synthetic-00000-of-00001.parquet"]
    for f, data in before.items():  # every file of qa/test and charts is untouched
        if f != "README.md":
            assert (repo / f).read_bytes() == data, f
    card = (repo / "README.md").read_text()
    assert _splits_in_card(card) == {"qa": ["synthetic", "test"], "charts": ["test", "train"]}
    assert PROSE.strip() in card
    assert "| qa | synthetic | 2 |" in card and "| qa | test | 6 |" in card
    qa = _load(repo, "qa")
    assert {s: qa[s].num_rows for s in qa} == {"test": 6, "synthetic": 2}
    assert _raw_rows(qa["synthetic"]) == _raw_rows(load_config(synthetic_dataset, "qa")["synthetic"])
    assert _raw_rows(qa["test"]) == _raw_rows(load_config(out, "qa")["test"])
    assert {s: d.num_rows for s, d in _load(repo, "charts").items()} == {"test": 3, "train": 2}

    # --dry-run on a copy of the repository shows (and applies) the same operations
    status, printed, err = _run(["push", "someone/reachqa", "--out", str(synthetic_dataset), "--config", "qa",
                                 "--split", "synthetic", "--dry-run", str(twin)])
    assert status == 0, err
    plan = json.loads((twin / PLAN_NAME).read_text())
    assert sorted(plan["add"]) == added and plan["delete"] == []
    assert _files(twin) == _files(repo)
    assert (twin / "README.md").read_text() == card
    assert {s: d.num_rows for s, d in _load(twin, "qa").items()} == {"test": 6, "synthetic": 2}


@pytest.mark.slow
def test_pushing_a_split_again_replaces_its_shards_only(built_dataset, tmp_path, monkeypatch):
    out, _, _ = built_dataset
    repo = tmp_path / "hub"
    assert _run(["push", "someone/reachqa", "--out", str(out), "--dry-run", str(repo), "--max-shard-size", "20KB"])[0] == 0
    old_test = [f for f in _files(repo) if f.startswith("qa/test-")]
    charts = {f: (repo / f).read_bytes() for f in _files(repo) if f.startswith("charts/")}
    assert len(old_test) > 1
    hub = FakeHub(repo)
    hub.install(monkeypatch)
    status, _, err = _run(["push", "someone/reachqa", "--out", str(out), "--config", "qa", "--split", "test"])
    assert status == 0, err
    [ops] = hub.commits
    assert sorted(op.path_in_repo for op in ops if isinstance(op, CommitOperationDelete)) == sorted(old_test)
    assert [f for f in _files(repo) if f.startswith("qa/")] == ["qa/test-00000-of-00001.parquet"]
    assert {f: (repo / f).read_bytes() for f in _files(repo) if f.startswith("charts/")} == charts
    assert _load(repo, "qa")["test"].num_rows == 6


def test_push_refuses_a_folder_without_a_built_dataset(tmp_path):
    status, _, err = _run(["push", "someone/reachqa", "--out", str(tmp_path), "--dry-run", str(tmp_path / "x")])
    assert status == 2 and "no built config" in err


@pytest.mark.slow
def test_push_refuses_an_unknown_split_and_a_dry_run_into_a_foreign_folder(built_dataset, tmp_path):
    out, _, _ = built_dataset
    status, _, err = _run(["push", "someone/reachqa", "--out", str(out), "--split", "valid", "--dry-run",
                           str(tmp_path / "x")])
    assert status == 2 and "no split 'valid'" in err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    status, _, err = _run(["push", "someone/reachqa", "--out", str(out), "--dry-run", str(foreign)])
    assert status == 2 and "no dataset card" in err
    assert _files(foreign) == ["notes.txt"]
