"""`reachqa view` end to end: sites built from real outputs, opened in headless Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reachqa_builder.viewer import build_site
from tests.reachqa_builder.builder_fixtures import SCRIPTS, chart_id
from tests.viewer.viewer_fixtures import DISAGREE_A, judged, run_cli, view

# the fixture source: test charts t1-t3 render (t4 fails), train r1, r2 render; Q&A only for test
N_CHARTS, N_QA = 5, 6


def count(page, sel) -> int:
    return int(page.locator(sel).text_content())


def images_loaded(page) -> list[int]:
    """naturalWidth of every <img> (lazy ones are switched to eager first, as scrolling would)."""
    page.eval_on_selector_all("img", "imgs => imgs.forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    return page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : -1)")


def test_data_page_from_disk_filters_and_images(page, dataset_site, tmp_path):
    page.goto((dataset_site / "index.html").as_uri())
    assert count(page, "#count-charts") == N_CHARTS and count(page, "#count-qa") == N_QA
    widths = images_loaded(page)
    assert len(widths) == N_CHARTS and all(w > 0 for w in widths)
    alts = page.eval_on_selector_all("#results img", "imgs => imgs.map(i => i.alt)")
    assert any(a.startswith("Bar chart with data annotation: What does chart t1 show") for a in alts), alts
    page.select_option("#f-split", "test")
    assert count(page, "#count-charts") == 3 and count(page, "#count-qa") == N_QA
    page.fill("#q", "chart t2")
    assert count(page, "#count-charts") == 1 and count(page, "#count-qa") == 2
    assert page.locator("#results a.card").get_attribute("data-chart") == chart_id("test", "t2")
    page.fill("#q", "")
    page.select_option("#f-qatype", "Reasoning")
    assert count(page, "#count-charts") == 3 and count(page, "#count-qa") == 3
    page.select_option("#f-level", "Easy")  # t3 only (t4 failed to render)
    assert count(page, "#count-charts") == 1
    page.click("#reset")
    page.wait_for_function(f"document.querySelector('#count-charts').textContent == '{N_CHARTS}'")
    page.screenshot(path=str(tmp_path / "data.png"), full_page=True)
    assert (tmp_path / "data.png").stat().st_size > 10_000


def test_keyboard_filter_then_enter_opens_the_chart_page(page, dataset_site, tmp_path):
    page.goto((dataset_site / "data.html").as_uri())
    for _ in range(5):  # skip link, nav links, then the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("chart t1")
    assert count(page, "#count-charts") == 1
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('card')"):
            break
    assert page.evaluate("document.activeElement.dataset.chart") == chart_id("test", "t1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#code")
    assert re.search(r"/chart\.html#\d+&q=chart\+t1$", page.url)  # the filter travels with the chart
    assert page.locator("h1").text_content() == chart_id("test", "t1")
    assert page.locator("#code").text_content() == SCRIPTS["t1"]
    assert page.locator("#qa-list > li").count() == 2
    assert "Concise answer: t1" in page.locator("#qa-list").text_content()  # "... Answer: t1" split off
    page.wait_for_function("document.getElementById('chart-image').complete")
    assert page.evaluate("document.getElementById('chart-image').naturalWidth") == 800  # 4 in x 200 dpi, not the thumbnail
    page.screenshot(path=str(tmp_path / "chart.png"), full_page=True)


def test_served_on_localhost(page, dataset_site):
    proc = subprocess.Popen([sys.executable, "-m", "reachqa_builder.cli", "view", str(dataset_site.parent / "unused"),
                             "--out", str(dataset_site)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.wait(60) == 2 and "no such file or folder" in proc.stderr.read()  # bad PATH: clear error
    # serve the already built dataset site by building it again (nothing changes) with --serve --port 0
    src = json.loads(re.search(r"= (.*);", (dataset_site / "data/index.js").read_text()).group(1))["source"]
    proc = subprocess.Popen([sys.executable, "-m", "reachqa_builder.cli", "view", src, "--out", str(dataset_site),
                             "--serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = None
        for line in proc.stdout:
            m = re.match(r"serving on (http://127\.0\.0\.1:\d+/)", line)
            if m:
                url = m[1]
                break
        assert url, "no 'serving on' line"
        page.goto(url + "data.html")
        assert count(page, "#count-charts") == N_CHARTS
        assert all(w > 0 for w in images_loaded(page))
        page.locator("#results a.card").first.click()
        page.wait_for_selector("#code")
        assert page.url.startswith(url + "chart.html#")
    finally:
        proc.terminate()
        proc.wait(10)


def test_evaluation_page_verdicts_disagreements_and_comparison(page, evaluation_runs, tmp_path):
    report_a, report_b, dataset = evaluation_runs
    site = tmp_path / "site"
    assert view(report_a, "--compare", report_b, "--images", dataset, "--out", site,
                "--thumb-cache", tmp_path / "thumbs") == 0
    page.goto((site / "eval.html").as_uri())
    # accuracy cells equal the numbers of `reachqa judge`'s own report.json
    for run, report in ((0, report_a), (1, report_b)):
        summary = json.loads((report / "report.json").read_text())["benchmarks"]["reachqa"]
        for subset, cell in [("all", summary["all"]), *summary["subsets"].items()]:
            row = page.locator(f"table[data-run='{run}'] tr[data-subset='{subset}']")
            assert row.locator(".judge-acc").text_content() == f"{100 * cell['judge_accuracy']:.2f}"
            assert row.locator(".rule-acc").text_content() == f"{100 * cell['relaxed_accuracy']:.2f}"
            scored = cell["judge_accuracy_scored"]
            assert row.locator(".judge-acc-scored").text_content() == ("–" if scored is None else f"{100 * scored:.2f}")
    items = judged(report_a)
    assert count(page, "#count-items") == len(items) == 6
    assert all(w > 0 for w in images_loaded(page))
    expected = {r["id"] for r in items if r["judge"] in ("correct", "incorrect")
                and (r["judge"] == "correct") != r["relaxed"]}
    assert expected == {f"{chart_id('test', k)}-{t[:4].lower()}" for k, t in DISAGREE_A}
    page.select_option("#f-show", "disagree")
    assert set(page.eval_on_selector_all("#items > li", "li => li.map(x => x.dataset.id)")) == expected
    page.screenshot(path=str(tmp_path / "eval-disagree.png"), full_page=True)
    page.select_option("#f-show", "invalid")
    assert page.eval_on_selector_all("#items > li", "li => li.map(x => x.dataset.id)") == [
        r["id"] for r in items if r["judge"] == "invalid"]
    b = {r["id"]: r for r in judged(report_b)}
    page.select_option("#f-show", "fixed")
    assert set(page.eval_on_selector_all("#items > li", "li => li.map(x => x.dataset.id)")) == {
        r["id"] for r in items if r["judge"] == "incorrect" and b[r["id"]]["judge"] == "correct"}
    page.select_option("#f-show", "changed")
    assert count(page, "#count-items") == sum(r["judge"] != b[r["id"]]["judge"] for r in items)
    assert page.locator("#items > li").first.locator("[data-verdict=judge]").count() == 2  # A and B side by side
    page.select_option("#f-show", "wrong")
    page.fill("#q", "chart t2")
    assert page.eval_on_selector_all("#items > li", "li => li.map(x => x.dataset.id)") == [f"{chart_id('test', 't2')}-reas"]


class _SomeLowRated:
    """Scripted models whose raters give every third rating a 2 (so that chart's mean is below 3.75)."""

    def __init__(self):
        from tests.synthesis.synthesis_fixtures import ScriptedModels

        self.inner, self.n = ScriptedModels(), 0

    def __call__(self, req):
        if "score from 1 to 5" in req.text:
            self.n += 1
            score = 2 if self.n % 3 == 0 else 4
            if req.schema is not None:
                return {"reason": "scripted", "score": score}
            return f"Analysis: scripted.\nRating: {score}"
        return self.inner(req)


def test_synthesis_report_counts_and_examples(page, tmp_path, monkeypatch):
    from tests.openai_server import OpenAIServer
    from tests.synthesis.synthesis_fixtures import synth_args

    monkeypatch.setenv("REACHQA_RENDER_CACHE", str(tmp_path / "render-cache"))
    server = OpenAIServer(_SomeLowRated(), api_key="test-key")
    server.start()
    try:
        out = tmp_path / "charts"
        assert view(out, "--out", tmp_path / "x") == 2  # not there yet: a clear error
        run_cli(synth_args(server, out, "--num-charts", "2", "--concurrency", "4", "--max-attempts-factor", "4"))
    finally:
        server.stop()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["rate"]["dropped"].get("low_rating", 0) > 0
    site = tmp_path / "site"
    assert view(out, "--out", site) == 0
    page.goto((site / "synthesis.html").as_uri())
    for stage, s in summary["stages"].items():
        row = page.locator(f"#stages tr[data-stage='{stage}']")
        assert int(row.locator(".kept").text_content()) == s["ok"]
        assert int(row.locator(".dropped").text_content()) == sum(s["dropped"].values())
    section = page.locator("#drop-rate-low_rating")
    assert section.locator(".item").count() == min(3, summary["stages"]["rate"]["dropped"]["low_rating"])
    drops = [json.loads(l) for l in (out / "work" / "rate.jsonl").read_text().splitlines()]
    drops = [d for d in drops if d["status"] == "dropped"]
    text = section.text_content()
    assert all(d["id"] in text and d["detail"] in text for d in drops[:3]) and "< 3.75" in text
    assert section.locator("details table.data").count() > 0  # provenance as a table, not JSON
    executed = {r["id"]: r for r in map(json.loads, (out / "work" / "execute.jsonl").read_text().splitlines())}
    script = (out / executed[drops[0]["id"]]["code_file"]).read_text()  # journals keep code in work/code/
    shown = section.locator(".item").first.locator("details pre").first.text_content()
    assert shown == script  # the dropped chart's own script, read through its code_file
    assert all(w > 0 for w in images_loaded(page))
    assert f"rejected by the raters (check stage): {summary['qa_pairs_dropped']['check:rejected']}" in \
        page.locator("#pairs").text_content()
    assert "sum of all values" in page.locator("#rejected-examples").text_content()
    page.screenshot(path=str(tmp_path / "synthesis.png"), full_page=True)
    # the data page of the same folder shows the kept charts with their rater scores
    page.goto((site / "data.html").as_uri())
    assert count(page, "#count-charts") == summary["output"]["charts"]
    page.locator("#results a.card").first.click()
    page.wait_for_selector("#provenance")
    assert "rater-a" in page.locator("#provenance").text_content()


def test_no_external_urls_and_thumbnails_cached(dataset_site, built_dataset, tmp_path):
    for f in dataset_site.rglob("*"):
        if f.suffix in (".html", ".css") or f.parent.name == "assets":
            assert not re.search(r"https?://", f.read_text()), f
    for f in (dataset_site / "data").rglob("*.js"):  # data: URLs only inside quoted text, never loaded
        assert not re.search(r"(src|href)\s*=\s*[\"']?https?:", f.read_text()), f
    folder = built_dataset[0]
    first = build_site(folder, tmp_path / "s1", thumb_cache=tmp_path / "thumbs")
    again = build_site(folder, tmp_path / "s2", thumb_cache=tmp_path / "thumbs")
    assert first.thumbs_made == first.images == N_CHARTS and first.thumbs_cached == 0
    assert again.thumbs_made == 0 and again.thumbs_cached == N_CHARTS


def test_bad_input_is_a_clear_error(tmp_path, built_dataset, capsys):
    (tmp_path / "empty").mkdir()
    assert view(tmp_path / "empty", "--out", tmp_path / "s") == 2
    assert "not a dataset folder" in capsys.readouterr().err
    assert view(built_dataset[0], "--compare", built_dataset[0], "--out", tmp_path / "s") == 2
    assert "--compare needs an evaluation output" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert view(built_dataset[0], "--out", tmp_path / "file") == 2
    assert "not a folder" in capsys.readouterr().err
