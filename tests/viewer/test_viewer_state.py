"""The viewer keeps its place: filters in the URL (shared, restored on Back/Forward), the chart page walks
the filtered and sorted list, lint-flag filter, value counts, structured fields as tables; the evaluation
page shows report.json's intervals and categories, Acc+, and accuracy by chart type and level."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pyarrow.parquet as pq

from tests.viewer.viewer_fixtures import judged, view


def _rows(built):
    charts = pq.read_table(built / "charts" / "test-00000-of-00001.parquet",
                           columns=["chart_id", "major_chart_type", "minor_chart_type", "level", "layout_flags"]).to_pylist()
    qa = pq.read_table(built / "qa" / "test-00000-of-00001.parquet", columns=["chart_id", "qa_type"]).to_pylist()
    for c in charts:
        c["flags"] = [f["kind"] for f in c["layout_flags"] or []]
        c["nqa"] = sum(q["chart_id"] == c["chart_id"] for q in qa)
    return charts, qa


def _expected(charts, type_="", level="", flag=""):
    return [c["chart_id"] for c in charts if (not type_ or c["major_chart_type"] == type_)
            and (not level or c["level"] == level) and (not flag or flag in c["flags"])]


def shown(page) -> list[str]:
    return page.eval_on_selector_all("#results a.card", "a => a.map(x => x.dataset.chart)")


def option_counts(page, sel) -> dict[str, int]:
    return page.eval_on_selector_all(f"{sel} option[data-count]",
                                     "os => Object.fromEntries(os.map(o => [o.value, +o.dataset.count]))")


def hash_state(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).fragment).items()}


def form_state(page) -> dict[str, str]:
    return page.eval_on_selector_all("#filters select, #filters input",
                                     "cs => Object.fromEntries(cs.filter(c => c.value !== '' && c.name !== 'sort' || "
                                     "c.name === 'sort' && c.value !== '').map(c => [c.name, c.value]))")


def _agree(page, charts):
    """The form, the URL and the grid say the same thing."""
    state = form_state(page)
    assert state == {k: v for k, v in hash_state(page).items() if k != "page"}
    assert shown(page) == _expected(charts, state.get("type", ""), state.get("level", ""))


def test_filters_live_in_the_url_shareable_and_restored_on_back(page, browser, rich_site):
    site, built = rich_site
    charts, _ = _rows(built)
    page.goto((site / "data.html").as_uri())
    assert shown(page) == _expected(charts) and hash_state(page) == {}
    page.select_option("#f-major", "Bar Charts")
    assert hash_state(page) == {"type": "Bar Charts"}
    _agree(page, charts)
    page.select_option("#f-level", "Easy")
    assert hash_state(page) == {"type": "Bar Charts", "level": "Easy"}
    _agree(page, charts)
    assert len(shown(page)) == 2
    page.fill("#q", "about c")  # typing: one history entry for the search, however many keys
    page.fill("#q", "about c1")
    assert shown(page) == ["rich-c1"] and hash_state(page)["q"] == "about c1"
    url = page.url
    # shareable: the URL alone gives the same form and list
    other = browser.new_page()
    other.goto(url)
    assert shown(other) == ["rich-c1"] and form_state(other) == form_state(page)
    other.close()
    # Back and Forward: form and list restored together
    page.go_back()
    assert page.input_value("#q") == "" and hash_state(page) == {"type": "Bar Charts", "level": "Easy"}
    _agree(page, charts)
    page.go_back()
    assert page.input_value("#f-level") == "" and page.input_value("#f-major") == "Bar Charts"
    _agree(page, charts)
    page.go_back()
    assert form_state(page) == {} and shown(page) == _expected(charts)
    page.go_forward()
    page.go_forward()
    assert page.input_value("#f-level") == "Easy"
    _agree(page, charts)
    # a value the data does not have: ignored visibly, the URL says what is applied
    page.goto((site / "data.html").as_uri() + "#type=Line+Charts&level=Medium")
    assert "level=Medium" in page.locator("#url-note").text_content()
    assert page.input_value("#f-level") == "" and hash_state(page) == {"type": "Line Charts"}
    _agree(page, charts)
    # Clear filters: visible, and a history entry of its own
    page.click("#reset")
    page.wait_for_function("document.querySelector('#count-charts').textContent == '%d'" % len(charts))
    assert hash_state(page) == {} and form_state(page) == {}


def test_chart_page_walks_the_filtered_sorted_list_and_comes_back(page, rich_site):
    site, built = rich_site
    charts, _ = _rows(built)
    page.goto((site / "data.html").as_uri())
    page.select_option("#f-major", "Line Charts")
    page.select_option("#sort", "qa-desc")  # most Q&A first: the Hard charts (3 Q&A) before the Easy ones
    lines = [c for c in charts if c["major_chart_type"] == "Line Charts"]
    order = [c["chart_id"] for c in sorted(lines, key=lambda c: -c["nqa"])]
    assert shown(page) == order != [c["chart_id"] for c in lines]
    page.locator("#results a.card").first.click()
    page.wait_for_selector("#code")
    walked = [page.locator("h1").text_content()]
    assert page.locator("#position").text_content() == f"chart 1 of {len(order)} (filtered)"
    while page.locator("a[rel=next]").count():
        page.click("a[rel=next]")
        page.wait_for_function(f"document.querySelector('h1') && document.querySelector('h1').textContent != '{walked[-1]}'")
        walked.append(page.locator("h1").text_content())
    assert walked == order  # next walks the filtered, sorted list, not the dataset
    page.click("a[rel=prev]")
    page.wait_for_function(f"document.querySelector('h1').textContent == '{order[-2]}'")
    back = page.locator("#back")
    assert "Chart type: Line Charts" in back.text_content()
    back.click()
    page.wait_for_selector("#results a.card")
    assert page.input_value("#f-major") == "Line Charts" and page.input_value("#sort") == "qa-desc"
    assert shown(page) == order
    # Back from a chart page opened from the grid: the grid as it was
    page.locator("#results a.card").nth(1).click()
    page.wait_for_selector("#code")
    page.go_back()
    page.wait_for_selector("#results a.card")
    assert page.input_value("#f-major") == "Line Charts" and shown(page) == order
    # "all charts, filters cleared": explicit, and the data page shows no filter
    page.locator("#results a.card").first.click()
    page.wait_for_selector("#clear")
    page.click("#clear")
    page.wait_for_selector("#results a.card")
    assert form_state(page) == {} and shown(page) == _expected(charts)
    # without filters the chart page says so and walks the whole list
    page.locator("#results a.card").first.click()
    page.wait_for_selector("#code")
    assert page.locator("#back").text_content() == "\u2190 all charts" and page.locator("#clear").count() == 0
    assert page.locator("#position").text_content() == f"chart 1 of {len(charts)}"


def test_lint_flag_filter_value_counts_and_sorting(page, rich_site):
    site, built = rich_site
    charts, qa = _rows(built)
    flagged = {c["chart_id"]: c["flags"] for c in charts if c["flags"]}
    assert {k for f in flagged.values() for k in f} == {"empty_axes", "overlapping_text"}  # the fixture's two
    page.goto((site / "data.html").as_uri())
    flags = "select[name=layout_flags]"
    counts = option_counts(page, flags)
    kinds = Counter(k for f in flagged.values() for k in set(f))
    assert counts == {"\u2217any": len(flagged), "\u2205none": len(charts) - len(flagged), **kinds}
    page.select_option(flags, "empty_axes")
    assert shown(page) == _expected(charts, flag="empty_axes") == ["rich-c2"]
    assert "layout flags: empty_axes" in page.locator("#results a.card").text_content()
    assert hash_state(page) == {"layout_flags": "empty_axes"}
    page.select_option(flags, "\u2217any")
    assert shown(page) == [c for c in _expected(charts) if c in flagged]
    page.select_option(flags, "\u2205none")
    assert shown(page) == [c for c in _expected(charts) if c not in flagged]
    page.select_option(flags, "")
    # counts: what each option would give with the other filters as they are
    page.select_option("#f-level", "Hard")
    hard = [c for c in charts if c["level"] == "Hard"]
    assert option_counts(page, "#f-major") == {t: sum(c["major_chart_type"] == t for c in hard)
                                               for t in {c["major_chart_type"] for c in charts}}
    assert option_counts(page, "#f-level") == dict(Counter(c["level"] for c in charts))  # its own value left out
    hard_ids = {c["chart_id"] for c in hard}
    assert option_counts(page, "#f-qatype") == dict(Counter(q["qa_type"] for q in qa if q["chart_id"] in hard_ids))
    page.select_option("#f-qatype", "Recognizing")
    assert option_counts(page, "#f-level") == dict(Counter(c["level"] for c in charts))  # every chart has one
    assert option_counts(page, "#f-qatype")["Reasoning"] == sum(q["qa_type"] == "Reasoning" and q["chart_id"] in hard_ids
                                                                for q in qa)
    page.click("#reset")
    page.wait_for_function("document.querySelector('#count-charts').textContent == '%d'" % len(charts))
    # sorting
    page.select_option("#sort", "level")
    assert shown(page) == [c["chart_id"] for c in sorted(charts, key=lambda c: c["level"])]
    page.select_option("#sort", "type")  # chart type, then minor type
    assert shown(page) == [c["chart_id"] for c in sorted(charts, key=lambda c: (c["major_chart_type"], c["minor_chart_type"]))]
    assert hash_state(page) == {"sort": "type"}


def test_structured_fields_are_tables(page, rich_site):
    site, built = rich_site
    flags = {c["chart_id"]: c["layout_flags"] for c in _rows(built)[0]}["rich-c4"]
    page.goto((site / "data.html").as_uri() + "#layout_flags=overlapping_text")
    page.locator("#results a.card").first.click()
    page.wait_for_selector("#code")
    table = page.locator("#chart table.data").first
    assert table.locator("th").all_text_contents() == ["kind", "severity", "detail"]
    assert table.locator("tr").nth(1).locator("td").all_text_contents() == [flags[0]["kind"], flags[0]["severity"],
                                                                            flags[0]["detail"]]
    text = page.locator("#chart").text_content()
    assert '{"' not in text and '":' not in text  # no raw JSON anywhere on the page


def _ci(cell, metric):
    ci = cell.get(f"{metric}_ci95")
    return "\u2013" if ci is None else f"[{100 * ci[0]:.2f}, {100 * ci[1]:.2f}]"


def test_evaluation_intervals_categories_slices_and_url(page, browser, evaluation_runs, tmp_path):
    report_a, _, dataset = evaluation_runs
    site = tmp_path / "site"
    assert view(report_a, "--images", dataset, "--out", site, "--thumb-cache", tmp_path / "thumbs") == 0
    page.goto((site / "eval.html").as_uri())
    bench = json.loads((report_a / "report.json").read_text())["benchmarks"]["reachqa"]
    assert bench["categories"] and bench["all"]["judge_ci95"] is not None  # 3 charts: an interval exists
    rows = [("data-subset", "all", bench["all"])] + [("data-subset", k, v) for k, v in bench["subsets"].items()] + \
        [("data-category", k, v) for k, v in bench["categories"].items()]
    for attr, name, cell in rows:
        row = page.locator(f"table.report tr[{attr}='{name}']")
        assert row.count() == 1, (attr, name)
        assert row.locator(".judge-ci").text_content() == _ci(cell, "judge")
        assert row.locator(".rule-ci").text_content() == _ci(cell, "relaxed")
        assert row.locator(".judge-acc").text_content() == f"{100 * cell['judge_accuracy']:.2f}"
        assert int(row.locator(".clusters").text_content()) == cell["clusters"]
    # accuracy by chart type and by level, from the judged items
    items = judged(report_a)
    for dim, key in (("chart_type", "major_chart_type"), ("level", "level")):
        groups = {}
        for r in items:
            groups.setdefault(r["meta"][key], []).append(r)
        assert len(groups) > 1
        for value, rs in groups.items():
            row = page.locator(f"table.slices tr[data-dim='{dim}'][data-value='{value}']")
            acc = sum(r["judge"] == "correct" for r in rs) / len(rs)
            assert row.locator(".judge-acc").text_content() == f"{100 * acc:.2f}"
            rule = sum(bool(r["relaxed"]) for r in rs) / len(rs)
            assert row.locator(".rule-acc").text_content() == f"{100 * rule:.2f}"
    # item filters: by chart type, counts per option, in the URL
    types = Counter(r["meta"]["major_chart_type"] for r in items)
    assert option_counts(page, "#f-type") == dict(types)
    t = sorted(types)[0]
    page.select_option("#f-type", t)
    assert int(page.locator("#count-items").text_content()) == types[t]
    page.select_option("#f-show", "disagree")
    want = [r["id"] for r in items if r["meta"]["major_chart_type"] == t and r["judge"] in ("correct", "incorrect")
            and (r["judge"] == "correct") != r["relaxed"]]
    assert page.eval_on_selector_all("#items > li", "li => li.map(x => x.dataset.id)") == want
    assert hash_state(page) == {"type": t, "show": "disagree"}
    other = browser.new_page()
    other.goto(page.url)
    assert other.eval_on_selector_all("#items > li", "li => li.map(x => x.dataset.id)") == want
    other.close()
    page.go_back()
    assert page.input_value("#f-show") == "" and int(page.locator("#count-items").text_content()) == types[t]


def test_evaluation_page_acc_plus_own_grading_and_usage(page, tmp_path):
    """A ChartBench-like run written by the real report writer: Acc+ (pairs) and the benchmark's own
    grading (official) with their intervals, and the judge's usage, as report.json says."""
    from evaluation.report import write_report

    records = []
    for chart in range(6):
        for turn in range(2):
            right = (chart + turn) % 3 != 0
            records.append({"id": f"cb{chart}-{turn}", "benchmark": "chartbench", "subset": "nqa" if chart % 2 else "yes_no",
                            "question": f"Is statement {turn} about chart {chart} true?", "answer": "yes",
                            "prediction": "yes" if right else "no", "judge": "correct" if right else "incorrect",
                            "relaxed": right, "official": "correct" if right or chart == 0 else "incorrect",
                            "meta": {"group": f"c{chart}", "pair": f"cb{chart}", "category": "bar" if chart < 3 else "line",
                                     "chart": "bar" if chart < 3 else "line"}})
    out = tmp_path / "report"
    out.mkdir()
    (out / "judged.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    usage = {"requests": 12, "cache_hits": 0, "prompt_tokens": 3000, "completion_tokens": 400,
             "price_per_prompt_token": 1e-6, "price_per_completion_token": 2e-6, "cost": 0.0038}
    summary = write_report(out, records, judge_usage=usage)
    site = tmp_path / "site"
    assert view(out, "--out", site, "--thumb-cache", tmp_path / "thumbs") == 0
    page.goto((site / "eval.html").as_uri())
    ap = summary["benchmarks"]["chartbench"]["acc_plus"]
    text = page.locator(".acc-plus[data-benchmark='chartbench']").text_content()
    assert f"{ap['pairs']} pairs" in text
    for m in ("relaxed", "judge"):
        assert f"{m} {100 * ap[m]['accuracy']:.2f} % [{100 * ap[m]['ci95'][0]:.2f}, {100 * ap[m]['ci95'][1]:.2f}]" in text
    cell = summary["benchmarks"]["chartbench"]["categories"]["line"]
    row = page.locator("table.report tr[data-category='line']")
    assert row.locator(".official-acc").text_content() == f"{100 * cell['official_accuracy']:.2f}"
    assert row.locator(".official-ci").text_content() == _ci(cell, "official")
    assert "3000 prompt and 400 completion tokens" in page.locator(".usage").text_content()
    assert "cost 0.0038" in page.locator(".usage").text_content()


def test_predictions_without_report_get_the_table_computed_in_the_page(page, evaluation_runs, tmp_path):
    report_a, _, _ = evaluation_runs
    preds = report_a.parent / "preds-a"  # what `reachqa infer` wrote: no verdicts, no report.json
    assert not (preds / "report.json").exists()
    site = tmp_path / "site"
    assert view(preds, "--out", site, "--thumb-cache", tmp_path / "thumbs") == 0
    page.goto((site / "eval.html").as_uri())
    assert page.locator("table.report").count() == 0
    table = page.locator("table.accuracy[data-run='0']")
    assert "predictions only" in table.locator("caption").text_content()
    n = sum(1 for f in preds.glob("*.jsonl") for line in f.read_text().splitlines() if line.strip())
    assert table.locator("tr[data-subset='all'] td").nth(2).text_content() == str(n)
    assert page.locator("table.slices tr[data-dim='level']").count() == 2  # Easy and Hard, from the items' meta
