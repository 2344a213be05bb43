"""Send judge requests with the ``openai`` package (the metric's own HTTP client, so the metric
folder works without reachqa installed): bounded concurrency, the client's retries and timeout,
an SQLite reply cache keyed by the endpoint and the whole request body, and re-asks of a reply
without a verdict (only replies with a verdict are cached)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
from typing import Any, Callable


class ReplyStore:
    """``sha256(endpoint + body) -> reply text`` in one SQLite file (``path=None``: no cache)."""

    def __init__(self, path: str | None) -> None:
        self.conn = None
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.conn = sqlite3.connect(path, timeout=60)
            self.conn.execute("CREATE TABLE IF NOT EXISTS judge_replies (key TEXT PRIMARY KEY, text TEXT NOT NULL)")
            self.conn.commit()

    @staticmethod
    def key(endpoint: str, body: dict[str, Any]) -> str:
        blob = json.dumps({"endpoint": endpoint, "body": body}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> str | None:
        if self.conn is None:
            return None
        row = self.conn.execute("SELECT text FROM judge_replies WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, text: str) -> None:
        if self.conn is not None:
            self.conn.execute("INSERT OR REPLACE INTO judge_replies VALUES (?, ?)", (key, text))
            self.conn.commit()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def complete_all(bodies: list[dict[str, Any]], *, base_url: str, api_key: str | None, concurrency: int,
                 timeout: float, max_retries: int, cache_path: str | None,
                 readable: Callable[[str], bool] = lambda text: True,
                 reasks: int = 0) -> tuple[list[str | None], list[str | None], dict[str, int]]:
    """Replies (``None`` where a request failed for good), errors and counters, in input order.

    A reply that is not ``readable`` (no verdict) is asked again, up to ``reasks`` more times; the last
    reply is returned either way, and only readable replies are cached."""
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - openai is a dependency of the metric
        raise ImportError("the llm_judge metric needs the openai package: pip install openai") from exc
    store = ReplyStore(cache_path)
    texts: list[str | None] = [None] * len(bodies)
    errors: list[str | None] = [None] * len(bodies)
    counts = {"requests": 0, "cache_hits": 0, "failures": 0, "reasks": 0}
    keys = [ReplyStore.key(base_url, b) for b in bodies]
    todo = []
    for i, k in enumerate(keys):
        hit = store.get(k)
        if hit is not None and readable(hit):
            texts[i] = hit
            counts["cache_hits"] += 1
        else:
            todo.append(i)

    async def run() -> None:
        client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "none",
                                    timeout=timeout, max_retries=max_retries)
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(i: int) -> None:
            async with gate:
                for attempt in range(1 + max(0, reasks)):
                    counts["requests"] += 1
                    counts["reasks"] += attempt > 0
                    try:
                        resp = await client.chat.completions.create(**bodies[i])
                        content = resp.choices[0].message.content
                        if not content or not content.strip():
                            raise ValueError("empty reply")
                    except Exception as exc:  # every failure is recorded per item, none is fatal to the batch
                        errors[i] = f"{type(exc).__name__}: {str(exc)[:300]}"
                        counts["failures"] += 1
                        return
                    texts[i] = content
                    if readable(content):
                        return
                errors[i] = f"no verdict in {1 + max(0, reasks)} replies; the last: {texts[i][:200]!r}"

        try:
            await asyncio.gather(*(one(i) for i in todo))
        finally:
            await client.close()

    if todo:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(run())
        else:  # called from inside an event loop (a notebook): run ours in a worker thread
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, run()).result()
    for i in todo:
        if texts[i] is not None and readable(texts[i]):
            store.put(keys[i], texts[i])
    store.close()
    return texts, errors, counts
