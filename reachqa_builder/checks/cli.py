"""``reachqa lint``, and the model-free part of ``reachqa verify`` (whose command is
:mod:`.verify`).

Examples::

    reachqa lint ../shared/reachqa-data --split train --sample 300 --out lint.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from ..render.settings import add_render_flags, render_settings_from_args


def _add_render_args(parser: argparse.ArgumentParser) -> None:
    add_render_flags(parser, "rendering (results come from the render cache when present)")


def _write_jsonl(path: str, rows) -> None:
    from ..fileio import atomic_write

    atomic_write(Path(path), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())


def verdict_table(rows: list[dict]) -> dict:
    """Count and share of each verdict per question type."""
    from .answers import VERDICTS

    per_type: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        per_type[r["qa_type"] or "(no type)"][r["verdict"]] += 1
        per_type["all"][r["verdict"]] += 1
    return {t: {"total": sum(c.values()), **{v: c[v] for v in VERDICTS},
                **{f"{v}_share": round(c[v] / sum(c.values()), 4) for v in VERDICTS}} for t, c in sorted(per_type.items())}


def _format_verdicts(table: dict) -> str:
    lines = [f"{'type':14s} {'total':>6s} {'supported':>16s} {'contradicted':>16s} {'not checkable':>16s}"]
    for t, row in table.items():
        cells = [f"{row[v]:6d} ({100 * row[v + '_share']:5.1f}%)" for v in ("supported", "contradicted", "not_checkable")]
        lines.append(f"{t:14s} {row['total']:6d} " + " ".join(f"{c:>16s}" for c in cells))
    return "\n".join(lines)


def add_verify_args(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``reachqa verify`` that need no model."""
    parser.add_argument("data_dir", help="ReachQA data/ root or one split folder (with a Q&A file)")
    parser.add_argument("--split", help="the one split of a data root to check")
    parser.add_argument("--out", help="write one JSON line per Q&A pair (verdict and evidence)")
    parser.add_argument("--json", help="write the verdict table (per question type) as JSON")
    _add_render_args(parser)


def verify_rows(args) -> tuple[list[dict], dict]:
    """One row per Q&A pair with its plotted-values verdict, and ``{chart_id: code}``.

    Raises :class:`~reachqa_builder.layout.LayoutError` for bad input."""
    from ..generation import load_sources
    from .answers import verify_recognition
    from .rendered import render_inspected

    rows: list[dict] = []
    codes: dict[str, str] = {}
    for split in load_sources("qa", args.data_dir, args.split):
        used = {qa.chart_id for qa in split.qas}
        charts = [c for c in split.charts if c.id in used]
        codes.update({c.id: c.code for c in charts})
        records, _ = render_inspected(charts, render_settings_from_args(args), desc=f"rendering {split.name}")
        for qa in split.qas:
            rec = records[qa.chart_id]
            v = verify_recognition(qa.question, qa.answer, qa.qa_type, rec.plotted if rec.status == "ok" else None)
            rows.append({"split": split.name, "qa_id": qa.id, "chart_id": qa.chart_id, "qa_type": qa.qa_type,
                         "question": qa.question, "answer": qa.answer, **v.as_dict()})
    return rows, codes


def write_verdicts(args, rows: list[dict]) -> None:
    """Print the verdict tables (plotted values; programs where run) and write --out / --json."""
    if args.out:
        _write_jsonl(args.out, rows)
    table = verdict_table(rows)
    print(_format_verdicts(table))
    program_rows = [dict(r, verdict=r["program"]["verdict"]) for r in rows if "program" in r]
    if program_rows:
        print("\nprogram check (model-written programs run in the sandbox):")
        print(_format_verdicts(verdict_table(program_rows)))
    if args.json:
        Path(args.json).write_text(json.dumps({"plotted_values": table, "program": verdict_table(program_rows)
                                               if program_rows else None}, indent=2))


def run_lint(args) -> int:
    from ..generation import load_sources
    from ..layout import LayoutError
    from .lint import format_summary, summarize
    from .rendered import render_inspected, sample_charts

    try:
        splits = load_sources("charts", args.data_dir, args.split)
    except LayoutError as exc:
        print(f"reachqa lint: {exc}", file=sys.stderr)
        return 2
    records = {}
    for split in splits:
        charts = sample_charts(list(split.charts), args.sample, args.seed)
        got, _ = render_inspected(charts, render_settings_from_args(args), desc=f"rendering {split.name}")
        records.update({f"{split.name}/{k}": v for k, v in got.items()})
    summary = summarize(records)
    print(format_summary(summary))
    if args.out:
        _write_jsonl(args.out, [{"chart": k, "status": r.status, "error": r.error, "lint": r.lint,
                                 "inspect_problem": r.inspect_problem} for k, r in records.items()])
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


def configure_lint(parser: argparse.ArgumentParser) -> None:
    """Layout lint of every chart: overlapping or clipped text, tiny fonts, empty axes, legends over data.

    The flags are measured in the render worker on the saved figure at the output resolution; the
    images are byte-identical to renders without the lint.
    """
    parser.add_argument("data_dir", help="ReachQA data/ root or one split folder")
    parser.add_argument("--split", help="the one split of a data root to lint")
    parser.add_argument("--sample", type=int, help="lint this many charts per split, drawn with --seed (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--out", help="write one JSON line per chart (its flags)")
    parser.add_argument("--json", help="write the summary (share flagged per kind) as JSON")
    _add_render_args(parser)
    parser.set_defaults(run=run_lint)
