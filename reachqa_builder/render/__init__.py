"""Render chart code to chart images, safely, fast and faithfully.

Example::

    from reachqa_builder.render import render_scripts
    records = render_scripts(sorted(Path("code").glob("*.py")), "images", env="current")
    print(sum(r.status == "ok" for r in records), "charts")

Each script's ``plt.show()`` / ``plt.savefig(...)`` / ``fig.savefig(...)`` becomes a JPEG save at
``dpi`` (200 by default), exactly how the released ReachQA charts were made. A script that draws a
figure but never shows or saves it gets its last figure saved. Scripts run in warm, sandboxed
worker processes (``sandbox.py``), never in the caller's process.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping

from ..fileio import atomic_write
from .cache import RenderCache
from .envs import ENV_NAMES, RenderEnvironmentError, create_faithful_env, get_environment
from .inspection import validate_inspection
from .pool import RenderInfrastructureError
from .settings import DEFAULT_DPI, DEFAULT_ENV, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, RenderSettings
from .sandbox import UNSAFE_WARNING, SandboxSettings, SandboxUnavailableError
from .shared_pools import shared_pool
from .verify import JpegChecker, check_jpeg, confined_output_path

__all__ = ["render_scripts", "RenderRecord", "RenderEnvironmentError", "RenderInfrastructureError",
           "ENV_NAMES", "create_faithful_env", "SandboxSettings", "SandboxUnavailableError", "REPORT_NAME",
           "get_environment", "RenderSettings"]

REPORT_NAME = "render_report.jsonl"
MAX_ERROR_CHARS = 2000  # a worker's error text is cut to this
EXTRA_FIELDS = ("inspect",)  # the only ``extra`` fields a reply may carry; anything else is dropped
_warned_no_sandbox = False


@dataclass
class RenderRecord:
    """What happened to one script.

    Args:
        id: the script's id (file stem, or the mapping key).
        status: ``"ok"`` or ``"error"``.
        error: ``"Type: message"`` when the script failed, else None.
        seconds: time the script took (as first rendered, for cached records).
        sha256: hash of the JPEG bytes, when rendered.
        image: path of the JPEG in the output folder, when rendered.
        cached: True when the result came from the render cache.
        extra: further fields found after the chart was saved (``_worker.after_save``); empty
            unless a check adds some.
        lint: layout flags ``{"kind", "severity", "detail"}`` measured on the saved figure
            (``inspect=True`` renders only; see ``_inspect.py``).
        plotted: what the figure plots: ``{"series": [{"kind", "label", "values"}], "texts":
            [{"kind", "text"}]}`` (``inspect=True`` renders only; not written to the report).
        inspect_problem: what went wrong reading the figure, or what was dropped as malformed.
        node: the Ray node that rendered it (``reachqa_builder.ray_render``); None for local renders.
    """

    id: str
    status: str
    error: str | None = None
    seconds: float = 0.0
    sha256: str | None = None
    image: str | None = None
    cached: bool = False
    extra: dict = field(default_factory=dict)
    lint: list[dict] | None = None
    plotted: dict | None = field(default=None, repr=False)
    inspect_problem: str | None = None
    node: str | None = None

    def report_line(self) -> dict:
        line = {k: v for k, v in asdict(self).items() if k not in ("image", "extra", "plotted")}
        if self.lint is None and self.inspect_problem is None:  # a render without inspection
            del line["lint"], line["inspect_problem"]
        if self.node is None:  # a local render
            del line["node"]
        if self.extra:
            line["extra"] = self.extra
        return line

    def _from_inspection(self) -> "RenderRecord":
        """Move the worker's untrusted ``extra["inspect"]`` into checked ``plotted`` / ``lint``."""
        raw = self.extra.pop("inspect", None) if isinstance(self.extra, dict) else None
        self.plotted, self.lint, self.inspect_problem = validate_inspection(raw)
        return self

    def _cache_extra(self) -> dict:
        extra = dict(self.extra)
        if self.plotted is not None or self.lint is not None or self.inspect_problem is not None:
            extra["inspect"] = {"plotted": self.plotted, "lint": self.lint, "error": self.inspect_problem}
        return extra


