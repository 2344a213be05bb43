"""A pool of warm, sandboxed render workers (see ``_worker.py`` for the protocol).

One thread per worker feeds it jobs from a shared queue, so a slow script never holds up the
others. Every reply is attributed to the job this thread sent (the id a worker writes is only
checked, never trusted): a reply for another id, a malformed header or an oversized image is a
``ProtocolError`` for the job sent, and that worker is replaced before the next script. A worker
that dies or stops answering during a job costs that job one timeout (plus a short grace) and an
``InfrastructureError`` record; the job is not retried (a script that kills or stops its worker
would otherwise get a second try) and the worker is replaced.
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
from .settings import DEFAULT_TIMEOUT


class RenderInfrastructureError(RuntimeError):
    """The renderer itself cannot work (workers do not start); not a script's fault."""


class _WorkerDied(Exception):
    pass


class _ProtocolError(Exception):
    pass


MAX_IMAGE_BYTES = 256 * 1024 * 1024
MAX_HEADER_BYTES = 4 * 1024 * 1024  # a reply's JSON header line (error text, inspection)
REPLY_GRACE_S = 5.0  # beyond the job's own timeout, which the worker enforces
REPLY_MIN_RATE = 16 * 1024 * 1024  # bytes per second a reply's image may take to arrive, at the slowest


