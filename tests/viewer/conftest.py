"""Headless Chromium (Debian's package, driven by Playwright) and the folders the viewer shows.

The browser is the system's ``/usr/bin/chromium`` (``.ci/setup`` installs it; ``$REACHQA_CHROMIUM``
points elsewhere); Playwright's Python wheel brings its own driver, so ``playwright install`` is
never needed. Every test gets a fresh browser context (no shared cookies or storage).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.reachqa_builder.builder_fixtures import *  # noqa: F401,F403 - source_root, built_dataset, render_cache
from tests.viewer.viewer_fixtures import view, run_cli

CHROMIUM = os.environ.get("REACHQA_CHROMIUM", "/usr/bin/chromium")
# as root Chromium needs --no-sandbox; the rest keeps it from reaching any network service
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium (bash .ci/setup does) "
                           "or set $REACHQA_CHROMIUM")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                       viewport={"width": 1280, "height": 900})
        yield context
        context.close()


@pytest.fixture
def page(browser):
    """A new tab; JavaScript errors and any request that is not file:// or 127.0.0.1 fail the test."""
    pg = browser.new_page()
    errors, foreign = [], []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("request", lambda r: foreign.append(r.url) if not re.match(r"(file://|http://127\.0\.0\.1[:/]|data:)", r.url) else None)
    yield pg
    pg.close()
    assert not errors, errors
    assert not foreign, f"requests that left the machine: {foreign}"


@pytest.fixture(scope="session")
def dataset_site(tmp_path_factory, built_dataset):
    folder, status, _ = built_dataset
    assert status == 0
    site = tmp_path_factory.mktemp("site") / "site"
    assert view(folder, "--out", site, "--thumb-cache", tmp_path_factory.mktemp("thumbs")) == 0
    return site


# -- an evaluation through the real `reachqa infer` (openai engine) and `reachqa judge` ----------------

REF = "It shows {k}. Answer: {k}"
# run A: per (chart key, question type) the model's reply; "[yes]"/"[no]" tell the scripted judge its
# verdict, "[garbage]" makes it reply with no verdict (invalid); \boxed{} is what the rule reads
RUN_A = {("t1", "Recognizing"): "\\boxed{REF} [yes]",   # judge right, rule right
         ("t1", "Reasoning"): "\\boxed{REF} [no]",      # judge wrong, rule right: disagree
         ("t2", "Recognizing"): "\\boxed{nope} [yes]",  # judge right, rule wrong: disagree
         ("t2", "Reasoning"): "\\boxed{nope} [no]",     # both wrong
         ("t3", "Recognizing"): "\\boxed{nope} [garbage]",  # invalid
         ("t3", "Reasoning"): "\\boxed{REF} [yes]"}     # both right
RUN_B = {k: "\\boxed{REF} [yes]" for k in RUN_A}        # after "fine-tuning": all right


def _model(replies):
    def reply(req):
        m = re.search(r"What does chart (t\d) show \((\w+)\)\?", req.last_user_text)
        assert m and len(req.images) == 1, req.last_user_text
        return replies[(m[1], m[2])].replace("REF", REF.format(k=m[1]))
    return reply


def _judge(req):
    """A scripted judge speaking the default (paper) protocol: an analysis, then `Correctness: Yes/No`."""
    m = re.search(r"## Prediction: (.*)", req.last_user_text)
    if m is None:
        raise AssertionError(req.last_user_text[:200])
    pred = m[1]
    if "[garbage]" in pred:
        return "I cannot decide."
    return "Analysis: scripted.\nCorrectness: " + ("Yes" if "[yes]" in pred else "No")


@pytest.fixture(scope="session")
def evaluation_runs(tmp_path_factory, built_dataset):
    """Two judged runs over the built dataset's test Q&A: ``(report_a, report_b, dataset_folder)``."""
    from tests.openai_server import OpenAIServer

    folder, status, _ = built_dataset
    assert status == 0
    root = tmp_path_factory.mktemp("eval")
    server = OpenAIServer(api_key="test-key")
    server.start()
    try:
        out = {}
        for name, replies in (("a", RUN_A), ("b", RUN_B)):
            server.reply = _model(replies)
            preds = root / f"preds-{name}"
            assert run_cli(["infer", "--engine", "openai", "--model", f"model-{name}", "--base-url", server.url,
                         "--api-key", "test-key", "--benchmarks", f"reachqa={folder}", "--out", str(preds),
                         "--no-progress"]) == 0
            server.reply = _judge
            out[name] = root / f"report-{name}"
            assert run_cli(["judge", str(preds), "--judge-model", "judge-1", "--base-url", server.url,
                         "--api-key", "test-key", "--cache", str(root / f"verdicts-{name}.sqlite"),
                         "--relaxed", "all", "--out", str(out[name]), "--no-progress"]) == 0
    finally:
        server.stop()
    return out["a"], out["b"], folder




@pytest.fixture(scope="session")
def rich_site(tmp_path_factory, render_cache):
    """``reachqa build --config qa charts`` of :data:`RICH` (two charts with layout flags) and its site:
    ``(site, built folder)``."""
    import contextlib
    import io

    from reachqa_builder.cli import main
    from tests.viewer.viewer_fixtures import write_rich_source

    root = write_rich_source(tmp_path_factory.mktemp("rich") / "data")
    built = tmp_path_factory.mktemp("rich-built") / "reachqa"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["build", "--config", "qa", "charts", "--data-dir", str(root), "--out", str(built),
                     "--render-env", "current", "--render-cache-dir", render_cache,
                     "--cache-dir", str(tmp_path_factory.mktemp("hf-cache")), "--no-progress"]) == 0
    site = tmp_path_factory.mktemp("rich-site") / "site"
    assert view(built, "--out", site, "--thumb-cache", tmp_path_factory.mktemp("thumbs")) == 0
    return site, built
