"""Stage 7: the kept charts in the ReachQA layout, with provenance on every record.

Writes ``code/NNNNN.py``, ``images/NNNNN.jpg``, ``plot_info.jsonl`` and one Q&A file
``instruction_data.json`` (records with ``data_id``, ``plot_id``, ``question``, ``answer``,
``QA_type`` ...), each file atomically. Charts are numbered in the order of their pipeline ids,
so the same journals always give the same folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .journal import atomic_write_bytes, atomic_write_text

QA_FILE = "instruction_data.json"


def _natural(item_id: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", item_id)]


def write_layout(out_dir: str | Path, items: list[dict], id_prefix: str, limit: int | None = None) -> dict:
    """Write ``items`` (records of the check journal) as a ReachQA split folder; returns counts.

    Image paths of the records are relative to ``out_dir`` (or absolute)."""
    out = Path(out_dir)
    items = sorted(items, key=lambda it: _natural(it["id"]))
    if limit is not None:
        items = items[:limit]
    (out / "code").mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(parents=True, exist_ok=True)
    plot_lines, qa_records = [], []
    names = set()
    for n, item in enumerate(items, start=1):
        name = f"{n:05d}"
        names.add(name)
        plot_id = f"{id_prefix}-plot-{name}"
        atomic_write_text(out / "code" / f"{name}.py", item["code"])
        atomic_write_bytes(out / "images" / f"{name}.jpg", (out / item["image"]).read_bytes())
        prov = dict(item.get("provenance") or {}, pipeline_id=item["id"])
        plot_model = prov.get("plot_model", "")
        plot_lines.append(json.dumps({
            "id": plot_id, "code": f"code/{name}.py", "image": f"images/{name}.jpg", "level": item.get("level", ""),
            "plot_model": plot_model, "major_chart_type": item.get("major_chart_type", ""),
            "minor_chart_type": item.get("minor_chart_type", ""), "provenance": prov,
        }, ensure_ascii=False))
        for k, pair in enumerate(item.get("qa") or [], start=1):
            qa_records.append({
                "data_id": f"{id_prefix}-{name}-{k:02d}", "plot_id": plot_id, "image": f"images/{name}.jpg",
                "code": f"code/{name}.py", "plot_level": item.get("level", ""), "plot_model": plot_model,
                "major_chart_type": item.get("major_chart_type", ""),
                "minor_chart_type": item.get("minor_chart_type", ""), "QA_type": pair.get("QA_type", ""),
                "QA_model": prov.get("qa_model", ""), "question": pair["question"], "answer": pair["answer"],
                "final_answer": pair.get("final_answer", ""), "steps": pair.get("steps", []),
                "checks": pair.get("checks", {}),
            })
    # files of an earlier, larger output that are not part of this one
    for sub, ext in (("code", ".py"), ("images", ".jpg")):
        for p in (out / sub).glob(f"*{ext}"):
            if re.fullmatch(r"\d{5}", p.stem) and p.stem not in names:
                p.unlink()
    atomic_write_text(out / QA_FILE, json.dumps(qa_records, ensure_ascii=False, indent=1) + "\n")
    atomic_write_text(out / "plot_info.jsonl", "".join(l + "\n" for l in plot_lines))
    return {"charts": len(items), "qa_pairs": len(qa_records)}
