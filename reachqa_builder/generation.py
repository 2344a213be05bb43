"""The ReachQA builder's steps: read and check every split, render, make rows.

The builder class (``builder.py``) stays a thin ``datasets`` shell over these functions:

* :func:`load_sources` reads and checks all splits up front (plot_info, scripts, Q&A), so bad
  input fails with a clear error before anything renders;
* :func:`render_stream` renders one split's scripts through :func:`reachqa_builder.render.render_scripts`
  (and its content-keyed cache, shared by all configs), or on a Ray cluster, record by record, filling
  a :class:`RenderReport`;
* :func:`generate_rows` yields ``(key, row)`` for one split, leaving failed charts out.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .checks.answers import verify_recognition
from .features import chart_row, qa_row
from .layout import QA, Chart, LayoutError, find_splits, read_charts, read_code, read_qa
from .render.settings import DEFAULT_ENV, RenderSettings
from .synthesis_format import Provenance

logger = logging.getLogger(__name__)



@dataclass
class LoadedSplit:
    """A checked split: its charts (with code read) and Q&A (``None`` for chart configs)."""

    name: str
    charts: tuple[Chart, ...]
    qas: tuple[QA, ...] | None = None
    root: Path | None = None  # the split folder it was read from


@dataclass
class RenderReport:
    """What rendering one split did: counts and the charts that failed (id -> error)."""

    split: str
    total: int = 0
    rendered: int = 0
    cached: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    dropped_qa: int = 0
    records: dict = field(default_factory=dict, repr=False)  # chart_id -> RenderRecord
    cluster: dict | None = None  # the Ray cluster that rendered it (RayRenderer.cluster_record), if any

    @property
    def ok(self) -> int:
        return self.rendered + self.cached


def load_sources(config_name: str, data_root: str | Path, split: str | None = None) -> list[LoadedSplit]:
    """Read and check every split of ``data_root`` for ``config_name``.

    For ``qa``, a split without a Q&A file is left out with a logged message (a copy of the
    released data without the 20k train Q&A file, say); if no split has Q&A it is an error.
    """
    splits = find_splits(data_root, split)
    loaded: list[LoadedSplit] = []
    for s in splits:
        if config_name == "qa" and s.qa_file is None:
            logger.warning(
                "split %r: no Q&A file (instruction_data*.json) in %s; the %r split is left out of the 'qa' config "
                "(the 'charts' config still has its charts)", s.name, s.root, s.name)
            continue
        charts = read_charts(s)
        for chart in charts:
            read_code(chart)
        qas = tuple(read_qa(s, {c.id for c in charts})) if config_name == "qa" else None
        loaded.append(LoadedSplit(s.name, tuple(charts), qas, s.root))
    if not loaded:
        raise LayoutError(f"{data_root}: no split has a Q&A file (instruction_data*.json), so the 'qa' config is empty")
    return loaded


def resolve_render_env(requested: str | None, splits: list[LoadedSplit]) -> str:
    """The render environment of a build: the one the charts' provenance records (a ``reachqa
    synthesize`` folder: the images its raters judged), else ``requested``, else ``faithful``.
    Asking for another environment than the recorded one is refused: its images would differ
    from the rated ones."""
    recorded: dict[str, str] = {}
    for s in splits:
        for c in s.charts:
            env = (c.extra.get("provenance") or {}).get(Provenance.RENDER_ENV)
            if env:
                recorded.setdefault(env, c.where)
    if len(recorded) > 1:
        raise LayoutError("the charts record several render environments (" + ", ".join(
            f"{env} at {where}" for env, where in recorded.items()) + "); build each folder on its own")
    if not recorded:
        return requested or DEFAULT_ENV
    env = next(iter(recorded))
    if requested is not None and requested != env:
        root = splits[0].root if splits else "the data"
        raise LayoutError(f"{root}: its charts were rated as rendered with --render-env {env}; build with "
                          f"--render-env {env} (or leave it out) so the images are the ones the raters judged")
    return env


def _used_charts(split: LoadedSplit) -> list[Chart]:
    if split.qas is None:
        return list(split.charts)
    used = {qa.chart_id for qa in split.qas}
    return [c for c in split.charts if c.id in used]


def render_stream(split: LoadedSplit, out_dir: Path, *, settings: RenderSettings,
                  ray: str | None = None) -> tuple[Iterator, RenderReport]:
    """The render records of the charts a split needs, in order, and its (still filling) report.

    Locally the records come when :func:`reachqa_builder.render.render_scripts` is done; with
    ``ray`` (a cluster address) each comes as soon as it and those before it are done, so rows are
    written while the cluster still renders."""
    charts = _used_charts(split)
    report = RenderReport(split=split.name, total=len(charts))
    scripts = {c.id: c.code for c in charts}
    desc = f"rendering {split.name}"
    if ray:
        from .ray_render import RayRenderer

        renderer = RayRenderer(ray, settings, desc=desc)

        def records():
            yield from renderer.iter_render(scripts, out_dir)
            report.cluster = renderer.cluster_record()

        return records(), report
    from .render import render_scripts  # imported here to keep `import reachqa_builder` light

    return iter(render_scripts(scripts, out_dir, **settings.render_options(), desc=desc)), report


class _Rendered:
    """Records of a split pulled from :func:`render_stream` as rows need them, counted in the report."""

    def __init__(self, stream: Iterator, report: RenderReport):
        self.stream, self.report = stream, report

    def get(self, chart_id: str):
        while chart_id not in self.report.records:
            rec = next(self.stream, None)
            if rec is None:
                return None
            self._count(rec)
        return self.report.records[chart_id]

    def _count(self, rec) -> None:
        report = self.report
        report.records[rec.id] = rec
        if rec.status == "ok" and rec.image is not None:
            if rec.cached:
                report.cached += 1
            else:
                report.rendered += 1
        else:
            report.failed[rec.id] = rec.error or "unknown error"

    def finish(self) -> None:
        for rec in self.stream:
            self._count(rec)
        report = self.report
        if report.failed:
            listed = ", ".join(sorted(report.failed)[:20]) + (" ..." if len(report.failed) > 20 else "")
            logger.warning("split %r: %d of %d charts failed to render and are left out: %s",
                           report.split, len(report.failed), report.total, listed)

    def image(self, chart_id: str) -> Path | None:
        rec = self.get(chart_id)
        return Path(rec.image) if rec is not None and rec.status == "ok" and rec.image is not None else None


def generate_rows(config_name: str, split: LoadedSplit, render_kwargs: dict,
                  reports: dict[str, RenderReport]) -> Iterator[tuple[str, dict]]:
    """Render ``split`` and yield its rows; the report lands in ``reports[split.name]``."""
    with tempfile.TemporaryDirectory(prefix="reachqa-render-") as tmp:
        stream, report = render_stream(split, Path(tmp), **render_kwargs)
        reports[split.name] = report
        rendered = _Rendered(stream, report)
        by_id = {c.id: c for c in split.charts}
        if split.qas is None:
            for chart in split.charts:
                image = rendered.image(chart.id)
                if image is not None:
                    report.rows += 1
                    rec = report.records[chart.id]
                    yield chart.id, chart_row(config_name, chart, image.read_bytes(), rec.lint, rec.plotted)
            rendered.finish()
            return
        jpeg_cache: tuple[str, bytes] | None = None
        for qa in split.qas:
            image = rendered.image(qa.chart_id)
            if image is None:
                report.dropped_qa += 1
                continue
            if jpeg_cache is None or jpeg_cache[0] != qa.chart_id:
                jpeg_cache = (qa.chart_id, image.read_bytes())
            report.rows += 1
            verdict = verify_recognition(qa.question, qa.answer, qa.qa_type, report.records[qa.chart_id].plotted)
            yield qa.id, qa_row(qa, by_id[qa.chart_id], jpeg_cache[1], verdict.as_dict())
        rendered.finish()