def _load_scripts(scripts) -> list[tuple[str, str | None, str | None]]:
    """(id, code or None, error or None) for every script, in order."""
    items: list[tuple[str, str | None, str | None]] = []
    if isinstance(scripts, Mapping):
        pairs = [(str(k), v) for k, v in scripts.items()]
        for sid, code in pairs:
            if isinstance(code, bytes):
                try:
                    code = code.decode("utf-8")
                except UnicodeDecodeError as exc:
                    items.append((sid, None, f"UnicodeDecodeError: the script is not UTF-8 ({exc.reason} at byte {exc.start})"))
                    continue
            items.append((sid, code, None))
    else:
        for path in scripts:
            path = Path(path)
            sid = path.stem
            raw, problem = _read_regular_file(path)
            if problem is not None:
                items.append((sid, None, problem))
                continue
            try:
                items.append((sid, raw.decode("utf-8"), None))
            except UnicodeDecodeError as exc:
                items.append((sid, None, f"UnicodeDecodeError: {path} is not UTF-8 ({exc.reason} at byte {exc.start})"))
    seen: set[str] = set()
    for sid, _, _ in items:
        if sid in seen:
            raise ValueError(f"two scripts have the same id {sid!r}; ids (file stems) must be unique")
        seen.add(sid)
    return items


