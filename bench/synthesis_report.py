"""The viewer's synthesis report over a large synthesis output folder: memory and time of reading it.

    .venv/bin/python bench/synthesis_report.py               # 5,000 items through 6 stage journals
    .venv/bin/python bench/synthesis_report.py --items 20000

Baseline, in the same run: every journal read whole into ``{id: last record}`` (what the viewer did
before the synthesis format had one reader). The project: ``read_synthesis`` through
``reachqa_builder.synthesis_format`` (an index of offsets per journal, records read when needed).
Peak Python memory (tracemalloc) and wall time (best of ``--repeat``, without tracemalloc) are printed
with their ratios; both sides must give the same counts.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reachqa_builder import synthesis_format as sf  # noqa: E402
from reachqa_builder.viewer.synthesis_report import read_synthesis  # noqa: E402


def synthetic_folder(root: Path, items: int) -> Path:
    """Journals as a run writes them: most items pass, some drop with a reason; qa/check hold pairs."""
    rng = random.Random(0)
    work = root / "work"
    work.mkdir(parents=True)
    prov = {"prompt_version": "abc123def456", "plot_model": "gen", "topics": ["energy", "finance"],
            "backstory": "b" * 400, "rater_scores": {"rater-a": 4, "rater-b": 5}}
    pairs = [{"question": f"question {k} " + "w" * 120, "answer": "a" * 300, "QA_type": "Reasoning"} for k in range(8)]
    alive = [f"c{i:05d}" for i in range(items)]
    for stage in sf.STAGES:
        lines, kept = [], []
        for item_id in alive:
            if rng.random() < 0.1:
                lines.append({"id": item_id, "status": "dropped", "stage": stage, "reason": "low_rating",
                              "detail": "mean 2.5 < 3.75"})
                continue
            rec = {"id": item_id, "status": "ok", "code_file": f"work/code/{item_id}.py", "provenance": prov}
            if stage in ("qa", "check"):
                rec["qa"] = pairs if stage == "qa" else pairs[:7]
                rec["provenance"] = dict(prov, qa_duplicates_dropped=1, qa_rejected=1)
            lines.append(rec)
            kept.append(item_id)
        (work / sf.JOURNAL_NAMES[stage]).write_text("".join(json.dumps(r) + "\n" for r in lines))
        alive = kept
    sf.write_summary(root, {"stages": {}, "qa_pairs_dropped": {}})
    return root


def whole_journals(root: Path) -> dict:
    """The baseline: each journal read whole, then the same counts the report shows."""
    journals = {}
    for stage in sf.STAGES:
        out = {}
        for line in (root / "work" / sf.JOURNAL_NAMES[stage]).read_bytes().splitlines(keepends=True):
            rec = json.loads(line)
            out[rec["id"]] = rec
        journals[stage] = out
    return {s: sum(r["status"] == "ok" for r in recs.values()) for s, recs in journals.items()}


def project(root: Path) -> dict:
    report = read_synthesis(root, lambda data: "")
    return {s["stage"]: s["ok"] for s in report["stages"]}


def measure(fn, root: Path, repeat: int) -> tuple[dict, float, float]:
    tracemalloc.start()
    result = fn(root)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    best = min(_timed(fn, root) for _ in range(repeat))
    return result, peak, best


def _timed(fn, root: Path) -> float:
    t = time.perf_counter()
    fn(root)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=5000, help="self-instruct items (later stages keep about 90%% each)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic_folder(Path(tmp) / "run", args.items)
        size = sum(p.stat().st_size for p in (root / "work").glob("*.jsonl")) / 2**20
        base, base_mb, base_s = measure(whole_journals, root, args.repeat)
        ours, ours_mb, ours_s = measure(project, root, args.repeat)
        if base != ours:
            raise SystemExit(f"the two readers disagree: {base} vs {ours}")
        print(f"journals: {size:.1f} MB, {args.items} items; kept per stage {ours}")
        print(f"peak memory  baseline {base_mb:8.1f} MB  reachqa {ours_mb:8.1f} MB  ratio {base_mb / ours_mb:.1f}x less")
        print(f"wall time    baseline {base_s:8.2f} s   reachqa {ours_s:8.2f} s   ratio {ours_s / base_s:.2f}x")


if __name__ == "__main__":
    main()
