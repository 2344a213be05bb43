"""On-disk cache of model replies, keyed by the full request.

One SQLite file (WAL mode) holds one row per :meth:`ChatRequest.cache_key` -> reply JSON. SQLite
locking makes the cache safe for several threads and several processes at once; writes are
``INSERT OR REPLACE`` so two writers of the same key never corrupt anything. Keys hash the
endpoint URL and the request body only: API keys are never part of a key or a stored value.

Example::

    >>> from reachqa_builder.llm.cache import ReplyCache
    >>> from reachqa_builder.llm.types import ChatRequest, ChatResponse
    >>> cache = ReplyCache(tmp_dir / "cache.sqlite")                       # doctest: +SKIP
    >>> req = ChatRequest(messages=[{"role": "user", "content": "hi"}], model="m")
    >>> cache.put(req.cache_key("http://x/v1"), ChatResponse(text="hello"))  # doctest: +SKIP
    >>> cache.get(req.cache_key("http://x/v1")).text                       # doctest: +SKIP
    'hello'

``ReplyCache(None)`` or ``ReplyCache(path, enabled=False)`` (the ``--no-cache`` switch) is a cache
that stores nothing and finds nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from .types import ChatResponse

_SCHEMA = "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


class ReplyCache:
    """A persistent ``cache_key -> ChatResponse`` map (see module docstring).

    Args:
        path: the SQLite file (created with its parent folders); ``None`` disables the cache.
        enabled: ``False`` makes every lookup miss and every store a no-op (``--no-cache``).
    """

    def __init__(self, path: str | os.PathLike | None, enabled: bool = True) -> None:
        self.path = Path(path) if path is not None else None
        self.enabled = bool(enabled and path is not None)
        self._lock = threading.Lock()
        self._conns: dict[int, sqlite3.Connection] = {}
        if self.enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                conn = self._conn()
                conn.execute(_SCHEMA)
                conn.commit()

    def _conn(self) -> sqlite3.Connection:
        # one connection per thread (sqlite3 connections must not be shared across threads)
        tid = threading.get_ident()
        conn = self._conns.get(tid)
        if conn is None:
            conn = sqlite3.connect(str(self.path), timeout=60.0, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            self._conns[tid] = conn
        return conn

    def get(self, key: str) -> ChatResponse | None:
        """The cached reply for ``key`` (with ``cached=True``), or ``None``."""
        if not self.enabled:
            return None
        with self._lock:
            row = self._conn().execute("SELECT value FROM replies WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data: dict[str, Any] = json.loads(row[0])
        data["cached"] = True
        return ChatResponse(**data)

    def put(self, key: str, response: ChatResponse) -> None:
        """Store ``response`` under ``key`` (replacing any older value)."""
        if not self.enabled:
            return
        data = response.to_json()
        data["cached"] = False
        blob = json.dumps(data, ensure_ascii=False)
        with self._lock:
            conn = self._conn()
            conn.execute("INSERT OR REPLACE INTO replies (key, value) VALUES (?, ?)", (key, blob))
            conn.commit()

    def __len__(self) -> int:
        if not self.enabled:
            return 0
        with self._lock:
            return int(self._conn().execute("SELECT COUNT(*) FROM replies").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            for conn in self._conns.values():
                conn.close()
            self._conns.clear()
