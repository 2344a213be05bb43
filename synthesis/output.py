"""Stage 7: the kept charts in the ReachQA layout, with provenance on every record.

Writes ``code/NNNNN.py``, ``images/NNNNN.jpg``, ``plot_info.jsonl`` and one Q&A file
``instruction_data.json`` (records with ``data_id``, ``plot_id``, ``question``, ``answer``,
``QA_type`` ...), each file atomically. A chart's number (its file names, its plot id and the ids
of its Q&A pairs) is given once, the first time the chart is written, and kept in
``work/output_ids.jsonl``: extending or resuming a run never renumbers a chart or a pair. New
charts are numbered in the order of their pipeline ids after every number given before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from reachqa_builder.fileio import atomic_write, atomic_write_text
from reachqa_builder.synthesis_format import JournalReader, record_code

from .journal import Journal

QA_FILE = "instruction_data.json"


def _natural(item_id: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", item_id)]


def write_layout(out_dir: str | Path, check_journal: str | Path, id_prefix: str, limit: int | None = None) -> dict:
    """Write the kept charts of ``check_journal`` (the check stage's journal) as a ReachQA split
    folder; returns counts. Records are read one at a time; image and code paths in them are
    relative to ``out_dir`` (or absolute)."""
    out = Path(out_dir)
    with JournalReader(check_journal) as checked:
        ids = _numbered(out / "work" / ID_FILE, checked.ids("ok"), limit)
        (out / "code").mkdir(parents=True, exist_ok=True)
        (out / "images").mkdir(parents=True, exist_ok=True)
        plot_lines, qa_lines = [], []
        names = set()
        plot_ids = {item_id: f"{id_prefix}-plot-{n:05d}" for item_id, n in ids.items()}
        levels: dict[str, int] = {}
        for item_id, n in ids.items():
            item = checked.get(item_id)
            name = f"{n:05d}"
            names.add(name)
            plot_id = plot_ids[item_id]
            code = record_code(item, out)
            atomic_write_text(out / "code" / f"{name}.py", code)
            atomic_write(out / "images" / f"{name}.jpg", (out / item["image"]).read_bytes())
            prov = dict(item.get("provenance") or {}, pipeline_id=item["id"])
            if prov.get("evolved_from"):  # the Easy parent: its plot id when kept, its code in work/ always
                prov["parent_plot_id"] = plot_ids.get(prov["evolved_from"])
            plot_model = prov.get("plot_model", "")
            levels[item.get("level", "")] = levels.get(item.get("level", ""), 0) + 1
            plot_lines.append(json.dumps({
                "id": plot_id, "code": f"code/{name}.py", "image": f"images/{name}.jpg", "level": item.get("level", ""),
                "plot_model": plot_model, "major_chart_type": item.get("major_chart_type", ""),
                "minor_chart_type": item.get("minor_chart_type", ""), "provenance": prov,
            }, ensure_ascii=False))
            for k, pair in enumerate(item.get("qa") or [], start=1):
                qa_lines.append(json.dumps({
                    "data_id": f"{id_prefix}-{name}-{k:02d}", "plot_id": plot_id, "image": f"images/{name}.jpg",
                    "code": f"code/{name}.py", "plot_level": item.get("level", ""), "plot_model": plot_model,
                    "major_chart_type": item.get("major_chart_type", ""),
                    "minor_chart_type": item.get("minor_chart_type", ""), "QA_type": pair.get("QA_type", ""),
                    "QA_model": prov.get("qa_model", ""), "question": pair["question"], "answer": pair["answer"],
                    "concise_answer": pair.get("concise_answer"), "analysis": pair.get("analysis"),
                    "checks": pair.get("checks", {}),
                }, ensure_ascii=False))
    items = ids
    # files of an earlier, larger output that are not part of this one
    for sub, ext in (("code", ".py"), ("images", ".jpg")):
        for p in (out / sub).glob(f"*{ext}"):
            if re.fullmatch(r"\d{5}", p.stem) and p.stem not in names:
                p.unlink()
    atomic_write_text(out / QA_FILE, "[\n" + ",\n".join(qa_lines) + ("\n]\n" if qa_lines else "]\n"))
    atomic_write_text(out / "plot_info.jsonl", "".join(l + "\n" for l in plot_lines))
    return {"charts": len(items), "qa_pairs": len(qa_lines), "levels": levels}


ID_FILE = "output_ids.jsonl"


def _numbered(id_file: Path, kept: list[str], limit: int | None) -> dict[str, int]:
    """``{pipeline id: number}`` of the charts to write: those numbered by an earlier output first
    (by number), then new ones in pipeline-id order, which get the next free numbers (recorded)."""
    numbers = Journal(id_file)
    try:
        given = {r["id"]: int(r["number"]) for r in numbers}
        old = sorted((i for i in kept if i in given), key=given.get)
        new = sorted((i for i in kept if i not in given), key=_natural)
        chosen = (old + new)[:limit] if limit is not None else old + new
        nxt = max(given.values(), default=0) + 1
        for item_id in chosen:
            if item_id not in given:
                given[item_id] = nxt
                numbers.append({"id": item_id, "number": nxt})
                nxt += 1
    finally:
        numbers.close()
    return {i: given[i] for i in sorted(chosen, key=given.get)}
