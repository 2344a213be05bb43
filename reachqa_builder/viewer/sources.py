"""Reading what the viewer shows: dataset folders, ReachQA-layout folders, evaluation outputs.

Only files are read; nothing from ``synthesis`` or ``evaluation`` is imported (the viewer is part
of the foundation package, so dependency arrows stay one-way). Formats:

* **dataset**: a ``reachqa build`` folder (``<config>/<split>-NNNNN-of-NNNNN.parquet``);
  ``charts`` gives the charts (``extra`` JSON = provenance), ``qa`` the questions. Columns beyond the
  known ones (lint or verification flags, scores) become generic ``fields``.
* **layout**: a folder with ``plot_info.jsonl`` (a synthesis output, or a ReachQA split/root whose
  charts have image files); ``provenance`` and further ``plot_info`` keys are shown, extra Q&A keys
  (``final_answer``, ``checks``, ...) too.
* **evaluation**: a ``reachqa judge`` folder (``judged.jsonl``, ``report.json``) or a predictions
  folder / file (``*.jsonl``, one record per answer).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Iterator

from ..eval_records import (JUDGED_FILE, PREDICTION_FIELDS, REPORT_FILE, is_prediction_file, iter_prediction_files,
                            read_judged, read_predictions)
from ..eval_report import read_report
from ..fileio import check_parquet
from ..imagedata import image_bytes
from .model import ChartView, QAView, concise_answer

__all__ = ["ViewerInputError", "detect_kind", "read_dataset", "read_layout", "read_evaluation", "image_index"]

_SHARD_RE = re.compile(r"^(?P<split>.+)-\d{5}-of-\d{5}\.parquet$")
_CHART_KNOWN = {"chart_id", "image", "level", "plot_model", "major_chart_type", "minor_chart_type", "code", "extra"}
_QA_KNOWN = {"qa_id", "chart_id", "image", "question", "answer", "qa_type", "qa_model", "level", "plot_model",
             "major_chart_type", "minor_chart_type", "code"}
# keys of a layout Q&A record shown elsewhere (the chart's own, the final answer) or too long to filter on
_LAYOUT_QA_SHOWN = {"image", "code", "plot_level", "plot_model", "major_chart_type", "minor_chart_type",
                    "final_answer", "steps"}
AddImage = Callable[[bytes | None], str]


class ViewerInputError(ValueError):
    """The path is not something the viewer can show; the message says what was expected."""


def _configs(folder: Path) -> dict[str, dict[str, list[Path]]]:
    found: dict[str, dict[str, list[Path]]] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(sub.glob("*.parquet")):
            m = _SHARD_RE.match(f.name)
            if m:
                found.setdefault(sub.name, {}).setdefault(m["split"], []).append(check_parquet(f))
    return found


def detect_kind(path: str | Path) -> str:
    """``"dataset"``, ``"layout"`` or ``"evaluation"``; :class:`ViewerInputError` otherwise."""
    p = Path(path)
    if not p.exists():
        raise ViewerInputError(f"{p}: no such file or folder")
    if p.is_file():
        if p.suffix == ".jsonl" and is_prediction_file(p):
            return "evaluation"
        raise ViewerInputError(f"{p}: not a prediction file (JSON lines with {', '.join(PREDICTION_FIELDS)})")
    if (p / JUDGED_FILE).is_file() or any(is_prediction_file(f) for f in sorted(p.glob("*.jsonl"))[:5]):
        return "evaluation"
    if _configs(p):
        return "dataset"
    if (p / "plot_info.jsonl").is_file() or any(p.glob("reachqa_*/plot_info.jsonl")):
        return "layout"
    raise ViewerInputError(
        f"{p}: not a dataset folder (no <config>/<split>-NNNNN-of-NNNNN.parquet), not a ReachQA/synthesis folder "
        "(no plot_info.jsonl) and not an evaluation output (no judged.jsonl or prediction *.jsonl)")


def _scalar_fields(record: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """Unknown columns, kept when they are plain values (flags, scores, short labels)."""
    out = {}
    for k, v in record.items():
        if k in known or v is None:
            continue
        if isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) <= 200):
            out[k] = v
        elif isinstance(v, (dict, list)):
            out[k] = v  # shown on the chart page, not filterable
    return out


def _iter_rows(shards: list[Path], columns: list[str]) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    for shard in shards:
        pf = pq.ParquetFile(shard)
        cols = [c for c in columns if c in pf.schema_arrow.names] if columns else None
        for batch in pf.iter_batches(batch_size=256, columns=cols):
            yield from batch.to_pylist()


def _first_images(shards: list[Path], wanted: set[str]) -> Iterator[tuple[str, bytes | None]]:
    """``(chart_id, image bytes)`` for the first row of each wanted chart; only those images become
    Python objects (the qa config repeats a chart's image on each of its questions)."""
    import pyarrow.parquet as pq

    wanted = set(wanted)
    for shard in shards:
        for batch in pq.ParquetFile(shard).iter_batches(batch_size=256, columns=["chart_id", "image"]):
            ids = batch.column("chart_id").to_pylist()
            images = batch.column("image")
            for i, cid in enumerate(ids):
                if cid in wanted:
                    wanted.discard(cid)
                    yield cid, _image_bytes(images[i].as_py())
            if not wanted:
                return


def _image_bytes(value: Any) -> bytes | None:
    """The chart's encoded bytes, or None where the cell holds no readable image (shown as missing)."""
    try:
        return image_bytes(value)
    except (ValueError, TypeError, FileNotFoundError):
        return None


def read_dataset(folder: str | Path, add_image: AddImage) -> tuple[list[ChartView], list[QAView]]:
    """Charts and Q&A of a ``reachqa build`` folder (configs ``charts``/``seed`` and ``qa``)."""
    import pyarrow.parquet as pq

    configs = _configs(Path(folder))
    charts: dict[tuple[str, str], ChartView] = {}
    qas: list[QAView] = []
    chart_configs = [c for c in ("charts", "seed") if c in configs]
    for config in chart_configs:
        for split, shards in configs[config].items():
            for row in _iter_rows(shards, []):
                try:
                    prov = json.loads(row.get("extra") or "{}")
                except ValueError:
                    prov = {"extra": row.get("extra")}
                chart = ChartView(
                    id=row["chart_id"], split=split if config == "charts" else config,
                    image=add_image(_image_bytes(row.get("image"))),
                    major_chart_type=row.get("major_chart_type") or "", minor_chart_type=row.get("minor_chart_type") or "",
                    level=row.get("level") or "", plot_model=row.get("plot_model") or "", code=row.get("code") or "",
                    provenance=prov if isinstance(prov, dict) else {"extra": prov},
                    fields=_scalar_fields(row, _CHART_KNOWN))
                charts.setdefault((chart.split, chart.id), chart)
    for config, splits in configs.items():
        if config in chart_configs:
            continue
        for split, shards in splits.items():
            names = pq.ParquetFile(shards[0]).schema_arrow.names
            if not {"question", "answer", "chart_id"} <= set(names):
                continue  # not a Q&A config
            for row in _iter_rows(shards, [c for c in names if c != "image"]):
                key = (split, row["chart_id"])
                if key not in charts:
                    charts[key] = ChartView(
                        id=row["chart_id"], split=split, major_chart_type=row.get("major_chart_type") or "",
                        minor_chart_type=row.get("minor_chart_type") or "", level=row.get("level") or "",
                        plot_model=row.get("plot_model") or "", code=row.get("code") or "")
                qas.append(QAView(
                    id=str(row.get("qa_id") or f"{row['chart_id']}-{len(qas)}"), chart_id=row["chart_id"],
                    question=row["question"], answer=row["answer"],
                    concise=concise_answer(row["answer"], row.get("concise_answer") or row.get("final_answer")), qa_type=row.get("qa_type") or "",
                    qa_model=row.get("qa_model") or "", fields=_scalar_fields(row, _QA_KNOWN | {"final_answer"}),
                    split=split))
            # images of charts known only from the qa config: one read of the image column
            missing = {cid for (s, cid), c in charts.items() if s == split and not c.image}
            if missing:
                for cid, image in _first_images(shards, missing):
                    charts[(split, cid)].image = add_image(image)
    return list(charts.values()), qas


def read_layout(folder: str | Path, add_image: AddImage) -> tuple[list[ChartView], list[QAView]]:
    """Charts (with their image files where present) and Q&A of a ReachQA-layout folder."""
    from ..layout import find_splits, read_charts, read_code, read_qa

    charts: list[ChartView] = []
    qas: list[QAView] = []
    for split in find_splits(folder):
        for c in read_charts(split):
            prov = dict(c.extra.get("provenance") or {}) if isinstance(c.extra.get("provenance"), dict) else {}
            fields = _scalar_fields({k: v for k, v in c.extra.items() if k != "provenance"}, set())
            img = split.root / c.image if c.image else None
            charts.append(ChartView(
                id=c.id, split=split.name, image=add_image(img.read_bytes() if img and img.is_file() else None),
                major_chart_type=c.major_chart_type, minor_chart_type=c.minor_chart_type, level=c.level,
                plot_model=c.plot_model, code=read_code(c), provenance=prov, fields=fields))
        if split.qa_file is not None:  # through the builder's reader: the same ids and checks
            for qa in read_qa(split, {c.id for c in charts if c.split == split.name}):
                qas.append(QAView(
                    id=qa.id, chart_id=qa.chart_id, question=qa.question, answer=qa.answer,
                    concise=concise_answer(qa.answer, qa.concise_answer or qa.extra.get("final_answer")),
                    qa_type=qa.qa_type, qa_model=qa.qa_model, fields=_scalar_fields(qa.extra, _LAYOUT_QA_SHOWN),
                    split=split.name))
    return charts, qas


def read_evaluation(path: str | Path) -> dict[str, Any]:
    """``{"source", "judged": bool, "items": [...], "report": EvalReport (report.json) or None}``.

    A judge folder gives every item with ``judge`` / ``relaxed`` verdicts; a predictions folder
    gives items without verdicts (the page then shows predictions only).
    """
    p = Path(path)
    report = None
    try:
        if p.is_dir() and (p / JUDGED_FILE).is_file():
            items = read_judged(p)
            judged = True
            if (p / REPORT_FILE).is_file():
                report = read_report(p / REPORT_FILE)
        else:
            files = [p] if p.is_file() else [f for f in iter_prediction_files(p) if is_prediction_file(f)]
            if not files:
                raise ViewerInputError(f"{p}: no {JUDGED_FILE} and no prediction *.jsonl files")
            items = [r for f in files for r in read_predictions(f)]
            judged = any("judge" in r or "relaxed" in r for r in items)
    except ValueError as exc:  # a record that does not fit, named by file and line (ViewerInputError too)
        raise ViewerInputError(str(exc)) from None
    return {"source": str(p), "judged": judged, "items": items, "report": report}


def image_index(path: str | Path, add_image: AddImage) -> dict[str, str]:
    """``{id: image sha}`` for evaluation items: from a ``reachqa build`` folder (by ``qa_id`` and
    ``chart_id``), a ReachQA-layout folder (by ``data_id`` and ``id``), or a folder of ``<id>.<ext>`` files."""
    p = Path(path)
    if not p.is_dir():
        raise ViewerInputError(f"--images {p}: not a folder")
    out: dict[str, str] = {}
    configs = _configs(p)
    if configs:
        for config, splits in configs.items():
            for shards in splits.values():
                seen: dict[str, str] = {}
                for row in _iter_rows(shards, ["qa_id", "chart_id", "image"]):
                    cid = row.get("chart_id")
                    sha = seen.get(cid) if cid else None
                    if sha is None:
                        sha = add_image(_image_bytes(row.get("image")))
                        if cid:
                            seen[cid] = sha
                            out.setdefault(cid, sha)
                    if row.get("qa_id"):
                        out[str(row["qa_id"])] = sha
        return out
    if (p / "plot_info.jsonl").is_file() or any(p.glob("reachqa_*/plot_info.jsonl")):
        from ..layout import find_splits, read_charts, read_qa

        for split in find_splits(p):
            by_chart = {}
            charts = read_charts(split)
            for c in charts:
                img = split.root / c.image if c.image else None
                if img is not None and img.is_file():
                    by_chart[c.id] = out[c.id] = add_image(img.read_bytes())
            if split.qa_file is not None:
                for qa in read_qa(split, {c.id for c in charts}):
                    if qa.chart_id in by_chart:
                        out[qa.id] = by_chart[qa.chart_id]
        return out
    for f in sorted(p.iterdir()):
        if f.is_file() and f.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".gif"):
            out[f.stem] = add_image(f.read_bytes())
    return out
