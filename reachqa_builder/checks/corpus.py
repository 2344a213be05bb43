"""ReachQA-layout folders as :class:`~.contamination.Corpus` objects, and filtered copies of them.

A filtered copy keeps the layout (``plot_info.jsonl``, ``code/``, the Q&A file) so every other
command reads it unchanged; only the dropped charts (with their questions) and dropped questions
are left out.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..generation import LoadedSplit, load_sources
from ..fileio import atomic_write
from ..layout import find_splits, iter_json_records
from .contamination import Corpus
from .rendered import RenderSettings, render_inspected, sample_charts


def load_corpus(data_dir: str, split: str | None, *, images: bool, settings: RenderSettings,
                name: str | None = None, sample: int | None = None, seed: int = 0) -> tuple[Corpus, list[LoadedSplit]]:
    """All charts (code; rendered images' hashes when ``images``) and questions of a ReachQA folder.

    ``sample``: only this many charts per split (drawn with ``seed``) and their questions."""
    charts = load_sources("charts", data_dir, split)
    qa_splits = []
    try:
        qa_splits = load_sources("qa", data_dir, split)
    except Exception:  # no split has a Q&A file: a charts-only corpus
        qa_splits = []
    corpus = Corpus(name or str(data_dir))
    multi = len(charts) > 1
    for s in charts:
        s.charts = tuple(sample_charts(list(s.charts), sample, seed))

        def cid(c: str) -> str:
            return f"{s.name}/{c}" if multi else c
        corpus.chart_ids += [cid(c.id) for c in s.charts]
        corpus.codes.update({cid(c.id): c.code for c in s.charts})
        if images:
            _, hashes = render_inspected(list(s.charts), settings, desc=f"rendering {s.name}", image_hashes=True)
            corpus.image_hashes.update({cid(k): v for k, v in hashes.items()})
    for s in qa_splits:
        prefix = f"{s.name}/" if multi else ""
        kept = set(corpus.chart_ids)
        for qa in s.qas:
            if prefix + qa.chart_id not in kept:
                continue
            corpus.question_ids.append(prefix + qa.id)
            corpus.question_texts.append(qa.question)
            corpus.question_charts.append(prefix + qa.chart_id)
    return corpus, charts


def write_filtered(data_dir: str, split: str | None, out_dir: str, drop_charts: set[str],
                   drop_questions: set[str]) -> dict:
    """Copy the split(s) to ``out_dir`` without the dropped charts and questions; returns counts."""
    splits = find_splits(data_dir, split)
    multi = len(splits) > 1
    counts = {"charts_kept": 0, "charts_dropped": 0, "questions_kept": 0, "questions_dropped": 0}
    out_root = Path(out_dir)
    for s in splits:
        prefix = f"{s.name}/" if multi else ""
        target = out_root / s.root.name if multi else out_root
        lines, kept = [], set()
        for _, record in iter_json_records(s.plot_info):
            if prefix + str(record.get("id")) in drop_charts:
                counts["charts_dropped"] += 1
                continue
            kept.add(str(record["id"]))
            src = (s.root / record["code"]).resolve()
            dst = target / record["code"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            lines.append(json.dumps(record, ensure_ascii=False))
            counts["charts_kept"] += 1
        atomic_write(target / "plot_info.jsonl", ("\n".join(lines) + "\n").encode())
        if s.qa_file is None:
            continue
        per_chart: dict[str, int] = {}
        records = []
        for _, record in iter_json_records(s.qa_file):
            chart = str(record.get("plot_id"))
            per_chart[chart] = per_chart.get(chart, 0) + 1
            qa_id = str(record.get("data_id") or f"{chart}-qa-{per_chart[chart]:02d}")  # as layout.read_qa
            if chart not in kept or prefix + qa_id in drop_questions:
                counts["questions_dropped"] += 1
                continue
            if not record.get("data_id"):
                record = {**record, "data_id": qa_id}  # keep the ids stable once siblings are gone
            records.append(record)
            counts["questions_kept"] += 1
        atomic_write(target / s.qa_file.name, json.dumps(records, ensure_ascii=False, indent=1).encode())
    return counts
