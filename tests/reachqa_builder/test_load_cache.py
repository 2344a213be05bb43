"""A rebuilt dataset folder loads its new rows, not the ones `datasets` cached for the old build."""

from __future__ import annotations

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from reachqa_builder.export import refresh_load_cache

CARD = "---\nconfigs:\n- config_name: qa\n  data_files:\n  - split: test\n    path: qa/test-*\n  default: true\n---\n"


def _write(root, values):
    (root / "qa").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"question": values}), root / "qa" / "test-00000-of-00001.parquet")
    (root / "README.md").write_text(CARD)


def test_rebuilt_folder_loads_new_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "reachqa"
    _write(root, ["old question 1", "old question 2"])
    assert datasets.load_dataset("reachqa")["test"]["question"][:] == ["old question 1", "old question 2"]
    _write(root, ["new question"])
    refresh_load_cache(root, ["qa"])
    assert datasets.load_dataset("reachqa")["test"]["question"][:] == ["new question"]
