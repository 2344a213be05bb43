"""The ReachQA builder class used directly: configs, features, rendering, failures, the shared cache."""

from __future__ import annotations

import hashlib
import json
import logging

import datasets
import pytest

from reachqa_builder import ReachQA, ReachQAConfig
from reachqa_builder.render import render_scripts

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import SCRIPTS, chart_id, write_split


def _build(config, data_dir, cache, tmp_path, **kw):
    builder = ReachQA(config_name=config, data_dir=str(data_dir), cache_dir=str(tmp_path / f"hf-{config}"),
                      render_env="current", render_cache_dir=cache, progress=False, **kw)
    builder.download_and_prepare()
    return builder, builder.as_dataset()


@pytest.mark.slow
def test_qa_then_charts_share_the_render_cache(source_root, render_cache, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="reachqa_builder")
    qa_builder, qa = _build("qa", source_root, render_cache, tmp_path)

    # offline there is no train Q&A: the split is left out with a message, not an error
    assert set(qa) == {"test"}
    assert any("'train'" in r.getMessage() and "left out" in r.getMessage() for r in caplog.records)

    test = qa["test"]
    assert test.features == datasets.Features(qa_builder.info.features)
    assert isinstance(test.features["image"], datasets.Image)
    # t4 fails to render: its Q&A is left out, counted and listed
    assert sorted(set(test["chart_id"])) == [chart_id("test", k) for k in ("t1", "t2", "t3")]
    assert test.num_rows == 6
    report = qa_builder.render_reports["test"]
    assert report.total == 4 and report.ok == 3 and report.dropped_qa == 2
    assert list(report.failed) == [chart_id("test", "t4")]
    assert "IndexError" in report.failed[chart_id("test", "t4")]

    row = next(r for r in test if r["qa_id"] == f"{chart_id('test', 't1')}-reas")
    assert row["qa_type"] == "Reasoning" and row["question"].startswith("What does chart t1")
    assert row["level"] == "Hard" and row["minor_chart_type"] == "bar chart with data annotation"
    assert row["code"] == SCRIPTS["t1"] and row["plot_model"] == "test-model" and row["qa_model"] == "test-model"

    # the image column holds the renderer's JPEG bytes unchanged
    raw = test.cast_column("image", datasets.Image(decode=False))
    stored = {r["chart_id"]: r["image"] for r in raw}
    direct = render_scripts({"t1": SCRIPTS["t1"]}, tmp_path / "direct", env="current", cache_dir=render_cache,
                            progress=False)[0]
    assert stored[chart_id("test", "t1")]["path"] is None
    assert hashlib.sha256(stored[chart_id("test", "t1")]["bytes"]).hexdigest() == direct.sha256
    with open(direct.image, "rb") as f:
        assert stored[chart_id("test", "t1")]["bytes"] == f.read()

    # building `charts` after `qa` renders nothing again
    charts_builder, charts = _build("charts", source_root, render_cache, tmp_path)
    assert set(charts) == {"train", "test"}
    assert charts["train"].num_rows == 2 and charts["test"].num_rows == 3
    test_report = charts_builder.render_reports["test"]
    assert test_report.rendered == 0 and test_report.cached == 3 and len(test_report.failed) == 1
    assert charts_builder.render_reports["train"].ok == 2
    assert charts["test"][0]["image"].format == "JPEG"


@pytest.mark.slow
def test_single_split_folder_named_by_split_and_extra_fields_kept(tmp_path, render_cache):
    folder = write_split(tmp_path / "my-charts", {"t3": SCRIPTS["t3"]}, split="syn",
                         extra={"topic": "Energy", "parents": ["seed-001"]})
    builder, ds = _build("charts", folder, render_cache, tmp_path, split="synthetic")
    assert list(ds) == ["synthetic"]
    row = ds["synthetic"][0]
    assert json.loads(row["extra"]) == {"parents": ["seed-001"], "topic": "Energy"}
    _, qa = _build("qa", folder, render_cache, tmp_path, split="synthetic")
    assert qa["synthetic"].num_rows == 2 and set(qa["synthetic"]["qa_type"]) == {"Recognizing", "Reasoning"}


def test_configs_and_their_features():
    assert [c.name for c in ReachQA.BUILDER_CONFIGS] == ["qa", "charts", "seed"]
    assert ReachQA.DEFAULT_CONFIG_NAME == "qa"
    for name in ("qa", "charts", "seed"):
        features = ReachQA(config_name=name, render_env="current").info.features
        assert isinstance(features["image"], datasets.Image)
        assert features["chart_id"] == datasets.Value("string")
        assert "minor_chart_type" in features and "code" in features
    qa = ReachQA(config_name="qa", render_env="current").info.features
    for col in ("qa_id", "question", "answer", "qa_type", "level", "major_chart_type", "plot_model"):
        assert qa[col] == datasets.Value("string")


def test_unknown_config_and_bad_render_env_are_refused():
    with pytest.raises(ValueError, match="qa.*charts.*seed|not found"):
        ReachQA(config_name="tables")
    with pytest.raises(ValueError, match="render_env"):
        ReachQAConfig(name="qa", render_env="docker")


def test_config_dataclass_documents_every_field():
    import dataclasses

    own = [f for f in dataclasses.fields(ReachQAConfig) if f.name not in {f.name for f in dataclasses.fields(datasets.BuilderConfig)}]
    assert {f.name for f in own} >= {"render_env", "render_cache_dir", "split", "dpi"}
    for f in own:
        assert f.metadata.get("help"), f.name
        assert f"{f.name}:" in ReachQAConfig.__doc__


def test_cli_lists_the_builder_configs_without_importing_datasets():
    import subprocess
    import sys

    from reachqa_builder import build_cli
    from reachqa_builder.features import CONFIG_NAMES

    assert build_cli.CONFIG_NAMES == CONFIG_NAMES
    code = ("import sys, argparse; from reachqa_builder.build_cli import configure_build, configure_stats, "
            "configure_push; [f(argparse.ArgumentParser()) for f in (configure_build, configure_stats, configure_push)]; "
            "print('datasets' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
