"""Write the static site: HTML pages and assets from the package, data as JavaScript files.

Browsers refuse ``fetch()`` of ``file://`` URLs, so every piece of data is a ``.js`` file that a
``<script>`` tag loads: ``data/index.js`` (a compact column index of charts and Q&A, filtered in
the page), ``data/chart/<n>.js`` (one chart's code, Q&A and provenance, loaded by the chart page),
``data/eval.js`` and ``data/synthesis.js``. The site opens from disk and needs no server; every
text from the data is inserted with ``textContent`` (never parsed as HTML).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..eval_report import EvalReport
from ..redact import redact_urls
from .images import ImageStore, write_file
from .model import ChartView, QAView

ASSETS = ("viewer.css", "common.js", "listing.js", "data.js", "chart.js", "eval.js", "synthesis.js")


@dataclass(frozen=True)
class Page:
    """One HTML page of the site: the shared layout around its own ``<main>`` (``assets/<name>.main.html``).

    Args:
        name: the page's file stem (``data`` is written as ``data.html``).
        title: the browser title after ``reachqa:``.
        data: the data script it reads (``data/site.js``, what pages exist, is read by every page).
        helpers: asset scripts it runs after ``common.js`` and before its own.
    """

    name: str
    title: str
    data: str
    helpers: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.name}.html"


# the pages of each part of the site (the first one of the first part is also index.html)
PAGES = {"data": (Page("data", "data", "data/index.js", ("listing.js",)),
                  Page("chart", "chart", "data/index.js", ("listing.js",))),
         "eval": (Page("eval", "evaluation", "data/eval.js"),),
         "synthesis": (Page("synthesis", "synthesis report", "data/synthesis.js"),)}

# Every page: the same head, skip link and navigation (filled by common.js), then its own main
# part, then the data it reads, the shared helpers and its own script.
LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>reachqa: {title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/viewer.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><nav id="nav" aria-label="Pages"></nav></header>
<main id="main" tabindex="-1">
{main}</main>
<script src="data/site.js"></script>
<script src="{data}"></script>
<script src="assets/common.js"></script>
{helpers}<script src="assets/{name}.js"></script>
</body>
</html>
"""
# a field becomes a select filter when it has at most this many distinct values
MAX_CHOICES = 24


@dataclass
class SiteReport:
    """What was written, for the command's closing lines and the benchmark."""

    out: Path
    pages: list[str] = field(default_factory=list)
    charts: int = 0
    qa: int = 0
    eval_items: int = 0
    images: int = 0
    thumbs_made: int = 0
    thumbs_cached: int = 0
    undecodable: list[str] = field(default_factory=list)
    undecodable_by_sha: dict[str, str] = field(default_factory=dict)
    no_image: int = 0        # charts shown without an image (code but no image file)
    no_image_hint: str = ""  # how to render them
    seconds: float = 0.0

    def size_bytes(self, sub: str = "") -> int:
        root = self.out / sub if sub else self.out
        return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) if root.exists() else 0


