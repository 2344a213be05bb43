"""Bad input and faults of `reachqa view`: charts without images, a corrupt JPEG, a busy port, a busy folder."""

from __future__ import annotations

import socket

from reachqa_builder.lock import FolderLock
from tests.reachqa_builder.builder_fixtures import SCRIPTS, chart_id, write_split
from tests.viewer.viewer_fixtures import view


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
