"""Rendering from async code: requests queue up and render in batches on a worker thread.

The renderer (:func:`reachqa_builder.render.render_scripts`) is synchronous; it keeps its warm,
sandboxed workers alive between calls. :class:`RenderService` lets many pipeline tasks ask for
renders at once: while one batch renders on a background thread, new requests collect, and the
next batch starts as soon as the previous one is done, so no task waits for unrelated model calls.
The renderer's cache (keyed by code, environment and dpi) makes re-runs render nothing twice.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from reachqa_builder.render.settings import RenderSettings


class RenderService:
    """Renders with ``settings`` (the run's :class:`RenderSettings`; no progress bar of its own)."""

    def __init__(self, out_dir: str | Path, settings: RenderSettings | None = None, max_batch: int = 64) -> None:
        self.out_dir = Path(out_dir)
        self.settings, self.max_batch = settings or RenderSettings(), max_batch
        self._pending: list[tuple[str, str, asyncio.Future]] = []
        self._runner: asyncio.Task | None = None
        self.rendered = 0

    async def render(self, item_id: str, code: str) -> Any:
        """The :class:`RenderRecord` of ``code`` rendered to ``out_dir/<item_id>.jpg``."""
        fut = asyncio.get_running_loop().create_future()
        self._pending.append((item_id, code, fut))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await fut

    async def _run(self) -> None:
        from reachqa_builder.render import render_scripts

        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            scripts = {item_id: code for item_id, code, _ in batch}
            try:
                records = await asyncio.to_thread(
                    render_scripts, scripts, self.out_dir, **{**self.settings.render_options(), "progress": False},
                    report=False)
            except Exception as exc:  # infrastructure failure: every waiter sees it
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            by_id = {r.id: r for r in records}
            for item_id, _, fut in batch:
                self.rendered += 1
                if not fut.done():
                    fut.set_result(by_id[item_id])