def _read_regular_file(path: Path) -> tuple[bytes | None, str | None]:
    """The bytes of ``path`` when it is a regular file (a symbolic link is never followed, a FIFO or
    device never opened for reading); else ``(None, "FileError: ...")``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if os.path.islink(path):
            return None, f"FileError: {path} is a symbolic link; chart scripts must be regular files (not followed)"
        return None, f"FileError: cannot read {path}: {exc.strerror or exc}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None, f"FileError: {path} is not a regular file; chart scripts must be regular files"
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(), None
    except OSError as exc:
        return None, f"FileError: cannot read {path}: {exc.strerror or exc}"
    finally:
        os.close(fd)


def cache_limits(timeout: float, memory_mb: int, settings: SandboxSettings | None = None) -> dict:
    """The limits a render cache key holds (a script may fail, or not, under other limits)."""
    settings = settings or SandboxSettings()
    return {"timeout": timeout, "memory_mb": memory_mb, "tmpfs_mb": settings.tmpfs_mb,
            "shm_mb": settings.shm_mb, "inodes": settings.inodes, "weaken": sorted(settings.weaken)}


def render_scripts(
    scripts: Iterable[str | os.PathLike] | Mapping[str, str | bytes],
    out_dir: str | os.PathLike,
    *,
    env: str = DEFAULT_ENV,
    dpi: int = DEFAULT_DPI,
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    progress: bool = True,
    sandbox: SandboxSettings | None = None,
    report: bool = True,
    desc: str = "rendering",
    keep_workers: bool = True,
    unsafe_no_sandbox: bool = False,
    inspect: bool = True,
) -> list[RenderRecord]:
    """Render chart scripts to ``out_dir/<id>.jpg``; return one :class:`RenderRecord` per script.

    Args:
        scripts: paths of ``.py`` files (id = file stem) or a mapping ``{id: code}``.
        out_dir: folder for the JPEGs and ``render_report.jsonl``.
        env: ``faithful`` (pinned versions, byte-identical to the released data; created on first
            use) or ``current`` (this interpreter's matplotlib with a compatibility layer).
        dpi: resolution of the saved JPEG.
        workers: number of warm workers (default: CPU count).
        timeout: wall-clock seconds per script.
        memory_mb: memory budget per script above the worker's baseline.
        cache_dir: render cache folder (default ``$REACHQA_RENDER_CACHE`` or ``~/.cache/reachqa/renders``).
        use_cache: read and write the render cache.
        progress: show a progress bar.
        sandbox: isolation settings (default: bubblewrap, required).
        unsafe_no_sandbox: render even when bubblewrap is missing (prints what is then exposed);
            same as ``SandboxSettings(unsafe_no_sandbox=True)``. Only for code you trust.
        report: write ``out_dir/render_report.jsonl``.
        desc: progress-bar label.
        keep_workers: keep the warm workers alive for later calls in this process (they are
            closed at exit); False closes them when this call ends.
        inspect: after each script's last save, read the figure in the worker: the values it
            plots and its layout flags (:attr:`RenderRecord.plotted`, :attr:`RenderRecord.lint`).
            The JPEG's bytes are the same either way.

    A failing script gets an error record and never stops the others; so does a bad reply from a
    worker (another script's id, a broken image: ``ProtocolError`` / ``BadImage``), counted in
    those records. Raises :class:`SandboxUnavailableError` when bubblewrap is missing and
    ``unsafe_no_sandbox`` is not given, :class:`RenderEnvironmentError` for an unknown,
    uncreatable or modified environment and :class:`RenderInfrastructureError` when workers
    cannot run at all; results finished before such a failure stay in the cache and the report.
    """
    settings = sandbox or SandboxSettings()
    if unsafe_no_sandbox and not settings.unsafe_no_sandbox:
        settings = replace(settings, unsafe_no_sandbox=True)
    from .sandbox import wants_bwrap

    sandboxed = wants_bwrap(settings)  # refuses early, before anything is written
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output path {out} exists and is not a directory")
    items = _load_scripts(scripts)
    environment = get_environment(env)
    out.mkdir(parents=True, exist_ok=True)
    run = _RenderRun(out, RenderCache(cache_dir) if use_cache else None, report, settings)
    job_settings = {"dpi": dpi, "timeout": timeout, "seed": 0, "memory_mb": memory_mb, "compat": environment.compat,
                    "inspect": inspect}
    run.limits = cache_limits(timeout, memory_mb, settings)
    from tqdm.auto import tqdm

    run.bar = tqdm(total=len(items), desc=desc, unit="chart", disable=not progress, file=sys.stderr)
    try:
        jobs = run.serve_known(items, environment.fingerprint, job_settings)
        if jobs:
            _warn_once_if_unsandboxed(sandboxed)
            n = min(workers or os.cpu_count() or 1, len(jobs))
            with shared_pool(environment, n, settings, keep_workers) as pool, JpegChecker() as checker:
                run.checker = checker
                pool.map(jobs, run.on_result, check=run.check)
    finally:
        run.close()
    ordered = [run.records[sid] for sid, _, _ in items]
    if report:
        atomic_write(run.report_path, "".join(json.dumps(r.report_line()) + "\n" for r in ordered).encode())
    return ordered


def _warn_once_if_unsandboxed(sandboxed: bool) -> None:
    global _warned_no_sandbox
    if not sandboxed and not _warned_no_sandbox:
        _warned_no_sandbox = True
        print(UNSAFE_WARNING, file=sys.stderr)


class _RenderRun:
    """The state of one :func:`render_scripts` call, in steps: records served without a worker
    (bad input, cache hits), replies checked and attributed to the job that was sent, every result
    written (image, cache, report line, progress)."""

    def __init__(self, out: Path, cache: RenderCache | None, report: bool, settings: SandboxSettings) -> None:
        self.out = out
        self.cache = cache
        self.report_path = out / REPORT_NAME
        self.report_fh = open(self.report_path, "w", encoding="utf-8") if report else None
        self.trust_reply_id = "attribution" in settings.weaken  # test-only weakening: the old, forgeable way
        self.records: dict[str, RenderRecord] = {}
        self.counts = {"ok": 0, "failed": 0, "cached": 0}
        self.keys: dict[str, str] = {}
        self.bar = None
        self.limits: dict = {}
        self.checker: JpegChecker | None = None
        self.weak_checks = "reply_checks" in settings.weaken  # test-only weakening: the old, unchecked way
        self._checked: dict[int, tuple[RenderRecord, bytes]] = {}
        self._checked_lock = threading.Lock()

    def serve_known(self, items, fingerprint: str, job_settings: dict) -> list[dict]:
        """Finish what needs no worker (unreadable scripts, unsafe ids, cache hits); the jobs left."""
        jobs: list[dict] = []
        for sid, code, error in items:
            if error is None and confined_output_path(self.out, sid) is None:
                error = (f"BadId: the id {sid!r} would put its image outside {self.out} "
                         "(ids must be plain file names of at most 251 bytes, no '/' or leading '.')")
            if error is not None:
                self.finish(RenderRecord(sid, "error", error), None)
                continue
            key = RenderCache.key(code, fingerprint, job_settings["dpi"], inspect=job_settings["inspect"],
                                  limits=self.limits)
            self.keys[sid] = key
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is not None:
                meta, image = hit
                rec = RenderRecord(sid, meta["status"], meta.get("error"), meta.get("seconds", 0.0),
                                   meta.get("sha256"), cached=True, extra=dict(meta.get("extra") or {}))
                self.finish(rec._from_inspection(), image)
                continue
            jobs.append({"id": sid, "code": code, **job_settings})
        return jobs

    def check(self, job: dict, header: dict, image: bytes) -> None:
        """Outside the delivery lock: a worker's reply for ``job`` checked into a record (the slow
        part, the JPEG decode, runs in a limited helper). Never raises: whatever a reply holds,
        that script gets a record."""
        try:
            checked = self._checked_record(job, header, image)
        except Exception as exc:  # noqa: BLE001 - a reply the checks did not foresee
            if self.weak_checks:
                raise
            checked = (RenderRecord(job["id"], "error", f"ProtocolError: the worker's reply could not be checked "
                                                        f"({type(exc).__name__})"), b"")
        with self._checked_lock:
            self._checked[id(job)] = checked

    def on_result(self, job: dict, header: dict, image: bytes) -> None:
        """A worker's reply for ``job``: attributed to the job sent (never the id the reply claims),
        its fields and JPEG checked (by :meth:`check` when the pool called it), cached, finished."""
        with self._checked_lock:
            checked = self._checked.pop(id(job), None)
        rec, image = checked if checked is not None else self._checked_record(job, header, image)
        if self.cache is not None:
            self.cache.put(self.keys[rec.id], {"status": rec.status, "error": rec.error, "seconds": rec.seconds,
                                               "sha256": rec.sha256, "extra": rec._cache_extra()}, image or None)
        self.finish(rec, image or None)

    def _checked_record(self, job: dict, header: dict, image: bytes) -> tuple[RenderRecord, bytes]:
        if self.weak_checks:
            return self._unchecked_record(job, header, image)
        sid = str(header.get("id"))[:200] if self.trust_reply_id else job["id"]
        status, error = header.get("status"), header.get("error")
        if status not in ("ok", "error") or not isinstance(status, str):
            status, error = "error", "ProtocolError: the worker's reply has no valid status"
        elif status == "error" and not isinstance(error, str):
            status, error = "error", "ProtocolError: the worker's reply has no error message"
        elif status == "error" and len(error) > MAX_ERROR_CHARS:
            error = error[:MAX_ERROR_CHARS] + " [cut]"
        elif status == "ok":
            error = None
        seconds = header.get("seconds")
        if not (isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and 0 <= seconds < 1e7):
            seconds = 0.0
        raw_extra = header.get("extra")
        extra = {k: raw_extra[k] for k in EXTRA_FIELDS if k in raw_extra} if isinstance(raw_extra, dict) else {}
        if status == "ok":
            problem = check_jpeg(image, self.checker)
            if problem is not None:
                status, error, image = "error", f"BadImage: {problem}", b""
        else:
            image = b""
        sha = hashlib.sha256(image).hexdigest() if image else None
        return RenderRecord(sid, status, error, float(seconds), sha, extra=extra)._from_inspection(), image

    def _unchecked_record(self, job: dict, header: dict, image: bytes) -> tuple[RenderRecord, bytes]:
        """The old checks (test-only weakening ``reply_checks``): fields taken as they come."""
        sid = str(header.get("id")) if self.trust_reply_id else job["id"]
        status = header.get("status") if header.get("status") in ("ok", "error") else "error"
        error = header.get("error") if status == "error" else None
        if status == "error" and not isinstance(error, str):
            error = "ProtocolError: the worker's reply has no error message"
        if status == "ok":
            problem = check_jpeg(image)
            if problem is not None:
                status, error, image = "error", f"BadImage: {problem}", b""
        else:
            image = b""
        try:
            seconds = float(header.get("seconds") or 0.0)
        except (TypeError, ValueError):
            seconds = 0.0
        extra = header.get("extra") if isinstance(header.get("extra"), dict) else {}
        sha = hashlib.sha256(image).hexdigest() if image else None
        return RenderRecord(sid, status, error, seconds, sha, extra=dict(extra))._from_inspection(), image

    def finish(self, rec: RenderRecord, image: bytes | None) -> None:
        """Write the image (confined to the output folder), the report line and the progress."""
        if image is not None:
            target = confined_output_path(self.out, rec.id)
            if target is None and self.trust_reply_id:
                target = self.out / f"{rec.id}.jpg"  # what the old renderer did with any id
            if target is None:
                rec.status, rec.error, rec.sha256, image = "error", f"BadId: {rec.id!r} is not a plain file name", None, None
            else:
                atomic_write(target, image)
                rec.image = str(target)
        self.records[rec.id] = rec
        if self.report_fh is not None:
            self.report_fh.write(json.dumps(rec.report_line()) + "\n")
            self.report_fh.flush()
        self.counts["ok" if rec.status == "ok" else "failed"] += 1
        self.counts["cached"] += rec.cached
        self.bar.update(1)
        self.bar.set_postfix(self.counts, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.report_fh is not None:
            self.report_fh.close()
