"""Live progress of a synthesis run: charts kept of the target (with an ETA), one counter per stage
(kept / dropped) and API usage.

On a terminal it draws tqdm bars; when stderr is not a terminal (a log file, a pipe, CI) it writes
one plain line every ``log_every`` seconds instead, with no cursor-movement codes."""

from __future__ import annotations

import collections
import sys
import time

from tqdm.auto import tqdm


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


class ProgressDisplay:
    """``event(stage, status, reason)`` after each item; ``tick()`` refreshes; set ``kept`` (charts
    kept toward ``target``) as it grows."""

    def __init__(self, stages: list[str], usage=None, enabled: bool = True, target: int | None = None,
                 stream=None, log_every: float = 30.0) -> None:
        self.usage = usage
        self.target = target
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every, self._last_log = log_every, time.monotonic()
        self.start = time.monotonic()
        self._kept = 0
        self.counts = {s: collections.Counter() for s in stages}
        bars = not self.tty
        rows = ([("kept", target)] if target else []) + [(s, None) for s in stages]
        self.bars = {s: tqdm(desc=f"{s:>13}", total=total, position=i, unit="chart" if s == "kept" else "item",
                             leave=True, disable=bars, file=self.stream, dynamic_ncols=True)
                     for i, (s, total) in enumerate(rows)}
        self.api = tqdm(desc=f"{'api':>13}", total=None, position=len(rows), unit="req", leave=True,
                        disable=bars or usage is None, file=self.stream, dynamic_ncols=True,
                        bar_format="{desc}: {postfix}")

    @property
    def kept(self) -> int:
        return self._kept

    @kept.setter
    def kept(self, value: int) -> None:
        bar = self.bars.get("kept")
        if bar is not None and value > self._kept:
            bar.update(value - self._kept)
        self._kept = value

    def event(self, stage: str, status: str, reason: str | None) -> None:
        c = self.counts.setdefault(stage, collections.Counter())
        c["kept" if status == "ok" else "dropped"] += 1
        bar = self.bars.get(stage)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(kept=c["kept"], dropped=c["dropped"], refresh=False)

    def eta(self) -> float | None:
        """Seconds left at this run's pace of kept charts (None before the first one)."""
        if not self.target or self._kept <= 0:
            return None
        return (time.monotonic() - self.start) / self._kept * max(0, self.target - self._kept)

    def line(self) -> str:
        """One plain progress line."""
        parts = [f"progress {_duration(time.monotonic() - self.start)}:"]
        if self.target:
            eta = self.eta()
            parts.append(f"kept {self._kept}/{self.target} charts"
                         + (f" (ETA {_duration(eta)})," if eta is not None else ","))
        parts.append(", ".join(f"{s} {c['kept']}+{c['dropped']} dropped" for s, c in self.counts.items() if c) or "-")
        if self.usage is not None:
            u = self.usage
            parts.append(f"| {u.requests} requests, {u.tokens} tokens, {u.failures} failed")
        return " ".join(parts)

    def tick(self) -> None:
        if not self.enabled:
            return
        if not self.tty:
            if time.monotonic() - self._last_log >= self.log_every:
                self._last_log = time.monotonic()
                print(self.line(), file=self.stream, flush=True)
            return
        if self.usage is not None:
            u = self.usage
            self.api.set_postfix_str(
                f"{u.requests} requests ({u.requests_per_second():.1f}/s), {u.cache_hits} cached, "
                f"{u.tokens} tokens, {sum(u.retries.values())} retries, {u.failures} failed")

    def close(self) -> None:
        self.tick()
        for bar in list(self.bars.values()) + [self.api]:
            bar.close()
