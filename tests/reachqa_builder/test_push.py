"""``reachqa push``: offline, the files it would upload (``--dry-run``) load back with ``load_dataset``."""

from __future__ import annotations

import contextlib
import io

import datasets
import pytest

from reachqa_builder.cli import main
from reachqa_builder.push import load_config, stage

from .builder_fixtures import *  # noqa: F401,F403


@pytest.mark.slow
def test_dry_run_files_load_back(built_dataset, tmp_path):
    out, status, _ = built_dataset
    assert status == 0
    staged = tmp_path / "staged"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["push", "someone/reachqa", "--out", str(out), "--dry-run", str(staged)]) == 0
    printed = buf.getvalue()
    files = sorted(str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file())
    assert files == ["README.md", "charts/test-00000-of-00001.parquet", "charts/train-00000-of-00001.parquet",
                     "qa/test-00000-of-00001.parquet"]
    for f in files:
        assert f in printed
    for config in ("qa", "charts"):
        original = load_config(out, config)
        again = datasets.load_dataset(str(staged), config)
        assert set(again) == set(original)
        for split in original:
            assert again[split].features == original[split].features
            raw_a = again[split].cast_column("image", datasets.Image(decode=False))
            raw_o = original[split].cast_column("image", datasets.Image(decode=False))
            assert raw_a.to_list() == raw_o.to_list()
    assert list(datasets.load_dataset(str(staged))) == ["test"]  # default config qa
    card = (staged / "README.md").read_text()
    assert "config_name: qa" in card and "config_name: charts" in card


@pytest.mark.slow
def test_stage_shards_like_push_to_hub(built_dataset, tmp_path):
    out, _, _ = built_dataset
    files = stage(out, tmp_path / "s", max_shard_size=20_000)  # force several shards
    qa_shards = sorted(p.name for p in files if p.parent.name == "qa")
    assert len(qa_shards) > 1 and qa_shards[0].startswith("test-00000-of-")
    assert datasets.load_dataset(str(tmp_path / "s"), "qa")["test"].num_rows == 6
    with pytest.raises(FileExistsError):
        stage(out, tmp_path / "s")


def test_push_refuses_a_folder_without_a_built_dataset(tmp_path):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["push", "someone/reachqa", "--out", str(tmp_path), "--dry-run", str(tmp_path / "x")]) == 2
    assert "no built config" in err.getvalue()
