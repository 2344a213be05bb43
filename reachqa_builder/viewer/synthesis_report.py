"""The synthesis report: items kept and dropped per stage and reason, with examples.

Reads a synthesis output folder (``summary.json`` and the stage journals ``work/<stage>.jsonl``,
one line per item: ``{"id", "status": "ok" | "dropped", "reason", "detail", ...}``); imports
nothing from ``synthesis``. Q&A pairs rejected by the raters are found by comparing each item's
pairs in the ``qa`` journal with those kept in the ``check`` journal. Near-duplicate questions are
only counted by the pipeline (the dropped text is not journaled), so they have a count and no
examples, and the page says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

STAGE_ORDER = ("self-instruct", "evol-instruct", "execute", "rate", "qa", "check")
EXAMPLES_PER_REASON = 3


def journal_path(work: Path, stage: str) -> Path:
    return work / f"{stage.replace('-', '_')}.jsonl"


def _records(path: Path) -> dict[str, dict[str, Any]]:
    """``{id: last record}`` of a journal; a torn last line (an interrupted run) is ignored."""
    out: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return out
    for line in path.read_bytes().splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        try:
            rec = json.loads(line)
        except ValueError:
            break
        if isinstance(rec, dict) and "id" in rec:
            out[str(rec["id"])] = rec
    return out


def is_synthesis_output(folder: Path) -> bool:
    return (folder / "summary.json").is_file() or (folder / "work").is_dir() and any((folder / "work").glob("*.jsonl"))


def _example(item_id: str, rec: dict, journals: dict[str, dict], add_image: Callable[[bytes | None], str],
             root: Path) -> dict[str, Any]:
    """A dropped item with what the earlier journals know of it (code, image, provenance)."""
    ex: dict[str, Any] = {"id": item_id, "reason": rec.get("reason", "?"), "detail": rec.get("detail", "")}
    for stage in STAGE_ORDER:
        before = journals.get(stage, {}).get(item_id)
        if not before or before.get("status") != "ok":
            continue
        for key in ("level", "major_chart_type", "minor_chart_type", "code", "provenance"):
            if before.get(key):
                ex[key] = before[key]
        if before.get("image"):
            img = Path(before["image"])
            img = img if img.is_absolute() else root / img
            if img.is_file():
                ex["image"] = add_image(img.read_bytes())
    return ex


def read_synthesis(folder: str | Path, add_image: Callable[[bytes | None], str]) -> dict[str, Any]:
    """``{"stages": [{stage, ok, dropped: {reason: n}, examples: {reason: [...]}}], "pairs": ..., ...}``."""
    root = Path(folder)
    work = root / "work"
    summary = json.loads((root / "summary.json").read_text(encoding="utf-8")) if (root / "summary.json").is_file() else {}
    names = list(summary.get("stages") or [])
    names += [s for s in STAGE_ORDER if s not in names and journal_path(work, s).is_file()]
    journals = {s: _records(journal_path(work, s)) for s in names}
    stages = []
    for stage in names:
        recs = journals[stage]
        dropped: dict[str, int] = {}
        examples: dict[str, list] = {}
        for item_id, rec in recs.items():
            if rec.get("status") == "ok":
                continue
            reason = str(rec.get("reason", "?"))
            dropped[reason] = dropped.get(reason, 0) + 1
            if len(examples.setdefault(reason, [])) < EXAMPLES_PER_REASON:
                examples[reason].append(_example(item_id, rec, journals, add_image, root))
        stages.append({"stage": stage, "ok": sum(r.get("status") == "ok" for r in recs.values()),
                       "dropped": dict(sorted(dropped.items())), "examples": examples,
                       "summary": (summary.get("stages") or {}).get(stage)})
    # Q&A pairs: written by the qa stage, rejected by the raters in the check stage
    rejected, n_rejected, n_duplicate = [], 0, 0
    for item_id, rec in journals.get("qa", {}).items():
        if rec.get("status") != "ok":
            continue
        n_duplicate += int((rec.get("provenance") or {}).get("qa_duplicates_dropped", 0))
        after = journals.get("check", {}).get(item_id)
        if not after:
            continue
        kept = {p.get("question") for p in after.get("qa") or []} if after.get("status") == "ok" else set()
        for pair in rec.get("qa") or []:
            if pair.get("question") not in kept:
                n_rejected += 1
                if len(rejected) < 2 * EXAMPLES_PER_REASON:
                    rejected.append({"id": item_id, "question": pair.get("question", ""),
                                     "answer": pair.get("answer", ""), "QA_type": pair.get("QA_type", "")})
    checked_ok = sum(r.get("status") == "ok" for r in journals.get("check", {}).values())
    output = summary.get("output") or {}
    return {
        "source": str(root), "stages": stages,
        "pairs": {"rejected": n_rejected, "rejected_examples": rejected, "duplicate": n_duplicate,
                  "summary": summary.get("qa_pairs_dropped")},
        "output": output, "target_charts": summary.get("target_charts"),
        "not_output": max(0, checked_ok - int(output.get("charts", checked_ok))) if output else None,
        "api": summary.get("api"),
    }
