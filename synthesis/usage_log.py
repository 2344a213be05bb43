"""``work/api/usage.jsonl``: one line per model call a run really made (cached replies are free and not
logged): stage, model, prompt and completion tokens. Summed over every run of a folder, it gives the
requests and tokens each kept chart cost, which ``reachqa synthesize --estimate`` scales to a target."""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

USAGE_FILE = "api/usage.jsonl"  # under work/, beside the batch journals (not an id-keyed journal)


class UsageLog:
    """Append-only usage lines (whole lines, flushed; opened on the first call)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fh = None

    def record(self, stage: str, model: str, resp) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps({"stage": stage, "model": model, "prompt_tokens": resp.prompt_tokens,
                                   "completion_tokens": resp.completion_tokens}) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def usage_by_stage(path: str | os.PathLike) -> dict[tuple[str, str], dict[str, int]]:
    """``{(stage, model): {"requests", "prompt_tokens", "completion_tokens"}}`` of a usage log."""
    totals: dict = collections.defaultdict(lambda: {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0})
    path = Path(path)
    if not path.exists():
        return {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line
        t = totals[(rec["stage"], rec["model"])]
        t["requests"] += 1
        t["prompt_tokens"] += int(rec.get("prompt_tokens") or 0)
        t["completion_tokens"] += int(rec.get("completion_tokens") or 0)
    return dict(totals)
