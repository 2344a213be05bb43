"""Without ``--data-dir``, ``qa`` downloads the ReachQA repository archive and builds train and test.

A real HTTP server on 127.0.0.1 serves an archive in the upstream layout
(``ReachQA-<commit>/data/reachqa_{train,test}/``), made here from a few charts of the released data
(``$REACHQA_SHARED_DATA``, default ``<repo>/../shared/reachqa-data``; the fixture scripts where it
is absent) plus a train Q&A file (``instruction_data_20k.json``) written by the test. Broken
archives and unreachable URLs fail with a clear error and leave nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import datasets
import pytest
import yaml

from reachqa_builder.archive import ARCHIVE_URL_ENV, fetch_release
from reachqa_builder.release import REACHQA_COMMIT
from reachqa_builder.cli import main

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import SCRIPTS, SHARED_DATA, TRAIN_SCRIPTS, chart_id

TOP = f"ReachQA-{REACHQA_COMMIT}"
N_TEST, N_TRAIN = 3, 2  # charts per split taken from the released data


def _released_split(split: str, n: int) -> tuple[list[dict], dict[str, str], list[dict]]:
    """``(plot_info records, {code path: script}, test Q&A)`` of the first ``n`` charts of a split."""
    folder = SHARED_DATA / f"reachqa_{split}"
    if (folder / "plot_info.jsonl").is_file():
        records = [json.loads(line) for line in (folder / "plot_info.jsonl").read_text().splitlines()[:n]]
        codes = {r["code"]: (folder / r["code"]).read_text() for r in records}
        ids = {r["id"] for r in records}
        qa = [q for q in json.loads((folder / "instruction_data_2k.json").read_text()) if q["plot_id"] in ids] \
            if split == "test" else []
        return records, codes, qa
    scripts = list((SCRIPTS if split == "test" else TRAIN_SCRIPTS).items())[:n]  # no released data here
    records = [{"id": chart_id(split, k), "code": f"code/{k}.py", "image": f"images/{k}.jpg", "level": "Easy",
                "plot_model": "test-model", "major_chart_type": "Line Charts", "minor_chart_type": "line chart"}
               for k, _ in scripts]
    qa = [{"data_id": f"reachqa-{split}-{i:05d}", "plot_id": r["id"], "QA_type": "Reasoning", "question": "Q?",
           "answer": "A."} for i, r in enumerate(records, 1)] if split == "test" else []
    return records, {f"code/{k}.py": code for k, code in scripts}, qa


def _train_qa(records: list[dict]) -> list[dict]:
    """The train Q&A file the test writes: the release's record layout, 4 questions per chart."""
    out = []
    for r in records:
        for k, kind in enumerate(("Recognizing", "Recognizing", "Reasoning", "Reasoning")):
            out.append({"data_id": f"reachqa-train-{len(out) + 1:05d}", "plot_id": r["id"], "image": r["image"],
                        "code": r["code"], "plot_level": r["level"], "plot_model": r["plot_model"],
                        "major_chart_type": r["major_chart_type"], "minor_chart_type": r["minor_chart_type"],
                        "QA_type": kind, "QA_model": "gpt-4o-2024-08-06",
                        "question": f"Question {k} about {r['id']}?", "answer": f"Answer {k}."})
    return out


@pytest.fixture(scope="module")
def archive_bytes(tmp_path_factory) -> tuple[bytes, dict]:
    """A zip in the upstream layout, and what it holds: ``{"test": n_qa, "train": n_qa}``."""
    path = tmp_path_factory.mktemp("archive") / "archive.zip"
    counts = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{TOP}/README.md", "# ReachQA\n")
        zf.writestr(f"{TOP}/data/reachqa_seed/plot_info.json", "[]")  # not a split: ignored
        for split, n in (("test", N_TEST), ("train", N_TRAIN)):
            records, codes, qa = _released_split(split, n)
            base = f"{TOP}/data/reachqa_{split}"
            for rel, code in codes.items():
                zf.writestr(f"{base}/{rel}", code)
            zf.writestr(f"{base}/plot_info.jsonl", "".join(json.dumps(r) + "\n" for r in records))
            zf.writestr(f"{base}/execute_code.py", "print('not a chart')\n")
            if split == "train":
                qa = _train_qa(records)
                zf.writestr(f"{base}/instruction_data_20k.json", json.dumps(qa, indent=4))
            else:
                zf.writestr(f"{base}/instruction_data_2k.json", json.dumps(qa, indent=4))
            counts[split] = len(qa)
    return path.read_bytes(), counts


