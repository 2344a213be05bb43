"""The synthesis report: items kept and dropped per stage and reason, with examples.

Reads a synthesis output folder (``summary.json`` and the stage journals) through the format's one
reader, :mod:`reachqa_builder.synthesis_format`: each journal's index stays in memory and a record is
read when the page needs it. Q&A pairs rejected by the raters are found by comparing each item's
pairs in the ``qa`` journal with those kept in the ``check`` journal. Near-duplicate questions are
only counted by the pipeline (the dropped text is not journaled), so they have a count and no
examples, and the page says so.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

from ..synthesis_format import (STAGES, WORK_DIR, JournalFormatError, JournalReader, is_synthesis_output,
                                journal_path, pairs_dropped, read_summary, record_code)

__all__ = ["read_synthesis", "is_synthesis_output"]

EXAMPLES_PER_REASON = 3


def _example(item_id: str, rec: dict, journals: dict[str, JournalReader], add_image: Callable[[bytes | None], str],
             root: Path) -> dict[str, Any]:
    """A dropped item with what the earlier journals know of it (code, image, provenance)."""
    ex: dict[str, Any] = {"id": item_id, "reason": rec.get("reason", "?"), "detail": rec.get("detail", "")}
    for stage in STAGES:
        before = journals[stage].get(item_id) if stage in journals else None
        if not before or before.get("status") != "ok":
            continue
        for key in ("level", "major_chart_type", "minor_chart_type", "provenance"):
            if before.get(key):
                ex[key] = before[key]
        try:
            code = record_code(before, root)
        except JournalFormatError as exc:
            code = f"# {exc}"  # shown in place of the script, never a silent gap
        if code:
            ex["code"] = code
        if before.get("image"):
            img = Path(before["image"])
            img = img if img.is_absolute() else root / img
            if img.is_file():
                ex["image"] = add_image(img.read_bytes())
    return ex


def read_synthesis(folder: str | Path, add_image: Callable[[bytes | None], str]) -> dict[str, Any]:
    """``{"stages": [{stage, ok, dropped: {reason: n}, examples: {reason: [...]}}], "pairs": ..., ...}``."""
    root = Path(folder)
    work = root / WORK_DIR
    summary = read_summary(root) or {}
    names = list(summary.get("stages") or [])
    names += [s for s in STAGES if s not in names and journal_path(work, s).is_file()]
    with ExitStack() as opened:  # each journal's index in memory; records are read when needed
        journals = {s: opened.enter_context(JournalReader(journal_path(work, s))) for s in names}
        return _report(root, summary, names, journals, add_image)


def _report(root: Path, summary: dict, names: list[str], journals: dict[str, JournalReader],
            add_image: Callable[[bytes | None], str]) -> dict[str, Any]:
    stages = []
    for stage in names:
        reader = journals[stage]
        dropped: dict[str, int] = {}
        examples: dict[str, list] = {}
        for item_id in reader.ids():
            if reader.status(item_id) == "ok":
                continue
            rec = reader.get(item_id)
            reason = str(rec.get("reason", "?"))
            dropped[reason] = dropped.get(reason, 0) + 1
            if len(examples.setdefault(reason, [])) < EXAMPLES_PER_REASON:
                examples[reason].append(_example(item_id, rec, journals, add_image, root))
        stages.append({"stage": stage, "ok": len(reader.ids("ok")), "dropped": dict(sorted(dropped.items())),
                       "examples": examples, "summary": (summary.get("stages") or {}).get(stage)})
    # Q&A pairs: written by the qa stage, rejected by the raters in the check stage
    rejected, n_rejected, n_duplicate = [], 0, 0
    qa, check = journals.get("qa"), journals.get("check")
    for item_id in qa.ids("ok") if qa is not None else ():
        rec = qa.get(item_id)
        n_duplicate += pairs_dropped("qa", rec).get("qa:duplicate", 0)
        after = check.get(item_id) if check is not None else None
        if not after:
            continue
        kept = {p.get("question") for p in after.get("qa") or []} if after.get("status") == "ok" else set()
        for pair in rec.get("qa") or []:
            if pair.get("question") not in kept:
                n_rejected += 1
                if len(rejected) < 2 * EXAMPLES_PER_REASON:
                    rejected.append({"id": item_id, "question": pair.get("question", ""),
                                     "answer": pair.get("answer", ""), "QA_type": pair.get("QA_type", "")})
    checked_ok = len(check.ids("ok")) if check is not None else 0
    output = summary.get("output") or {}
    return {
        "source": str(root), "stages": stages,
        "pairs": {"rejected": n_rejected, "rejected_examples": rejected, "duplicate": n_duplicate,
                  "summary": summary.get("qa_pairs_dropped")},
        "output": output, "target_charts": summary.get("target_charts"),
        "not_output": max(0, checked_ok - int(output.get("charts", checked_ok))) if output else None,
        "api": summary.get("api"),
    }
