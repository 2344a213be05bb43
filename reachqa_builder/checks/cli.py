"""``reachqa verify`` and ``reachqa lint``: the data checks over a ReachQA-layout folder.

Examples::

    reachqa verify ../shared/reachqa-data --split test --out verdicts.jsonl
    reachqa lint ../shared/reachqa-data --split train --sample 300 --out lint.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path


def _add_render_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("rendering (results come from the render cache when present)")
    g.add_argument("--render-env", choices=("faithful", "current"), default="faithful",
                   help="render environment (default: faithful, the pinned matplotlib of the release)")
    g.add_argument("--render-cache-dir", help="render cache folder (default: the renderer's own)")
    g.add_argument("--workers", type=int, help="render workers (default: CPU count)")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per script (default 60)")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")


def _settings(args):
    from .rendered import RenderSettings

    return RenderSettings(env=args.render_env, workers=args.workers, timeout=args.timeout,
                          cache_dir=args.render_cache_dir, progress=not args.no_progress)


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


def run_verify(args) -> int:
    from ..base import load_sources
    from ..layout import LayoutError
    from .answers import verify_recognition
    from .rendered import render_inspected

    try:
        splits = load_sources("qa", args.data_dir, args.split)
    except LayoutError as exc:
        print(f"reachqa verify: {exc}", file=sys.stderr)
        return 2
    program_checker = None
    if args.model:
        from .program import ProgramChecker, ProgramSettings

        program_checker = ProgramChecker(ProgramSettings(
            model=args.model, base_url=args.base_url, api_key=args.api_key, cache_dir=args.program_cache_dir,
            render_env=args.render_env, workers=args.workers, timeout=args.timeout))
    rows: list[dict] = []
    for split in splits:
        used = {qa.chart_id for qa in split.qas}
        charts = [c for c in split.charts if c.id in used]
        records, _ = render_inspected(charts, _settings(args), desc=f"rendering {split.name}")
        by_id = {c.id: c for c in split.charts}
        qas = list(split.qas)
        program_verdicts = {}
        if program_checker is not None:
            program_verdicts = program_checker.check(
                [(qa.id, qa.question, qa.answer, by_id[qa.chart_id].code) for qa in qas
                 if not args.program_only_uncheckable or verify_recognition(
                     qa.question, qa.answer, qa.qa_type, records[qa.chart_id].plotted).verdict == "not_checkable"])
        for qa in qas:
            rec = records[qa.chart_id]
            v = verify_recognition(qa.question, qa.answer, qa.qa_type, rec.plotted if rec.status == "ok" else None)
            row = {"split": split.name, "qa_id": qa.id, "chart_id": qa.chart_id, "qa_type": qa.qa_type,
                   "question": qa.question, "answer": qa.answer, **v.as_dict()}
            if qa.id in program_verdicts:
                row["program"] = program_verdicts[qa.id].as_dict()
            rows.append(row)
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
    return 0


def configure_verify(parser: argparse.ArgumentParser) -> None:
    """Check each Q&A answer against the values its chart actually plots.

    Every number a recognition answer states is looked up among the values the figure plots (read
    in the render worker), within the relaxed-accuracy tolerance (5%): supported / contradicted /
    not_checkable, with the evidence. With --model, an LLM also writes a short program computing
    the answer from the chart's code; the program runs in the render sandbox and its result is
    compared with the stated answer.
    """
    parser.add_argument("data_dir", help="ReachQA data/ root or one split folder (with a Q&A file)")
    parser.add_argument("--split", help="the one split of a data root to check")
    parser.add_argument("--out", help="write one JSON line per Q&A pair (verdict and evidence)")
    parser.add_argument("--json", help="write the verdict table (per question type) as JSON")
    g = parser.add_argument_group("program check (optional; needs an OpenAI-compatible server)")
    g.add_argument("--model", help="model that writes the checking programs (enables the program check)")
    g.add_argument("--base-url", default="http://localhost:8000/v1", help="API root with /v1")
    g.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY)")
    g.add_argument("--program-cache-dir", help="cache of model replies and program results (default: "
                                               "$REACHQA_HOME/checks/programs)")
    g.add_argument("--program-only-uncheckable", action="store_true",
                   help="ask the model only about pairs the plotted-values check cannot decide")
    _add_render_args(parser)
    parser.set_defaults(run=run_verify)


def run_lint(args) -> int:
    from ..base import load_sources
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
        got, _ = render_inspected(charts, _settings(args), desc=f"rendering {split.name}")
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