def js_data(var: str, value: Any) -> bytes:
    """``window.VAR = <json>;`` (JSON is valid JavaScript); credentials in URLs are redacted (data
    written by older runs may hold them)."""
    text = redact_urls(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return f"window.{var} = {text};\n".encode("utf-8")


def _asset_text(name: str) -> bytes:
    return resources.files(__package__).joinpath("assets", name).read_bytes()


def page_html(page: Page) -> bytes:
    """The whole HTML of ``page``: :data:`LAYOUT` around its main part."""
    main = _asset_text(f"{page.name}.main.html").decode("utf-8")
    helpers = "".join(f'<script src="assets/{h}"></script>\n' for h in page.helpers)
    return LAYOUT.format(title=page.title, main=main, data=page.data, name=page.name, helpers=helpers).encode("utf-8")


def _tags(v: Any) -> list[str] | None:
    """A list field as tags (``layout_flags``: each flag's ``kind``; a list of labels: the labels), or None."""
    if not isinstance(v, list):
        return None
    out = []
    for x in v:
        if isinstance(x, dict) and isinstance(x.get("kind"), str):
            out.append(x["kind"])
        elif isinstance(x, str) and len(x) <= 40:
            out.append(x)
        else:
            return None
    return out


def _facets(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each extra field: ``{"kind": "choice", "values": [...]}``, ``{"kind": "number", min, max}``,
    or ``{"kind": "tags", "values": [...]}`` for lists of labels or of ``{kind, ...}`` records (layout flags:
    a row matches a tag it has, "any" or "none")."""
    seen: dict[str, set] = {}
    tags: dict[str, set] = {}
    not_tags: set[str] = set()
    for fields in rows:
        for k, v in fields.items():
            if isinstance(v, (dict, list)):
                t = _tags(v)
                if t is None:
                    not_tags.add(k)
                else:
                    tags.setdefault(k, set()).update(t)
                continue
            seen.setdefault(k, set()).add(v)
    out = {}
    for k, values in sorted(seen.items()):
        nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(values) <= MAX_CHOICES:
            out[k] = {"kind": "choice", "values": sorted(map(str, values))}
        elif len(nums) == len(values):
            out[k] = {"kind": "number", "min": min(nums), "max": max(nums)}
    for k, values in sorted(tags.items()):
        if k not in not_tags and k not in seen and len(values) <= MAX_CHOICES:
            out[k] = {"kind": "tags", "values": sorted(values)}
    return out


def _column(rows: list[dict[str, Any]], facets: dict[str, Any]) -> dict[str, list]:
    cols = {}
    for k, spec in facets.items():
        if spec["kind"] == "choice":
            cols[k] = [None if r.get(k) is None else str(r.get(k)) for r in rows]
        elif spec["kind"] == "tags":
            cols[k] = [_tags(r.get(k)) or [] for r in rows]
        else:
            cols[k] = [r.get(k) for r in rows]
    return cols


def _flat_provenance(prov: dict[str, Any]) -> dict[str, Any]:
    """Provenance values worth filtering on: the mean rating and other top-level numbers/labels."""
    out = {}
    for k, v in prov.items():
        if isinstance(v, bool) or isinstance(v, (int, float)) or (isinstance(v, str) and len(v) <= 40) \
                or k == "layout_flags" and _tags(v) is not None:
            if k not in ("prompt_version", "pipeline_id", "evolved_from"):
                out[f"provenance.{k}"] = v
    return out


# where prediction records name their chart's type and level (``meta`` keys of the benchmark loaders:
# ReachQA released / built, ChartBench, ChartX), for the evaluation page's slices
SLICE_KEYS = {"chart_type": ("major_chart_type", "chart_type", "chart"), "level": ("plot_level", "level")}


def _slices(meta: Any) -> dict[str, str]:
    meta = meta if isinstance(meta, dict) else {}
    return {name: next((str(meta[k]) for k in keys if meta.get(k) not in (None, "")), "")
            for name, keys in SLICE_KEYS.items()}


def _report_view(report: EvalReport | None) -> dict[str, Any] | None:
    """``report.json`` as the evaluation page shows it: per benchmark its rows (all, subsets, categories),
    each with its scores and 95% intervals, ChartBench Acc+, the judge's usage and fingerprint."""
    if report is None:
        return None
    benchmarks = []
    for name, b in sorted(report.benchmarks.items()):
        rows = [{"group": "all", "name": "all", **dataclasses.asdict(b.all)}]
        rows += [{"group": "subset", "name": k, **dataclasses.asdict(c)} for k, c in sorted(b.subsets.items())
                 if len(b.subsets) > 1 or k != "all"]
        rows += [{"group": "category", "name": k, **dataclasses.asdict(c)} for k, c in sorted(b.categories.items())]
        benchmarks.append({"name": name, "rows": rows,
                           "acc_plus": dataclasses.asdict(b.acc_plus) if b.acc_plus else None})
    return {"benchmarks": benchmarks, "judge": report.judge,
            "usage": dataclasses.asdict(report.judge_usage) if report.judge_usage else None}


class SiteWriter:
    """Collects the parts of a site and writes them into ``out``."""

    def __init__(self, out: str | Path, thumb_cache: str | Path | None = None) -> None:
        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise NotADirectoryError(f"{self.out}: exists and is not a folder")
        self.out.mkdir(parents=True, exist_ok=True)
        self.images = ImageStore(self.out, Path(thumb_cache) if thumb_cache else None)
        self.report = SiteReport(self.out)
        self.title = ""
        self._started = time.perf_counter()

    def _write(self, rel: str, data: bytes) -> None:
        target = self.out / rel
        if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return
        write_file(target, data)

    def _thumb(self, sha: str) -> str:
        return self.images.thumb_path(sha) if self.images.has_thumb(sha) else ""

    def add_data(self, charts: list[ChartView], qas: list[QAView], source: str) -> None:
        """The data page's index and one detail file per chart."""
        order = {(c.split, c.id): n for n, c in enumerate(charts)}
        by_id: dict[str, int] = {}
        for n, c in enumerate(charts):
            by_id.setdefault(c.id, n)
        qa_chart, per_chart = [], [[] for _ in charts]
        for q in qas:
            n = order.get((q.split, q.chart_id), by_id.get(q.chart_id))
            if n is None:
                raise ValueError(f"Q&A {q.id!r} names chart {q.chart_id!r}, which is not among the charts")
            qa_chart.append(n)
            per_chart[n].append(q)
        chart_fields = [dict(_flat_provenance(c.provenance), **{k: v for k, v in c.fields.items()}) for c in charts]
        chart_facets = _facets(chart_fields)
        qa_facets = _facets([q.fields for q in qas])
        index = {
            "source": source,
            "charts": {
                "id": [c.id for c in charts], "split": [c.split for c in charts],
                "major": [c.major_chart_type for c in charts], "minor": [c.minor_chart_type for c in charts],
                "level": [c.level for c in charts], "model": [c.plot_model for c in charts],
                "thumb": [self._thumb(c.image) for c in charts], "nqa": [len(p) for p in per_chart],
                "fields": _column(chart_fields, chart_facets),
            },
            "chart_facets": chart_facets,
            "qa": {"chart": qa_chart, "q": [q.question for q in qas], "type": [q.qa_type for q in qas],
                   "fields": _column([q.fields for q in qas], qa_facets)},
            "qa_facets": qa_facets,
        }
        self._write("data/index.js", js_data("REACHQA_INDEX", index))
        for c in charts:
            n = order[(c.split, c.id)]
            detail = {
                "n": n, "id": c.id, "split": c.split, "major": c.major_chart_type, "minor": c.minor_chart_type,
                "level": c.level, "plot_model": c.plot_model, "code": c.code,
                "image": self.images.paths.get(c.image, ""), "provenance": c.provenance, "fields": c.fields,
                "qa": [{"id": q.id, "question": q.question, "answer": q.answer, "concise": q.concise,
                        "type": q.qa_type, "model": q.qa_model, "fields": q.fields} for q in per_chart[n]],
            }
            text = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
            self._write(f"data/chart/{n}.js", f"reachqaChart({text});\n".encode("utf-8"))
        self.report.pages += ["data"]
        self.report.charts, self.report.qa = len(charts), len(qas)

    def add_evaluation(self, runs: list[dict[str, Any]], images: dict[str, str]) -> None:
        """``runs``: one or two results of :func:`sources.read_evaluation`; ``images``: item id -> sha."""
        out_runs = []
        for run in runs:
            items = []
            for r in run["items"]:
                sha = images.get(str(r["id"])) or ""
                items.append({
                    "id": str(r["id"]), "benchmark": r["benchmark"], "subset": str(r.get("subset") or "all"),
                    "question": r["question"], "answer": str(r["answer"]), "prediction": r["prediction"],
                    "extracted": r.get("extracted"), "judge": r.get("judge"), "relaxed": r.get("relaxed"),
                    "analysis": r.get("judge_analysis") or "", "error": r.get("judge_error") or "",
                    "model": r.get("model") or "", "image": self.images.paths.get(sha, ""), "thumb": self._thumb(sha),
                    **_slices(r.get("meta")),
                })
            out_runs.append({"label": run.get("label") or run["source"], "source": run["source"],
                             "judged": run["judged"], "report": _report_view(run.get("report")), "items": items})
        self._write("data/eval.js", js_data("REACHQA_EVAL", {"runs": out_runs}))
        self.report.pages += ["eval"]
        self.report.eval_items = sum(len(r["items"]) for r in out_runs)

    def add_synthesis(self, report: dict[str, Any]) -> None:
        for stage in report["stages"]:
            for exs in stage["examples"].values():
                for ex in exs:
                    sha = ex.pop("image", "")
                    ex["image"], ex["thumb"] = self.images.paths.get(sha, ""), self._thumb(sha)
        self._write("data/synthesis.js", js_data("REACHQA_SYNTHESIS", report))
        self.report.pages += ["synthesis"]

    def finish(self, title: str) -> SiteReport:
        """Copy the pages and assets, write ``data/site.js`` (what pages exist) and ``index.html``."""
        for name in ASSETS:
            self._write(f"assets/{name}", _asset_text(name))
        pages = [p for p in ("data", "eval", "synthesis") if p in self.report.pages]
        for part in pages:
            for page in PAGES[part]:
                self._write(page.file, page_html(page))
        self._write("data/site.js", js_data("REACHQA_SITE", {"title": title, "pages": pages}))
        self._write("index.html", page_html(PAGES[pages[0]][0]) if pages else b"")
        self.report.images = len(self.images.paths)
        self.report.thumbs_made, self.report.thumbs_cached = self.images.thumbs_made, self.images.thumbs_cached
        self.report.undecodable = list(self.images.undecodable)
        self.report.undecodable_by_sha = dict(self.images.bad)
        self.report.seconds = time.perf_counter() - self._started
        return self.report
