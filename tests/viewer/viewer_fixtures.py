"""Helpers shared by the viewer tests: the reachqa command and reading judged runs."""

from __future__ import annotations

import json
from pathlib import Path

from reachqa_builder.cli import main

def view(*args) -> int:
    return main(["view", *map(str, args)])


def run_cli(argv: list[str]) -> int:
    """``reachqa ARGV`` in a worker thread: Playwright's sync API keeps an event loop running in the
    main thread, and commands that use asyncio (infer, judge, synthesize) refuse to run inside one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


DISAGREE_A = {("t1", "Reasoning"), ("t2", "Recognizing")}


def judged(report) -> list[dict]:
    return [json.loads(l) for l in (Path(report) / "judged.jsonl").read_text().splitlines() if l.strip()]
