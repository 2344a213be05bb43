"""Warm worker pools kept for the life of the process, one per (environment, sandbox settings),
so successive :func:`~reachqa_builder.render.render_scripts` calls reuse started workers; closed at exit."""

from __future__ import annotations

import atexit
import contextlib
import threading

from .pool import WorkerPool
from .sandbox import SandboxSettings

__all__ = ["shared_pool", "close_pools"]

_POOLS: dict[tuple, WorkerPool] = {}
_POOLS_LOCK = threading.Lock()


@contextlib.contextmanager
def shared_pool(environment, n: int, sandbox: SandboxSettings, keep: bool):
    """A warm pool for this environment, reused across calls; one call uses it at a time."""
    if not keep:
        with WorkerPool(environment, n, sandbox) as pool:
            yield pool
        return
    key = (environment.python, environment.fingerprint, environment.compat, sandbox)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None or pool.closed or len(pool.workers) < n:
            if pool is not None:
                pool.close()
            pool = _POOLS[key] = WorkerPool(environment, n, sandbox).__enter__()
    with pool.busy:
        try:
            yield pool
        except BaseException:
            with _POOLS_LOCK:  # a pool that saw a failure is not trusted again
                pool.close()
                _POOLS.pop(key, None)
            raise


@atexit.register
def close_pools() -> None:
    for pool in list(_POOLS.values()):
        pool.close()
    _POOLS.clear()
