"""Bad input and faults of `reachqa view`: charts without images, a corrupt JPEG, a busy port, a busy folder."""

from __future__ import annotations

import json
import socket

from reachqa_builder.lock import FolderLock
from tests.prerequisites import SHARED_DATA, needs_shared
from tests.reachqa_builder.builder_fixtures import SCRIPTS, chart_id, write_split
from tests.viewer.viewer_fixtures import run_cli, view


def _layout(tmp_path):
    return write_split(tmp_path / "reachqa_test", {k: SCRIPTS[k] for k in ("t1", "t3")}, split="test")


def test_charts_without_images_are_counted_with_how_to_render_them(tmp_path, capsys):
    src = _layout(tmp_path)  # code and plot_info, no images/
    assert view(src, "--out", tmp_path / "site") == 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning")]
    assert len(err) == 1 and 'warning: 2 of 2 charts have no image and show as "no image"' in err[0]
    assert f"reachqa render {src / 'code'} {src / 'images'}" in err[0]


def test_a_corrupt_jpeg_is_named_by_its_chart(tmp_path, capsys):
    src = _layout(tmp_path)
    (src / "images").mkdir()
    (src / "images" / "t1.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a whole JPEG")
    assert view(src, "--out", tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert f"warning: image does not decode, no thumbnail: chart test/{chart_id('test', 't1')}:" in err
    assert "1 of 2 charts have no image" in err  # t3 has none


def test_a_busy_port_is_one_line_and_the_site_is_written(tmp_path, capsys):
    src = _layout(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert view(src, "--out", tmp_path / "site", "--serve", "--port", port) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"reachqa view: cannot serve on 127.0.0.1:{port}: Address already in use")
    assert "Traceback" not in "\n".join(err) and (tmp_path / "site" / "index.html").is_file()


def test_a_site_folder_another_run_writes_is_refused(tmp_path, capsys):
    src = _layout(tmp_path)
    with FolderLock(tmp_path / "site", command="view"):
        assert view(src, "--out", tmp_path / "site") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"reachqa view: error: {tmp_path / 'site'} is being written by "
                                               f"reachqa view (pid ")


def test_layout_qa_get_the_builders_ids_and_keep_their_other_fields(tmp_path, render_cache):
    """Q&A without ``data_id`` (allowed by the layout): the viewer reads them through the builder's
    reader, so a question has the same id on the viewer's pages as in the built dataset; a record's
    other short fields stay filterable fields."""
    import pyarrow.parquet as pq

    from reachqa_builder.viewer.sources import read_layout
    from tests.viewer.viewer_fixtures import write_rich_source

    root = write_rich_source(tmp_path / "data")
    qa_file = root / "reachqa_test" / "instruction_data.json"
    records = json.loads(qa_file.read_text())
    for r in records:
        r.pop("data_id")
        r["source"] = "exam-2024"
    qa_file.write_text(json.dumps(records))
    _, qas = read_layout(root, lambda data: "")
    out = tmp_path / "built"
    assert run_cli(["build", "--config", "qa", "--data-dir", str(root), "--out", str(out), "--render-env", "current",
                    "--render-cache-dir", render_cache, "--no-progress"]) == 0
    built = [r for shard in sorted((out / "qa").glob("*.parquet")) for r in pq.read_table(shard, columns=["qa_id"]).to_pylist()]
    assert sorted(q.id for q in qas) == sorted(r["qa_id"] for r in built) and len(qas) == len(records)
    assert all(q.fields.get("source") == "exam-2024" for q in qas)


@needs_shared(SHARED_DATA, "released ReachQA data")
def test_released_qa_fields_hold_no_chart_columns():
    """On the released test split, each question keeps its released id and its filterable fields are
    its own: the chart's columns (image, code, level, types) and the long steps are not repeated on it."""
    from reachqa_builder.viewer.sources import read_layout

    _, qas = read_layout(SHARED_DATA / "reachqa_test", lambda data: "")
    released = json.loads(next((SHARED_DATA / "reachqa_test").glob("instruction_data*.json")).read_text())
    assert [q.id for q in qas] == [r["data_id"] for r in released]
    chart_columns = {"image", "code", "plot_level", "plot_model", "major_chart_type", "minor_chart_type", "steps"}
    assert not any(chart_columns & set(q.fields) for q in qas)
