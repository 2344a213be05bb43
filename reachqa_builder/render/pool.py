"""A pool of warm, sandboxed render workers (see ``_worker.py`` for the protocol).

One thread per worker feeds it jobs from a shared queue, so a slow script never holds up the
others. A worker that dies (not a script: scripts run in forked children) is restarted and its
job retried once; a second failure is reported as an infrastructure error for that script.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import tempfile
import threading
import time
from typing import Callable, Iterable

from .envs import RenderEnvironment
from .sandbox import SandboxSettings, worker_command


class RenderInfrastructureError(RuntimeError):
    """The renderer itself cannot work (workers do not start); not a script's fault."""


class _WorkerDied(Exception):
    pass


class _Worker:
    STARTUP_TIMEOUT = 180.0

    def __init__(self, env: RenderEnvironment, settings: SandboxSettings):
        self.env = env
        argv, clean_env, self.sandboxed = worker_command(env, settings)
        self.stderr = tempfile.TemporaryFile()
        self._cwd = tempfile.TemporaryDirectory(prefix="reachqa-worker-")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=clean_env, cwd=self._cwd.name, start_new_session=True)
        self._buf = b""
        try:
            hello = json.loads(self._read_line(self.STARTUP_TIMEOUT))
        except (_WorkerDied, ValueError) as exc:
            self.close()
            raise RenderInfrastructureError(
                f"a render worker ({env.name} environment, {env.python}) failed to start: {exc}; "
                f"its error output:\n{self.stderr_tail()}") from None
        self.info = hello

    def stderr_tail(self, n: int = 15) -> str:
        try:
            self.stderr.seek(0)
            return "\n".join(self.stderr.read().decode("utf-8", "replace").strip().splitlines()[-n:])
        except (OSError, ValueError):
            return ""

    def _read_more(self, deadline: float) -> None:
        fd = self.proc.stdout.fileno()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _WorkerDied("no answer in time")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise _WorkerDied("no answer in time")
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise _WorkerDied(f"worker exited (status {self.proc.poll()})")
        self._buf += chunk

    def _read_line(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            self._read_more(deadline)
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def _read_exact(self, n: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self._buf) < n:
            self._read_more(deadline)
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def run(self, job: dict) -> tuple[dict, bytes]:
        try:
            self.proc.stdin.write(json.dumps(job).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerDied(f"cannot send work: {exc}") from None
        grace = float(job.get("timeout") or 60) + 30.0
        header = json.loads(self._read_line(grace))
        image = self._read_exact(int(header.get("nbytes") or 0), 30.0)
        return header, image

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=10)
        except Exception:
            pass
        for fh in (self.proc.stdin, self.proc.stdout):
            try:
                fh.close()
            except Exception:
                pass
        self._cwd.cleanup()


class WorkerPool:
    """Warm workers for one render environment. Use as a context manager."""

    def __init__(self, env: RenderEnvironment, n_workers: int, settings: SandboxSettings | None = None):
        self.env = env
        self.n_workers = max(1, n_workers)
        self.settings = settings or SandboxSettings()
        self.workers: list[_Worker] = []
        self.sandboxed = False
        self.closed = False
        self.busy = threading.Lock()  # one map() at a time

    def __enter__(self) -> "WorkerPool":
        errors: list[BaseException] = []
        started: list[_Worker] = []

        def start() -> None:
            try:
                started.append(_Worker(self.env, self.settings))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(self.n_workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.workers = started
        if errors:
            self.close()
            raise errors[0]
        self.sandboxed = all(w.sandboxed for w in self.workers)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.closed = True
        for w in self.workers:
            w.close()
        self.workers = []

    def map(self, jobs: Iterable[dict], on_result: Callable[[dict, bytes], None]) -> None:
        """Run every job; call ``on_result(header, image)`` (from worker threads, serialised) as each ends."""
        todo: queue.Queue = queue.Queue()
        for job in jobs:
            todo.put(job)
        lock = threading.Lock()
        fatal: list[BaseException] = []

        def deliver(header: dict, image: bytes) -> None:
            with lock:
                on_result(header, image)

        def serve(slot: int) -> None:
            worker = self.workers[slot]
            while not fatal:
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                for attempt in (1, 2):
                    try:
                        header, image = worker.run(job)
                        break
                    except (_WorkerDied, ValueError) as exc:
                        tail = worker.stderr_tail(5)
                        worker.close()
                        try:
                            worker = self.workers[slot] = _Worker(self.env, self.settings)
                        except BaseException as start_exc:  # noqa: BLE001
                            fatal.append(start_exc)
                            return
                        if attempt == 2:
                            header, image = {"id": job["id"], "status": "error", "seconds": 0.0, "nbytes": 0,
                                             "error": f"InfrastructureError: the render worker died twice on this "
                                                      f"script ({exc}) {tail[-300:]}".strip()}, b""
                try:
                    deliver(header, image)
                except BaseException as exc:  # noqa: BLE001 - e.g. the disk is full: stop the run
                    fatal.append(exc)
                    return

        threads = [threading.Thread(target=serve, args=(i,), daemon=True) for i in range(len(self.workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if fatal:
            raise fatal[0]