class _Server:
    """A static HTTP server on 127.0.0.1: path -> bytes; counts the requests per path."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.hits = files, {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server(archive_bytes):
    data, _ = archive_bytes
    srv = _Server({f"/archive/{REACHQA_COMMIT}.zip": data,
                   "/broken.zip": data[: len(data) // 2],  # cut short: a zip without its directory
                   "/not-a-zip.zip": b"<html>rate limited</html>",
                   "/empty.zip": _empty_zip()})
    yield srv
    srv.close()


def _empty_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("something/else.txt", "no data here")
    return buf.getvalue()


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def _build(tmp_path, out, render_cache, *extra):
    return _run(["build", "--out", str(out), "--render-env", "current", "--render-cache-dir", render_cache,
                 "--cache-dir", str(tmp_path / "hf"), "--no-progress", *extra])


@pytest.mark.slow
def test_qa_without_data_dir_builds_train_and_test_from_the_archive(server, archive_bytes, tmp_path, render_cache,
                                                                     monkeypatch):
    _, counts = archive_bytes
    url = f"{server.url}/archive/{REACHQA_COMMIT}.zip"
    out = tmp_path / "reachqa"
    server.hits.clear()  # the server is shared by the module's tests: count this build's downloads only
    status, printed, err = _build(tmp_path, out, render_cache, "--config", "qa", "--archive-url", url)
    assert status == 0, err
    assert server.hits == {f"/archive/{REACHQA_COMMIT}.zip": 1}
    assert f"train: {counts['train']} rows" in printed and f"test: {counts['test']} rows" in printed
    qa = datasets.load_dataset(str(out), "qa")
    assert {s: qa[s].num_rows for s in qa} == {"train": counts["train"], "test": counts["test"]}
    assert qa["train"][0]["qa_id"] == "reachqa-train-00001" and qa["train"][0]["image"].format == "JPEG"
    assert set(qa["train"]["qa_type"]) == {"Recognizing", "Reasoning"}
    meta = yaml.safe_load((out / "README.md").read_text().split("---\n")[1])
    assert meta["reachqa"]["splits"]["qa/train"]["source"] == {"kind": "release", "url": url, "commit": REACHQA_COMMIT}

    # $REACHQA_ARCHIVE_URL names the archive too; the download is cached, so it is not fetched again
    monkeypatch.setenv(ARCHIVE_URL_ENV, url)
    status, printed, err = _build(tmp_path, out, render_cache, "--config", "charts")
    assert status == 0, err
    assert server.hits == {f"/archive/{REACHQA_COMMIT}.zip": 1}
    assert {s: d.num_rows for s, d in datasets.load_dataset(str(out), "charts").items()} == {"test": N_TEST,
                                                                                            "train": N_TRAIN}


@pytest.mark.parametrize("path, message", [
    ("/broken.zip", "not a valid zip archive"),
    ("/not-a-zip.zip", "not a valid zip archive"),
    ("/empty.zip", "not a ReachQA repository archive"),
    ("/missing.zip", "HTTP 404"),
])
def test_a_bad_archive_is_a_clear_error_and_leaves_nothing(server, tmp_path, render_cache, path, message):
    out = tmp_path / "reachqa"
    status, _, err = _build(tmp_path, out, render_cache, "--config", "qa", "--archive-url", server.url + path)
    assert status == 2 and "reachqa build: error:" in err and message in err, err
    assert not out.exists()  # nothing half-written
    downloads = tmp_path / "hf" / "downloads"
    assert not downloads.exists() or list(downloads.iterdir()) == []  # no partial download kept


def test_an_unreachable_url_is_a_clear_error_and_keeps_an_existing_folder(tmp_path, render_cache):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "reachqa"
    (out / "charts").mkdir(parents=True)
    (out / "README.md").write_text("---\nlicense: mit\n---\nmine\n")
    status, _, err = _build(tmp_path, out, render_cache, "--config", "qa",
                            "--archive-url", f"http://127.0.0.1:{port}/archive.zip")
    assert status == 2 and "could not download the ReachQA archive" in err and f"127.0.0.1:{port}" in err
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "charts"]
    assert (out / "README.md").read_text() == "---\nlicense: mit\n---\nmine\n"


def test_the_archive_url_defaults_to_the_pinned_commit(monkeypatch):
    from reachqa_builder.archive import archive_url

    monkeypatch.delenv(ARCHIVE_URL_ENV, raising=False)
    assert archive_url() == f"https://github.com/hewei2001/ReachQA/archive/{REACHQA_COMMIT}.zip"
    assert archive_url("http://127.0.0.1:1/a.zip") == "http://127.0.0.1:1/a.zip"
    monkeypatch.setenv(ARCHIVE_URL_ENV, "http://127.0.0.1:2/b.zip")
    assert archive_url() == "http://127.0.0.1:2/b.zip"


def test_unsafe_member_paths_are_refused(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr(f"{TOP}/data/../../escape.txt", "x")
    srv = _Server({"/bad.zip": bad.read_bytes()})
    try:
        from reachqa_builder.archive import DownloadError

        with pytest.raises(DownloadError, match="unsafe path"):
            fetch_release(srv.url + "/bad.zip", tmp_path / "cache")
    finally:
        srv.close()
    assert not (tmp_path / "escape.txt").exists() and list((tmp_path / "cache").iterdir()) == []
