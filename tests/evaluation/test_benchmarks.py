"""Benchmark adapters on small local copies in each benchmark's real layout."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from PIL import Image

from evaluation.benchmarks import (UnknownBenchmarkError, get_benchmark, list_benchmarks, load_benchmark,
                                   parse_benchmark_list)
from evaluation.benchmarks.registry import register
from tests.evaluation import benchmark_fixtures as fx
from tests.prerequisites import SHARED_DATA, needs_shared

RELEASED_TEST = SHARED_DATA / "reachqa_test"
needs_released_test = needs_shared(RELEASED_TEST, "released ReachQA test data")


def _is_image(data: bytes) -> bool:
    Image.open(io.BytesIO(data)).verify()
    return True


def test_registry_lists_all_paper_benchmarks():
    assert list_benchmarks() == ["chartbench", "chartqa", "chartx", "charxiv", "mathvision", "mathvista", "reachqa"]


def test_unknown_name_lists_valid_ones():
    with pytest.raises(UnknownBenchmarkError) as err:
        get_benchmark("chartqaa")
    assert "chartqaa" in str(err.value) and "chartqa, chartx, charxiv" in str(err.value)
    with pytest.raises(UnknownBenchmarkError):
        parse_benchmark_list("reachqa,nope=/x")


def test_name_clash_fails_loudly():
    list_benchmarks()
    with pytest.raises(ValueError, match="registered twice"):
        register("chartqa", subsets=("x",))(lambda source, **_: [])


def test_parse_benchmark_list_with_paths():
    assert parse_benchmark_list("reachqa, ChartQA=/data/cq ,charxiv") == [
        ("reachqa", None), ("chartqa", "/data/cq"), ("charxiv", None)]


def test_chartqa_release_layout(tmp_path, charts):
    root = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    samples = list(load_benchmark("chartqa", str(root)))
    assert [(s.id, s.subset, s.answer) for s in samples] == [
        ("human-0", "human", "5"), ("human-1", "human", "2"), ("augmented-0", "augmented", "7")]
    assert samples[0].image == charts[0] and samples[0].question == "What is the value of the second bar?"
    assert [s.id for s in load_benchmark("chartqa", str(root), subsets=["augmented"])] == ["augmented-0"]
    with pytest.raises(ValueError, match="no subset"):
        list(load_benchmark("chartqa", str(root), subsets=["machine"]))


def test_chartqa_hub_layout(tmp_path, charts):
    root = fx.write_chartqa_parquet(tmp_path / "cq-hub", charts)
    samples = list(load_benchmark("chartqa", str(root)))
    assert [(s.subset, s.answer, s.question) for s in samples] == [("human", "5", "Highest bar?"),
                                                                   ("augmented", "1", "Lowest bar?")]
    assert samples[1].image == charts[1]


def test_charxiv_parquet_layout(tmp_path, charts):
    """The real columns: int64 template ids, subplot row / column or a named location."""
    from evaluation.benchmarks.charxiv import official

    root = fx.write_charxiv_parquet(tmp_path / "charxiv", charts)
    samples = {s.id: s for s in load_benchmark("charxiv", str(root))}
    assert len(samples) == 3 * 5
    templates = official()["descriptive_questions"]
    one = samples["0-descriptive1"]
    assert one.question == templates["1"].format("For the current plot, ")
    assert one.question.startswith("For the current plot, what is its title?")
    assert samples["1-descriptive1"].question.startswith("For the subplot at row 2 and column 1, what is the label of "
                                                         "the x-axis?")
    assert samples["2-descriptive2"].question.startswith("For the left subplot, what are the names of the labels")
    assert samples["2-descriptive1"].question == templates["18"]  # layout: about the whole figure
    assert samples["0-descriptive1"].meta["category"] == "information extraction"
    assert samples["1-descriptive4"].meta["category"] == "compositionality"
    assert {s.meta["group"] for s in samples.values()} == {"0", "1", "2"}
    assert samples["0-reasoning"].question.startswith("Which curve ends highest?\n")
    assert "grounded to some text" in samples["0-reasoning"].question
    assert samples["2-reasoning"].question.rstrip().endswith("a number with 2 decimal places.")
    assert samples["1-reasoning"].meta["category"] == "number-in-chart"
    assert samples["0-reasoning"].meta["subject"] == "cs" and samples["1-reasoning"].meta["year"] == "2023"
    assert _is_image(samples["0-reasoning"].image)


def test_charxiv_unknown_template_is_one_line(tmp_path, charts):
    import pyarrow.parquet as pq

    root = fx.write_charxiv_parquet(tmp_path / "charxiv", charts)
    table = pq.read_table(root / "val.parquet")
    col = table.column_names.index("descriptive_q1")
    import pyarrow as pa
    table = table.set_column(col, "descriptive_q1", pa.array([1, 2, 42], pa.int64()))
    pq.write_table(table, root / "val.parquet")
    with pytest.raises(ValueError, match="unknown descriptive template id 42"):
        list(load_benchmark("charxiv", str(root)))


def test_chartbench_release_layout(tmp_path, charts):
    root = fx.write_chartbench_release(tmp_path / "ChartBench", charts)
    samples = list(load_benchmark("chartbench", str(root)))
    assert [(s.id, s.subset, s.answer) for s in samples[:3]] == [("0-0", "ve", "Yes"), ("0-1", "ve", "No"),
                                                                  ("1-0", "nqa", "3.0")]
    assert len(samples) == 6 and samples[0].image == charts[0] and samples[0].meta["qa"] == "Acc+"
    with pytest.raises(ValueError, match="no Hub source"):
        list(load_benchmark("chartbench"))


def test_chartx_release_layout(tmp_path, charts):
    root = fx.write_chartx_release(tmp_path / "ChartX", charts)
    samples = list(load_benchmark("chartx", str(root)))
    assert [(s.id, s.answer) for s in samples] == [("bar_0", "3"), ("bar_1", "4")]
    assert samples[1].image == charts[1] and samples[0].meta["chart_type"] == "bar_chart"


def test_mathvista_and_mathvision_parquet(tmp_path, charts):
    mv = list(load_benchmark("mathvista", str(fx.write_mathvista_parquet(tmp_path / "mv", charts))))
    assert [(s.id, s.subset, s.answer) for s in mv] == [("1", "free_form", "4"), ("2", "multi_choice", "blue")]
    assert mv[1].question.startswith("Hint:") and "(B) blue" in mv[1].question  # the full query with choices
    mvis = list(load_benchmark("mathvision", str(fx.write_mathvision_parquet(tmp_path / "mvis", charts))))
    assert [(s.subset, s.answer) for s in mvis] == [("multi_choice", "C"), ("free_form", "12")]
    assert "(C) pentagon" in mvis[0].question and mvis[1].image == charts[1]


def test_reachqa_data_json_layout(tmp_path, charts):
    root = fx.write_reachqa_data_json(tmp_path / "rq", charts)
    samples = list(load_benchmark("reachqa", str(root)))
    assert [s.subset for s in samples] == ["recognition", "reasoning", "recognition"]
    assert samples[2].image == charts[2]


def test_reachqa_built_dataset(tmp_path, charts):
    import datasets

    from reachqa_builder.features import FEATURES

    feats = FEATURES["qa"]
    rows = {k: [] for k in feats}
    for i, c in enumerate(charts):
        row = {"qa_id": f"q{i}", "chart_id": f"c{i}", "image": {"bytes": c, "path": None}, "question": f"Q{i}?",
               "answer": f"A{i}", "qa_type": "Reasoning" if i else "Recognition", "qa_model": "m", "level": "Easy",
               "plot_model": "m", "major_chart_type": "Bar Charts", "minor_chart_type": "bar chart", "code": ""}
        for k in feats:
            rows[k].append(row.get(k))  # columns added later (concise answer, verdicts) are nullable
    datasets.DatasetDict({"test": datasets.Dataset.from_dict(rows, features=feats)}).save_to_disk(str(tmp_path / "b"))
    samples = list(load_benchmark("reachqa", str(tmp_path / "b")))
    assert [(s.id, s.subset, s.answer) for s in samples] == [("q0", "recognition", "A0"), ("q1", "reasoning", "A1"),
                                                             ("q2", "reasoning", "A2")]
    assert samples[0].image == charts[0]


@needs_released_test
def test_reachqa_released_layout_with_images_on_disk(tmp_path, charts):
    """The released Q&A file with an images/ folder (as the published archive has it)."""
    root = tmp_path / "reachqa_test"
    root.mkdir()
    records = json.loads((RELEASED_TEST / "instruction_data_2k.json").read_text())[:8]
    (root / "instruction_data_2k.json").write_text(json.dumps(records))
    (root / "images").mkdir()
    for rec in records:
        (root / rec["image"]).write_bytes(charts[int(rec["plot_id"][-1]) % 3])
    samples = list(load_benchmark("reachqa", str(root)))
    assert len(samples) == 8 and samples[0].id == "reachqa-test-00001"
    assert {s.subset for s in samples} == {"recognition", "reasoning"}
    assert samples[0].question == records[0]["question"] and samples[0].answer == records[0]["answer"]


@needs_released_test
def test_reachqa_released_layout_reads_plot_info_like_the_builder(tmp_path, charts):
    """With plot_info.jsonl the charts come from it (as `reachqa build` reads them), images/ serve
    without code/, and a Q&A record naming an unknown chart is an error naming file and line."""
    from reachqa_builder.layout import LayoutError

    root = tmp_path / "reachqa_test"
    (root / "images").mkdir(parents=True)
    records = json.loads((RELEASED_TEST / "instruction_data_2k.json").read_text())[:8]
    plot_ids = sorted({r["plot_id"] for r in records})
    info = [json.loads(x) for x in (RELEASED_TEST / "plot_info.jsonl").read_text().splitlines()[:len(plot_ids)]]
    assert [c["id"] for c in info] == plot_ids
    (root / "plot_info.jsonl").write_text("".join(json.dumps(c) + "\n" for c in info))
    for n, c in enumerate(info):
        (root / c["image"]).write_bytes(charts[n])
    for r in records:  # the chart fields come from plot_info, not from the Q&A records
        r.pop("image"), r.pop("major_chart_type")
    (root / "instruction_data_2k.json").write_text(json.dumps(records))
    samples = list(load_benchmark("reachqa", str(root)))
    assert [s.id for s in samples] == [r["data_id"] for r in records]
    assert samples[0].image == charts[0] and samples[-1].image == charts[len(info) - 1]
    assert samples[0].meta == {"plot_id": info[0]["id"], "plot_level": info[0]["level"],
                               "major_chart_type": info[0]["major_chart_type"],
                               "minor_chart_type": info[0]["minor_chart_type"],
                               "group": info[0]["id"], "category": info[0]["major_chart_type"]}
    records[5]["plot_id"] = "no-such-chart"
    (root / "instruction_data_2k.json").write_text(json.dumps(records, indent=1))
    with pytest.raises(LayoutError, match=r"instruction_data_2k.json:\d+: Q&A names chart 'no-such-chart'"):
        list(load_benchmark("reachqa", str(root)))


@pytest.mark.slow
@needs_released_test
def test_reachqa_released_layout_renders_missing_images(tmp_path):
    """No images/ folder: the charts are rendered from code/ through the sandboxed renderer,
    once; a second load reads the image cache."""
    root = tmp_path / "reachqa_test"
    (root / "code").mkdir(parents=True)
    records = json.loads((RELEASED_TEST / "instruction_data_2k.json").read_text())[:4]  # one chart
    (root / "instruction_data_2k.json").write_text(json.dumps(records))
    shutil.copy(RELEASED_TEST / records[0]["code"], root / records[0]["code"])
    cache = tmp_path / "cache"
    samples = list(load_benchmark("reachqa", str(root), image_cache=str(cache), render_env="current"))
    assert len(samples) == 4 and len({s.image for s in samples}) == 1
    assert Image.open(io.BytesIO(samples[0].image)).format == "JPEG"
    (root / records[0]["code"]).unlink()  # now only the cache can provide it
    again = list(load_benchmark("reachqa", str(root), image_cache=str(cache), render_env="current", limit=2))
    assert [s.image for s in again] == [samples[0].image] * 2


@pytest.mark.skipif(not RELEASED_TEST.is_dir(), reason="released ReachQA test data not present")
def test_reachqa_render_progress_is_shown(tmp_path, capsys):
    """While benchmark charts render (before the first question is answered) a bar counts them."""
    root = tmp_path / "reachqa_test"
    (root / "code").mkdir(parents=True)
    records = json.loads((RELEASED_TEST / "instruction_data_2k.json").read_text())[:4]
    (root / "instruction_data_2k.json").write_text(json.dumps(records))
    shutil.copy(RELEASED_TEST / records[0]["code"], root / records[0]["code"])
    next(iter(load_benchmark("reachqa", str(root), image_cache=str(tmp_path / "c"), render_env="current",
                             progress=True)))
    err = capsys.readouterr().err
    assert "rendering benchmark charts" in err and "1/1" in err


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="test_human.json"):
        list(load_benchmark("chartqa", str(tmp_path)))
    (tmp_path / "data.json").write_text(json.dumps([{"question": "q", "answer": "a", "image": "nope.png"}]))
    with pytest.raises(FileNotFoundError, match="nope.png"):
        list(load_benchmark("chartx", str(tmp_path)))
