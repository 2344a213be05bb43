"""One writer per output folder: an advisory lock beside the folder, naming its holder.

``reachqa build``, ``synthesize``, ``infer``, ``judge``, ``evaluate``, ``view`` and ``push`` take
the lock of their ``--out`` folder for the whole run (:func:`reachqa_builder.cli.main`). The lock is
``flock`` on ``<parent>/.<name>.reachqa-lock``, a file that holds the holder's pid, the process
start time (from ``/proc``) and the command, so:

* a second run into the same folder refuses with one line naming the holder, or waits for it
  (``reachqa --wait-lock ...`` / ``$REACHQA_WAIT_LOCK=1``);
* a holder killed with SIGKILL leaves no lock behind (the kernel drops a dead process's ``flock``);
  its file, still naming it, is recognised as stale (that pid no longer runs with that start time)
  and taken over;
* the file is removed when the run ends.

>>> with FolderLock("/tmp/reachqa-doctest-out", command="build"):
...     pass
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FolderBusy", "FolderLock", "lock_path", "process_start", "holder_running"]


class FolderBusy(RuntimeError):
    """Another live process holds the folder's lock."""


def process_start(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks after boot (``/proc/PID/stat`` field 22); ``None`` when it is not running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def holder_running(info: dict) -> bool:
    """True when the process a lock file names still runs (same pid and the same start time)."""
    pid = info.get("pid")
    return isinstance(pid, int) and pid > 0 and process_start(pid) == info.get("start_ticks")


def lock_path(folder: str | Path) -> Path:
    """``<parent>/.<name>.reachqa-lock``: beside the folder, so it exists before the folder does
    and never becomes part of a dataset or site."""
    folder = Path(os.path.abspath(folder))
    return folder.parent / f".{folder.name}.reachqa-lock"


@dataclass
class FolderLock:
    """The lock of ``folder`` for ``command``; ``wait``: wait for the holder instead of refusing."""

    folder: str | Path
    command: str = "reachqa"
    wait: bool = False
    poll: float = 0.5
    on_wait: object = None  # callable(str): told once, with a line naming the holder, when waiting

    def __post_init__(self) -> None:
        self.path = lock_path(self.folder)
        self._fd: int | None = None
        self._owner: int | None = None
        self.stale: dict | None = None  # the record of a dead holder this lock took over

    def _describe(self, info: dict) -> str:
        started = info.get("started", "?")
        return f"reachqa {info.get('command', '?')} (pid {info.get('pid', '?')}, started {started})"

    def _read(self, fd: int) -> dict:
        try:
            data = os.pread(fd, 4096, 0)
            info = json.loads(data.decode("utf-8")) if data.strip() else {}
        except (OSError, ValueError):
            return {}
        return info if isinstance(info, dict) else {}

    def acquire(self) -> "FolderLock":
        told = False
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:  # a read-only or missing parent: named as the folder the run writes
                raise OSError(exc.errno, f"{os.strerror(exc.errno)} (its lock file {self.path} cannot be created)",
                              str(self.folder)) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                info = self._read(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                holder = self._describe(info)
                if not holder_running(info) and info:
                    holder += ", no longer running: processes it started still hold the lock"
                if not self.wait:
                    raise FolderBusy(f"{self.folder} is being written by {holder}; wait for it to finish, "
                                     f"or run `reachqa --wait-lock {self.command} ...` to wait") from None
                if not told and callable(self.on_wait):
                    self.on_wait(f"waiting for {holder} to finish with {self.folder}")
                    told = True
                time.sleep(self.poll)
                continue
            # the file may have been removed by the holder that just released it: lock the current one
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            old = self._read(fd)
            if old and not holder_running(old):
                self.stale = old
            now = _dt.datetime.now(_dt.timezone.utc).astimezone()
            record = {"pid": os.getpid(), "start_ticks": process_start(os.getpid()), "command": self.command,
                      "started": now.isoformat(timespec="seconds"), "folder": str(Path(self.folder))}
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(record) + "\n").encode("utf-8"), 0)
            self._fd, self._owner = fd, os.getpid()
            return self

    def release(self) -> None:
        if self._fd is None or self._owner != os.getpid():  # a forked child unwinding the holder's frames
            return
        try:
            os.unlink(self.path)  # while still holding it: a waiter then locks a fresh file
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
