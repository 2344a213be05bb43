"""Live progress of a synthesis run: one bar per stage (kept / dropped) plus API usage."""

from __future__ import annotations

import collections
import sys

from tqdm.auto import tqdm


class ProgressDisplay:
    """``event(stage, status, reason)`` after each item; ``tick()`` refreshes request/token rates."""

    def __init__(self, stages: list[str], usage=None, enabled: bool = True) -> None:
        self.usage = usage
        self.kept = 0
        self.counts = {s: collections.Counter() for s in stages}
        self.bars = {s: tqdm(desc=f"{s:>13}", total=None, position=i, unit="item", leave=True,
                             disable=not enabled, file=sys.stderr, dynamic_ncols=True)
                     for i, s in enumerate(stages)}
        self.api = tqdm(desc=f"{'api':>13}", total=None, position=len(stages), unit="req", leave=True,
                        disable=not enabled or usage is None, file=sys.stderr, dynamic_ncols=True,
                        bar_format="{desc}: {postfix}")

    def event(self, stage: str, status: str, reason: str | None) -> None:
        c = self.counts.setdefault(stage, collections.Counter())
        c["kept" if status == "ok" else "dropped"] += 1
        bar = self.bars.get(stage)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(kept=c["kept"], dropped=c["dropped"], refresh=False)

    def tick(self) -> None:
        if self.usage is not None and not self.api.disable:
            u = self.usage
            self.api.set_postfix_str(
                f"{u.requests} requests ({u.requests_per_second():.1f}/s), {u.cache_hits} cached, "
                f"{u.tokens} tokens, {sum(u.retries.values())} retries, {u.failures} failed")

    def close(self) -> None:
        self.tick()
        for bar in list(self.bars.values()) + [self.api]:
            bar.close()
