"""``work/api/usage.jsonl``: one line per model call a run really made (cached replies are free and not
logged): stage, model, prompt and completion tokens. Summed over every run of a folder, it gives the
requests and tokens each kept chart cost, which ``reachqa synthesize --estimate`` scales to a target.
This is the writer; the reader is the format's (:func:`reachqa_builder.synthesis_format.usage_by_stage`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reachqa_builder.fileio import cut_torn_tail
from reachqa_builder.moved import moved_name
from reachqa_builder.synthesis_format import USAGE_FILE

__all__ = ["UsageLog", "USAGE_FILE"]


def __getattr__(name: str):
    if name == "usage_by_stage":  # the reader moved to the format, for one release
        return moved_name(__name__, name, "reachqa_builder.synthesis_format")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class UsageLog:
    """Append-only usage lines (whole lines, flushed; opened on the first call)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fh = None

    def record(self, stage: str, model: str, resp) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            cut_torn_tail(self.path)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps({"stage": stage, "model": model, "prompt_tokens": resp.prompt_tokens,
                                   "completion_tokens": resp.completion_tokens}) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
