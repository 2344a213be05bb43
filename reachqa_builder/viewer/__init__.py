"""``reachqa view``: a static site to look at charts, Q&A, evaluation results and synthesis runs.

    from reachqa_builder.viewer import build_site
    report = build_site("reachqa", "site")                 # a reachqa build folder -> site/index.html
    build_site("report/", "site", compare="report-base/")   # an evaluation, two runs side by side

The site opens from disk (``file://``), loads nothing from the network and needs no server;
:func:`serve` shows it on 127.0.0.1 when wanted.
"""

from __future__ import annotations

from pathlib import Path

from .serve import serve
from .site import SiteReport, SiteWriter
from .sources import ViewerInputError, detect_kind, image_index, read_dataset, read_evaluation, read_layout
from .synthesis_report import is_synthesis_output, read_synthesis

__all__ = ["build_site", "serve", "SiteReport", "ViewerInputError"]


def build_site(path: str | Path, out: str | Path, *, compare: str | Path | None = None,
               images: str | Path | None = None, thumb_cache: str | Path | None = None) -> SiteReport:
    """Write the site for ``path`` (dataset folder, ReachQA/synthesis folder or evaluation output) into ``out``.

    ``compare``: a second evaluation output shown beside the first (e.g. before fine-tuning).
    ``images``: where evaluation charts are (a ``reachqa build`` folder, a ReachQA folder with
    images, or a folder of ``<item id>.<ext>`` files). ``thumb_cache``: thumbnail cache folder.
    """
    path = Path(path)
    kind = detect_kind(path)
    if compare is not None and kind != "evaluation":
        raise ViewerInputError(f"--compare needs an evaluation output as PATH; {path} is a {kind} folder")
    writer = SiteWriter(out, thumb_cache)
    add = writer.images.add
    if kind == "dataset":
        charts, qas = read_dataset(path, add)
        writer.add_data(charts, qas, str(path))
    elif kind == "layout":
        charts, qas = read_layout(path, add)
        writer.add_data(charts, qas, str(path))
        if is_synthesis_output(path):
            writer.add_synthesis(read_synthesis(path, add))
    else:
        runs = [read_evaluation(path)]
        if compare is not None:
            if detect_kind(compare) != "evaluation":
                raise ViewerInputError(f"--compare {compare}: not an evaluation output")
            runs.append(read_evaluation(compare))
            runs[0]["label"], runs[1]["label"] = f"A: {path}", f"B: {compare}"
        index = image_index(images, add) if images else {}
        writer.add_evaluation(runs, index)
    report = writer.finish(title=f"reachqa view: {path.name or path}")
    if kind in ("dataset", "layout"):
        _name_charts(report, charts, path if kind == "layout" else None)
    return report


def _name_charts(report: SiteReport, charts, layout_root: Path | None) -> None:
    """Undecodable images named by their chart(s), not by hash; charts without an image counted,
    with how to render them."""
    by_sha: dict[str, list[str]] = {}
    for c in charts:
        if c.image:
            by_sha.setdefault(c.image, []).append(f"{c.split}/{c.id}")
    report.undecodable = [f"chart {', '.join(by_sha.get(sha, [sha[:12]])[:3])}: {err}"
                          for sha, err in report.undecodable_by_sha.items()]
    report.no_image = sum(not c.image for c in charts)
    if report.no_image and layout_root is not None:
        from ..layout import find_splits

        cmds = [f"reachqa render {s.root / 'code'} {s.root / 'images'}" for s in find_splits(layout_root)]
        report.no_image_hint = (f"render them with `{'` and `'.join(cmds[:3])}`" if cmds else "")