class _Spawner:
    """Starts worker processes from one long-lived thread.

    bubblewrap's ``--die-with-parent`` (PR_SET_PDEATHSIG) fires when the *thread* that started it
    ends, so a worker started from a short-lived thread would be killed as soon as that thread
    finished. All workers are therefore started from this daemon thread, which lives as long as
    the process.
    """

    def __init__(self) -> None:
        self._requests: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _loop(self) -> None:
        while True:
            fn, box, done = self._requests.get()
            try:
                box.append((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box.append((False, exc))
            done.set()

    def call(self, fn):
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="reachqa-render-spawner", daemon=True)
                self._thread.start()
        box: list = []
        done = threading.Event()
        self._requests.put((fn, box, done))
        done.wait()
        ok, value = box[0]
        if not ok:
            raise value
        return value


_SPAWNER = _Spawner()


class _Worker:
    STARTUP_TIMEOUT = 180.0

    def __init__(self, env: RenderEnvironment, settings: SandboxSettings):
        self.env = env
        self.trust_reply_id = "attribution" in settings.weaken  # test-only weakening: the old, forgeable way
        self.stderr = tempfile.TemporaryFile()
        # The worker's scratch folder (used as such only without bubblewrap); removed by close().
        self._cwd = tempfile.TemporaryDirectory(prefix="reachqa-render-")
        argv, clean_env, self.sandboxed, fds = worker_command(env, settings, self._cwd.name)
        try:
            self.proc = _SPAWNER.call(lambda: subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=clean_env,
                cwd=self._cwd.name, start_new_session=True, pass_fds=fds))
        except BaseException:
            self._cwd.cleanup()
            raise
        finally:
            for fd in fds:
                os.close(fd)
        self._buf = bytearray()  # grows by appending: reading a reply is linear in its size
        try:
            hello = json.loads(self._read_line(self.STARTUP_TIMEOUT))
        except (_WorkerDied, ValueError) as exc:
            self.close()
            raise RenderInfrastructureError(
                f"a render worker ({env.name} environment, {env.python}) failed to start: {exc}; "
                f"its error output:\n{self.stderr_tail()}") from None
        if not isinstance(hello, dict) or not hello.get("ready"):
            self.close()
            raise RenderInfrastructureError(
                f"a render worker ({env.name} environment) cannot run scripts safely: "
                f"{hello.get('error') if isinstance(hello, dict) else hello}")
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

    def _read_line(self, timeout: float, limit: int = MAX_HEADER_BYTES) -> bytes:
        deadline = time.monotonic() + timeout
        searched = 0
        while (end := self._buf.find(b"\n", searched)) < 0:
            searched = len(self._buf)
            if searched > limit:
                raise _ProtocolError(f"the worker's reply header is longer than {limit} bytes")
            self._read_more(deadline)
        line = bytes(self._buf[:end])
        del self._buf[:end + 1]
        return line

    def _read_exact(self, n: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self._buf) < n:
            self._read_more(deadline)
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def send(self, job: dict) -> None:
        """Hand ``job`` to the worker (it starts as soon as the previous one is answered)."""
        try:
            self.proc.stdin.write(json.dumps(job).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerDied(f"cannot send work: {exc}") from None

    def receive(self, job: dict) -> tuple[dict, bytes]:
        """The reply to ``job``, the one job this worker was last sent; checked, never trusted."""
        grace = float(job.get("timeout") or DEFAULT_TIMEOUT) + REPLY_GRACE_S
        line = self._read_line(grace)
        try:
            header = json.loads(line)
        except Exception:  # noqa: BLE001 - ValueError, RecursionError (deep nesting), ...
            raise _ProtocolError("the worker's reply is not a JSON header") from None
        if not isinstance(header, dict):
            raise _ProtocolError("the worker's reply is not a JSON object")
        nbytes = header.get("nbytes") or 0
        if not isinstance(nbytes, int) or isinstance(nbytes, bool):
            raise _ProtocolError("the reply's image size is not a whole number")
        if not 0 <= nbytes <= MAX_IMAGE_BYTES:
            raise _ProtocolError(f"the reply announces {str(nbytes)[:30]} image bytes (at most {MAX_IMAGE_BYTES})")
        image = self._read_exact(nbytes, REPLY_GRACE_S + nbytes / REPLY_MIN_RATE)
        if header.get("id") != job["id"] and not self.trust_reply_id:
            raise _ProtocolError(f"a reply for id {str(header.get('id'))[:80]!r} arrived for job {job['id']!r}")
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
        self.replaced = 0  # workers replaced after a failure (a count for reports and tests)
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

    def map(self, jobs: Iterable[dict], on_result: Callable[[dict, dict, bytes], None],
            check: Callable[[dict, dict, bytes], None] | None = None) -> None:
        """Run every job; call ``on_result(job, header, image)`` (from worker threads, serialised) as each ends.

        ``job`` is the job this pool sent: callers attribute the result to ``job["id"]``. ``header``
        is the worker's reply; for a job whose worker failed it is an error header made here.
        ``check(job, header, image)``, when given, runs first in the same thread but outside the
        lock that serialises ``on_result`` (slow verification there holds up no other worker).
        """
        todo: queue.Queue = queue.Queue()
        for job in jobs:
            todo.put(job)
        lock = threading.Lock()
        fatal: list[BaseException] = []

        def deliver(job: dict, header: dict, image: bytes) -> None:
            if check is not None:
                check(job, header, image)
            with lock:
                on_result(job, header, image)

        def next_job():
            try:
                return None if fatal else todo.get_nowait()
            except queue.Empty:
                return None

        def serve(slot: int) -> None:
            # The next job goes to the worker as soon as a reply has been read and found sound, so
            # the worker renders while this thread checks and writes the previous result.
            worker = self.workers[slot]
            job = next_job()
            sent = False
            while job is not None:
                try:
                    if not sent:
                        worker.send(job)
                    header, image = worker.receive(job)
                    broken = header.get("worker_broken")
                except (_WorkerDied, _ProtocolError) as exc:
                    kind = "ProtocolError" if isinstance(exc, _ProtocolError) else "InfrastructureError"
                    tail = worker.stderr_tail(3) if kind == "InfrastructureError" else ""
                    header, image = {"id": job["id"], "status": "error", "seconds": 0.0, "nbytes": 0,
                                     "error": f"{kind}: the render worker failed on this script and was replaced "
                                              f"({exc}) {tail[-300:]}".strip()}, b""
                    broken = True
                if broken:  # never hand the next script to a worker this one may have damaged
                    self.replaced += 1
                    worker.close()
                    try:
                        worker = self.workers[slot] = _Worker(self.env, self.settings)
                    except BaseException as start_exc:  # noqa: BLE001
                        fatal.append(start_exc)
                        deliver(job, header, image)
                        return
                following = next_job()
                sent = False
                if following is not None:
                    try:
                        worker.send(following)
                        sent = True
                    except _WorkerDied:
                        pass  # noticed again (and handled) when its reply is read
                try:
                    deliver(job, header, image)
                except BaseException as exc:  # noqa: BLE001 - e.g. the disk is full: stop the run
                    fatal.append(exc)
                    if sent:  # drain the job already handed over, so a kept worker starts clean
                        try:
                            worker.receive(following)
                        except (_WorkerDied, _ProtocolError):
                            self.replaced += 1
                            worker.close()
                            self.workers[slot] = _Worker(self.env, self.settings)
                    return
                job = following

        threads = [threading.Thread(target=serve, args=(i,), daemon=True) for i in range(len(self.workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if fatal:
            raise fatal[0]
