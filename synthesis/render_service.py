"""Rendering from async code: one warm, sandboxed worker pool for the whole run.

:func:`reachqa_builder.render.render_scripts` starts its warm workers on every call, which costs
seconds; a synthesis run asks for renders one chart at a time from many tasks. So
:class:`RenderService` keeps one :class:`reachqa_builder.render.pool.WorkerPool` open for the run
and feeds it from a queue on a background thread: while one batch renders, new requests collect,
and no task waits for unrelated model calls. Results use the renderer's cache (keyed by code,
environment and dpi) exactly as ``render_scripts`` does, so re-runs render nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path
from typing import Any


class RenderService:
    def __init__(self, out_dir: str | Path, env: str = "faithful", workers: int | None = None,
                 timeout: float = 60.0, dpi: int = 200, use_cache: bool = True, max_batch: int = 64) -> None:
        self.out_dir = Path(out_dir)
        self.env_name, self.workers, self.timeout, self.dpi = env, workers, timeout, dpi
        self.use_cache, self.max_batch = use_cache, max_batch
        self._pending: list[tuple[str, str, asyncio.Future]] = []
        self._runner: asyncio.Task | None = None
        self._pool = None
        self._env = None
        self._cache = None
        self._lock = threading.Lock()
        self.rendered = 0

    async def render(self, item_id: str, code: str) -> Any:
        """The :class:`RenderRecord` of ``code`` rendered to ``out_dir/<item_id>.jpg``."""
        fut = asyncio.get_running_loop().create_future()
        self._pending.append((item_id, code, fut))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await fut

    async def _run(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            try:
                records = await asyncio.to_thread(self._render_batch, [(i, c) for i, c, _ in batch])
            except Exception as exc:  # infrastructure failure: every waiter sees it
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (item_id, _, fut), rec in zip(batch, records):
                self.rendered += 1
                if not fut.done():
                    fut.set_result(rec)

    def _render_batch(self, batch: list[tuple[str, str]]) -> list[Any]:
        import os

        from reachqa_builder.render import RenderRecord
        from reachqa_builder.render.cache import RenderCache, atomic_write
        from reachqa_builder.render.envs import get_environment
        from reachqa_builder.render.pool import WorkerPool

        with self._lock:
            if self._env is None:
                self._env = get_environment(self.env_name)
                self._cache = RenderCache() if self.use_cache else None
            self.out_dir.mkdir(parents=True, exist_ok=True)
            records: dict[str, RenderRecord] = {}
            keys: dict[str, str] = {}
            jobs = []

            def finish(rec: RenderRecord, image: bytes | None) -> None:
                if image:
                    target = self.out_dir / f"{rec.id}.jpg"
                    atomic_write(target, image)
                    rec.image = str(target)
                records[rec.id] = rec

            for item_id, code in batch:
                key = RenderCache.key(code, self._env.fingerprint, self.dpi)
                keys[item_id] = key
                hit = self._cache.get(key) if self._cache is not None else None
                if hit is not None:
                    meta, image = hit
                    finish(RenderRecord(item_id, meta["status"], meta.get("error"), meta.get("seconds", 0.0),
                                        meta.get("sha256"), cached=True), image)
                    continue
                jobs.append({"id": item_id, "code": code, "dpi": self.dpi, "timeout": self.timeout, "seed": 0,
                             "memory_mb": 4096, "compat": self._env.compat})
            if jobs:
                if self._pool is None:
                    n = self.workers or os.cpu_count() or 1
                    self._pool = WorkerPool(self._env, n).__enter__()

                def on_result(header: dict, image: bytes) -> None:
                    sha = hashlib.sha256(image).hexdigest() if image else None
                    rec = RenderRecord(header["id"], header["status"], header.get("error"),
                                       float(header.get("seconds") or 0.0), sha)
                    if self._cache is not None:
                        self._cache.put(keys[rec.id], {"status": rec.status, "error": rec.error,
                                                       "seconds": rec.seconds, "sha256": sha}, image or None)
                    finish(rec, image or None)

                self._pool.map(jobs, on_result)
            return [records[i] for i, _ in batch]

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
