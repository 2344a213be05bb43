"""A warm render worker. Runs inside the render environment's interpreter, usually in a sandbox.

This file is executed by path (``python _worker.py``), never imported by the main process, and
depends only on the standard library plus what the render environment provides, so that it runs
in the pinned "faithful" virtualenv where reachqa itself is not installed.

Protocol (the worker's stdin/stdout are pipes to the parent):

* parent -> worker: one JSON object per line:
  ``{"id", "code", "dpi", "timeout", "seed", "memory_mb", "fsize_mb", "compat", "inspect"}``
* worker -> parent: one JSON header line ``{"id", "status", "error", "seconds", "nbytes"}``
  (plus ``"extra"``: fields from :func:`after_save`, e.g. ``"inspect"``, what ``_inspect.py``
  read from the saved figure when the job asked for it, and ``"worker_broken"`` when this worker
  should be replaced) followed by exactly ``nbytes`` bytes of JPEG. A line
  ``{"ready": true, ...}`` is sent once the heavy imports are done. The parent attributes every
  reply to the job it sent and checks the JPEG itself; nothing here is trusted by the parent.

Each script runs in a process forked from a *template*: a process forked from this warm one
right after the warm-up, before the first job was read, which never receives any job's code,
result or id (only a request "start a job" with two pipe ends). The job process reads its job
from its own pipe and writes its result (header line and JPEG) to its own pipe; only this
worker, which the job cannot reach, sees both. So imports are paid once while no state (rcParams,
styles, open figures, RNG state, monkey-patches, heap or stack contents, freed memory) of one
script is ever in another's process. The libraries of ``ON_DEMAND_IMPORTS`` a job needs are
decided from that job's code alone: it is started from a template that imported exactly those
(made from the first template on first use), never from one shaped by earlier jobs. With job isolation on (always under bubblewrap) that process is PID 1 of new user, PID
and mount namespaces: everything the script starts dies with it, ``/proc`` is covered (the
worker and its pipes are out of reach), it gets a fresh size- and inode-capped ``/tmp`` and
``/dev/shm`` (gone with the job), all capabilities are dropped and the job's seccomp filter
is stacked on the worker's (one process: no fork). The job also gets its own empty working directory, resource limits,
seeded RNGs and an audit hook that refuses process creation, sockets and writes outside its
directory with clear errors. The worker itself is not dumpable (no same-user ptrace or /proc
access to it) and only ever sees the job's result through a private pipe.

The worker's first argument is a JSON object: ``{"job_isolation", "require_isolation",
"drop_caps", "seccomp", "root"}`` (see ``sandbox.worker_command``).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback

# Imported once in the worker, before it says it is ready: what nearly every chart script uses.
READY_IMPORTS = (
    "numpy", "matplotlib", "matplotlib.pyplot", "matplotlib.patches", "matplotlib.colors", "matplotlib.ticker",
    "matplotlib.dates", "matplotlib.gridspec", "matplotlib.patheffects", "matplotlib.lines", "matplotlib.table",
    "matplotlib.animation", "matplotlib.sankey", "mpl_toolkits.mplot3d", "mpl_toolkits.axes_grid1",
    "PIL.JpegImagePlugin", "ctypes",
)

# Heavier libraries few scripts use (pandas + seaborn alone take longer to import than numpy and
# matplotlib together): a job whose code names one of the words starts from a template that has
# imported them (see ``libraries_for``), decided from that job's code only. The words include
# seaborn's colormap names, the only matplotlib state importing these libraries changes.
ON_DEMAND_IMPORTS = {
    "seaborn": ("pandas", "seaborn"),
    "pandas": ("pandas",),
    "scipy": ("scipy.stats", "scipy.interpolate", "scipy.optimize", "scipy.ndimage"),
    "networkx": ("networkx",),
    "squarify": ("squarify",),
}
ON_DEMAND_WORDS = {**{name: name for name in ON_DEMAND_IMPORTS},
                   **{cmap: "seaborn" for cmap in ("rocket", "mako", "flare", "crest", "vlag", "icefire")}}


def _import_all(names) -> list[str]:
    loaded = []
    for name in names:
        try:
            __import__(name)
            loaded.append(name)
        except Exception:  # an optional library missing from this environment
            pass
    return loaded


def _reset_matplotlib() -> None:
    """The state every job starts from: default rcParams, Agg backend."""
    import matplotlib

    matplotlib.rcParams.update(matplotlib.rcParamsDefault)
    matplotlib.use("Agg")


def _warm_up() -> dict:
    import matplotlib

    matplotlib.use("Agg")
    loaded = _import_all(READY_IMPORTS)
    import matplotlib.pyplot as plt

    try:
        import _inspect  # noqa: F401  (figure inspection, shipped next to this file)
    except ImportError:
        pass
    # Touch the font machinery once so every child starts with fonts already loaded.
    fig = plt.figure(figsize=(1, 1))
    fig.text(0.5, 0.5, "warm")
    fig.canvas.draw()
    plt.close(fig)
    # Exercise the JPEG save path once (no text, so no glyph state is created here).
    import io

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    ax.bar([0.2, 0.6], [0.5, 0.8], width=0.2)
    ax.axis("off")
    fig.savefig(io.BytesIO(), format="jpg", dpi=200)
    plt.close(fig)
    _reset_matplotlib()
    return {"ready": True, "python": sys.version.split()[0], "matplotlib": matplotlib.__version__,
            "pid": os.getpid(), "imports": loaded}


_WORDS = None


def libraries_for(code: str) -> tuple[str, ...]:
    """The ``ON_DEMAND_IMPORTS`` keys a script's code names (sorted): a function of this code only."""
    global _WORDS
    if _WORDS is None:
        import re

        _WORDS = re.compile(r"\b(" + "|".join(sorted(ON_DEMAND_WORDS)) + r")\b")
    return tuple(sorted({ON_DEMAND_WORDS[word] for word in set(_WORDS.findall(code))}))


def _load_libraries(names) -> None:
    for name in names:
        _import_all(ON_DEMAND_IMPORTS.get(name, ()))
    _reset_matplotlib()


def _writable_mplconfig(root: str) -> None:
    """Matplotlib ignores a read-only MPLCONFIGDIR (and rebuilds its font cache): use a writable copy."""
    seed = os.environ.get("MPLCONFIGDIR")
    if not seed or os.access(seed, os.W_OK):
        return
    target = os.path.join(root, "mplconfig")
    try:
        shutil.copytree(seed, target)
    except OSError:
        os.makedirs(target, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = target


def _vm_size_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# Inside the forked child
# ---------------------------------------------------------------------------------------------

class SandboxViolation(PermissionError):
    pass


def _install_guard(workdir: str) -> None:
    """Refuse, at the Python level, what a chart script has no business doing.

    This is defence in depth: the real walls are the OS sandbox (bubblewrap) and rlimits; the
    audit hook gives a clear error message for the common cases and covers hosts without
    bubblewrap.
    """
    workdir = os.path.realpath(workdir)
    forbidden = {
        "os.system": "running shell commands",
        "os.fork": "creating processes",
        "os.forkpty": "creating processes",
        "os.posix_spawn": "creating processes",
        "os.spawn": "creating processes",
        "os.exec": "executing programs",
        "subprocess.Popen": "creating processes",
        "socket.__new__": "opening sockets",
        "socket.connect": "network access",
        "socket.bind": "network access",
        "os.kill": "signalling processes",
    }
    write_events = {"os.remove", "os.rmdir", "os.rename", "os.truncate", "os.chmod", "os.chown",
                    "os.link", "os.symlink", "os.mkdir", "shutil.rmtree", "shutil.move", "os.utime"}
    allowed_write_roots = (workdir, "/dev/null")

    def inside(path) -> bool:
        try:
            if isinstance(path, int):
                return True
            p = os.path.realpath(os.fsdecode(path))
        except Exception:
            return False
        return any(p == r or p.startswith(r + os.sep) for r in allowed_write_roots)

    def hook(event: str, args: tuple) -> None:
        if event in forbidden:
            raise SandboxViolation(f"chart scripts may not do this ({forbidden[event]}: {event})")
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
            if writing and path is not None and not inside(path):
                raise SandboxViolation(f"chart scripts may only write in their own directory, not {path!r}")
        elif event in write_events:
            for a in args[:2]:
                if isinstance(a, (str, bytes, os.PathLike)) and not inside(a):
                    raise SandboxViolation(f"chart scripts may only change files in their own directory, not {a!r}")

    sys.addaudithook(hook)


def _apply_limits(job: dict, vm_baseline: int) -> None:
    def setlim(which, value):
        try:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass

    timeout = float(job.get("timeout") or 60)
    setlim(resource.RLIMIT_CPU, int(timeout) + 5)
    if job.get("memory_mb"):
        setlim(resource.RLIMIT_AS, vm_baseline + int(job["memory_mb"]) * 1024 * 1024)
    setlim(resource.RLIMIT_FSIZE, int(job.get("fsize_mb") or 64) * 1024 * 1024)
    setlim(resource.RLIMIT_NPROC, 64)
    setlim(resource.RLIMIT_CORE, 0)
    setlim(resource.RLIMIT_NOFILE, 256)


def _seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except Exception:
        pass


_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        import ctypes

        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _check(rc: int, what: str) -> None:
    if rc != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000
_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER, _PR_CAPBSET_DROP, _PR_CAP_AMBIENT = 4, 36, 24, 47


def _map_own_ids(uid: int, gid: int) -> None:
    """In a new user namespace: map the caller's own uid/gid (cosmetic: the script sees its own
    uid instead of "nobody"; failures are ignored)."""
    _libc().prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)  # the maps are written through /proc/self
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
        except OSError:
            pass


def _enter_job_namespaces() -> None:
    """In the job's first process: new user, PID and mount namespaces (the next fork is PID 1)."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc().unshare(_CLONE_NEWUSER | _CLONE_NEWPID | _CLONE_NEWNS), "unshare(user, pid, mount namespaces)")
    _map_own_ids(uid, gid)


_CLONER = None


class _NamespaceCloner:
    """One ``clone()`` that starts a child directly as PID 1 of new user, PID and mount namespaces.

    ``os.fork`` cannot pass namespace flags, so the portable way (:func:`_enter_job_namespaces`)
    costs two forks of this large, warm process per job. Here the raw system call is made with the
    interpreter's own fork hooks around it (``PyOS_BeforeFork`` / ``PyOS_AfterFork_*``: import
    lock, threading state, ``os.register_at_fork`` handlers) and without releasing the GIL. The
    worker is single-threaded, so no lock of the C library is held by another thread at that
    moment. Only the child's cached thread id of the C library keeps the worker's value; the
    calls that need the real one (``raise``, ``abort``) ask the kernel on glibc >= 2.34.
    """

    FLAGS = _CLONE_NEWUSER | _CLONE_NEWPID | _CLONE_NEWNS | signal.SIGCHLD
    CLONE_PARENT = 0x00008000  # the child is the worker's (the template's parent's), not the template's
    SYS_CLONE = {"x86_64": 56, "aarch64": 220}

    def __init__(self) -> None:
        import ctypes
        import platform

        self.ctypes = ctypes
        self.number = self.SYS_CLONE[platform.machine()]  # KeyError: not supported here
        self.api = ctypes.PyDLL(None, use_errno=True)  # PyDLL: the GIL stays held during the call
        for name in ("syscall", "PyOS_BeforeFork", "PyOS_AfterFork_Parent", "PyOS_AfterFork_Child"):
            getattr(self.api, name)  # AttributeError: not available
        self.api.syscall.restype = ctypes.c_long

    def clone(self, sibling: bool = False) -> int:
        """0 in the child, the child's pid in the parent; OSError when the kernel refuses.
        ``sibling``: the child's parent is this process's parent (``CLONE_PARENT``)."""
        c = self.ctypes
        flags = self.FLAGS | (self.CLONE_PARENT if sibling else 0)
        uid, gid = os.getuid(), os.getgid()
        self.api.PyOS_BeforeFork()
        # x86_64: clone(flags, stack, parent_tid, child_tid, tls); aarch64 swaps the last two: all 0.
        pid = self.api.syscall(c.c_long(self.number), c.c_ulong(flags), c.c_void_p(0), c.c_void_p(0),
                               c.c_void_p(0), c.c_ulong(0))
        if pid == 0:
            self.api.PyOS_AfterFork_Child()
            _map_own_ids(uid, gid)
            return 0
        err = c.get_errno()
        self.api.PyOS_AfterFork_Parent()
        if pid < 0:
            raise OSError(err, f"clone(user, pid, mount namespaces): {os.strerror(err)}")
        return pid


def _namespace_cloner():
    """The single-clone path when this interpreter and machine support it; else None."""
    global _CLONER
    if _CLONER is None:
        try:
            _CLONER = _NamespaceCloner()
        except (KeyError, AttributeError, OSError):
            _CLONER = False
    return _CLONER or None


_MS_RDONLY, _MS_BIND, _MS_REMOUNT, _MS_RELATIME = 0x1, 0x1000, 0x20, 0x200000


def _read_only_tmp() -> None:
    """This mount namespace's /tmp read-only (a bind of itself, keeping the flags it has)."""
    libc = _libc()
    _check(libc.mount(b"/tmp", b"/tmp", None, _MS_BIND | _MS_REC, None), "bind /tmp")
    kept = os.statvfs("/tmp").f_flag & (0x2 | 0x4 | 0x8 | 0x400 | 0x800)  # nosuid nodev noexec noatime nodiratime
    kept |= _MS_RELATIME if os.statvfs("/tmp").f_flag & 0x1000 else 0
    _check(libc.mount(None, b"/tmp", None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | kept, None), "make /tmp read-only")


def _seal_job_process(job_isolation: bool, drop_caps: bool, shm_mb: int, job_dir: str = "", tmp_mb: int = 0,
                      inodes: int = 0) -> None:
    """In the job's PID 1, before the script: hide /proc (the worker, its pipes), give the job its
    own capped /dev/shm and (``job_dir``) working folder, both fresh tmpfs freed with the job, with
    the rest of /tmp read-only; drop capabilities."""
    libc = _libc()
    if job_isolation:
        _check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make mounts private")
        _check(libc.mount(b"proc-hidden", b"/proc", b"tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, b"size=4k,mode=555"),
               "cover /proc")
        cap = f",nr_inodes={inodes}" if inodes else ""
        if shm_mb and os.path.isdir("/dev/shm"):
            _check(libc.mount(b"shm", b"/dev/shm", b"tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                              f"size={shm_mb}m,mode=1777{cap}".encode()), "mount a private /dev/shm")
        if job_dir:
            _read_only_tmp()
            _check(libc.mount(b"job", os.fsencode(job_dir), b"tmpfs", _MS_NOSUID | _MS_NODEV,
                              f"size={tmp_mb}m,mode=700{cap}".encode()), "mount a fresh working folder")
    if drop_caps:
        for cap in range(64):
            libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the last capability: ignored
        libc.prctl(_PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
        import ctypes

        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2: all zero
        _check(libc.capset(header, data), "drop capabilities")
    libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def _close_other_fds(keep: tuple[int, ...]) -> None:
    """No pipe or socket the worker holds stays open in the job (its protocol pipes are fds 0 and 1,
    already replaced by /dev/null). Regular files stay: the warm font objects read their font
    files through descriptors opened in the worker."""
    import stat

    try:
        fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd < 3 or fd in keep:
            continue
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if not stat.S_ISREG(mode) and not stat.S_ISCHR(mode):
            os.close(fd)


def after_save(fig, job: dict) -> dict:
    """Hook, in the job process, after the chart was saved and before the result is reported.

    Returns extra fields for the result (JSON-serialisable; they arrive in ``RenderRecord.extra``).
    ``fig`` is the saved matplotlib figure. Runs after the script, so treat what it finds as
    untrusted (the script may have changed anything in this process).

    With ``job["inspect"]``: ``{"inspect": ...}``, the plotted values and layout flags that
    ``_inspect.py`` reads from the figure (the JPEG is already written: its bytes do not change).
    """
    if not job.get("inspect"):
        return {}
    try:
        from _inspect import inspect_figure  # shipped next to this file

        return {"inspect": inspect_figure(fig, job.get("dpi", 200))}
    except Exception as exc:  # never turns a rendered chart into a failure
        return {"inspect": {"error": f"{type(exc).__name__}: {exc}"[:300]}}


def _detach_from_worker(keep: tuple[int, ...]) -> None:
    """Own session (kill(0, ...) cannot reach the worker's group), stdio on /dev/null, and no pipe
    or socket of the template left open but the job's own two pipes."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)
    _close_other_fds(keep)


def _patch_saving(target: str, dpi, status: dict, saved: list):
    """Every way a script saves or shows a figure writes ``target`` at the job's dpi instead.
    Returns the saving function (the script may replace the patched ``plt.show``)."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    real_savefig = Figure.savefig

    def save(fig=None) -> None:
        fig = fig if fig is not None else plt.gcf()
        real_savefig(fig, target, dpi=dpi)
        status["saved"] = True
        saved[:] = [fig]

    def show(*args, **kwargs) -> None:
        save()

    def pyplot_savefig(*args, **kwargs) -> None:
        save()

    def figure_savefig(self, *args, **kwargs) -> None:
        save(self)

    plt.show = show
    plt.savefig = pyplot_savefig
    Figure.savefig = figure_savefig
    return save


def _fresh_job_dir(config: dict) -> str | None:
    """Where a job gets a fresh tmpfs as its working folder (isolated jobs), else None."""
    if config.get("job_isolation") and config.get("job_tmp_mb") and config.get("job_dir"):
        return str(config["job_dir"])
    return None


class _JobFailed(Exception):
    """Ends the job with ``status["error"]`` already set."""


def _prepare_job(job: dict, vm_baseline: int, config: dict, status: dict, saved: list):
    """Everything between the fork and the script: isolation, limits, seeds, saving, compile,
    seccomp, audit hook. Returns the compiled script, the saving function and the working folder."""
    fresh = _fresh_job_dir(config)
    try:
        _seal_job_process(bool(config.get("job_isolation")), bool(config.get("drop_caps")),
                          int(config.get("shm_mb") or 0), fresh or "", int(config.get("job_tmp_mb") or 0),
                          int(config.get("job_inodes") or 0))
    except OSError as exc:
        status["error"] = f"InfrastructureError: could not isolate the job ({exc})"
        raise _JobFailed from None
    workdir = fresh or str(job.get("workdir") or "")
    if not workdir:
        status["error"] = "InfrastructureError: the job has no working folder"
        raise _JobFailed
    os.chdir(workdir)
    tempfile.tempdir = workdir
    os.environ["TMPDIR"] = workdir
    _apply_limits(job, vm_baseline)
    _seed_everything(int(job.get("seed", 0)))
    save = _patch_saving(os.path.join(workdir, "__chart__.jpg"), job.get("dpi", 200), status, saved)
    if job.get("compat"):
        from _compat import install as install_compat  # shipped next to this file

        install_compat()
    try:
        compiled = compile(job["code"], f"<chart {job['id']}>", "exec")
    except SyntaxError as exc:
        status["error"] = f"SyntaxError: {exc.msg} (line {exc.lineno})"
        raise _JobFailed from None
    if config.get("seccomp"):
        try:
            _seccomp.install(_JOB_FILTER)
        except OSError as exc:
            status["error"] = f"InfrastructureError: could not install the job's seccomp filter ({exc})"
            raise _JobFailed from None
    _install_guard(workdir)
    return compiled, save, workdir


def _execute(compiled, save, workdir: str, status: dict, saved: list, job: dict) -> dict:
    """Run the script; save what it drew if it never saved; the extra fields of an "ok" result."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__", "__file__": os.path.join(workdir, "chart.py"), "__builtins__": __builtins__}
    try:
        exec(compiled, namespace)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            status["error"] = f"SystemExit: script exited with status {exc.code!r}"
            raise _JobFailed from None
    if not status["saved"] and plt.get_fignums():
        save()  # the script drew a figure but never called show()/savefig()
    if not status["saved"]:
        status["error"] = "NoFigure: the script finished without drawing a figure"
        return {}
    status["status"] = "ok"
    return after_save(saved[0], job)


def _describe_failure(exc: BaseException) -> str:
    """``"Type: message (line N)"``, the line being the script's own innermost frame."""
    if isinstance(exc, MemoryError):
        return "MemoryError: the script exceeded its memory limit"
    if isinstance(exc, RecursionError):
        return f"RecursionError: {exc}"
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<chart "):
            where = f" (line {frame.lineno})"
            break
    return f"{type(exc).__name__}: {str(exc)[:500]}{where}"


MAX_JOB_BYTES = 64 << 20  # a job message (its code) larger than this is refused


def _read_all(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size <= limit:
        data = os.read(fd, 1 << 20)
        if not data:
            break
        chunks.append(data)
        size += len(data)
    return b"".join(chunks)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _report_and_exit(result_fd: int, status: dict, extra: dict, workdir: str | None) -> None:
    """One header line ``{"status", "error", "extra", "nbytes"}`` and the JPEG, on the job's own pipe."""
    try:
        image = b""
        if status["status"] == "ok":
            try:
                with open(os.path.join(workdir, "__chart__.jpg"), "rb") as fh:
                    image = fh.read()
            except (OSError, TypeError) as exc:
                status["status"], status["error"] = "error", f"NoImage: {exc}"
        head = {"status": status["status"], "error": status["error"], "nbytes": len(image)}
        try:
            message = json.dumps({**head, "extra": extra})
        except (TypeError, ValueError, RecursionError):
            message = json.dumps({**head, "extra": {}})
        _write_all(result_fd, message.encode() + b"\n" + image)
    finally:
        os._exit(0)


def _run_in_child(code_fd: int, result_fd: int, config: dict) -> None:
    """Body of the job process (PID 1 of its own namespaces when isolated); never returns. It reads
    its job from ``code_fd`` and writes its result to ``result_fd``, its own two pipes."""
    status = {"status": "error", "error": None, "saved": False}
    saved: list = []
    extra: dict = {}
    workdir = None
    try:
        _detach_from_worker((code_fd, result_fd))
        vm_baseline = _vm_size_bytes()  # the template's footprint: the base of the memory limit
        job = json.loads(_read_all(code_fd, MAX_JOB_BYTES))
        os.close(code_fd)
        compiled, save, workdir = _prepare_job(job, vm_baseline, config, status, saved)
        extra = _execute(compiled, save, workdir, status, saved, job)
    except (_JobFailed, SystemExit):
        pass
    except BaseException as exc:  # noqa: BLE001 - every failure becomes the script's own record
        status["status"], status["error"] = "error", _describe_failure(exc)
    _report_and_exit(result_fd, status, extra, workdir)


# ---------------------------------------------------------------------------------------------
# The worker loop
# ---------------------------------------------------------------------------------------------

_SIGNAL_NAMES = {getattr(signal, n): n for n in dir(signal) if n.startswith("SIG") and not n.startswith("SIG_")}


def _fork_and_answer(body) -> str:
    """Fork; the child runs ``body()`` (which returns a short answer or raises) and exits.
    Returns the answer, or ``"!Type: message"`` when it raised, ``""`` when it died silently."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(rfd)
            os.write(wfd, str(body()).encode()[:1000])
            code = 0
        except BaseException as exc:  # noqa: BLE001
            try:
                os.write(wfd, f"!{type(exc).__name__}: {exc}".encode()[:1000])
            except BaseException:  # noqa: BLE001
                pass
        finally:
            os._exit(code)
    os.close(wfd)
    os.waitpid(pid, 0)
    answer = os.read(rfd, 1000).decode("utf-8", "replace")
    os.close(rfd)
    return answer


def _start_isolated(body, sibling: bool = False) -> int:
    """Start a process running ``body()`` (which never returns) as PID 1 of new user, PID and mount
    namespaces; its pid in this worker's namespace. ``sibling``: it becomes the child of this
    process's parent (a template starts jobs as children of the worker). OSError naming why when
    the system refuses."""
    cloner = _namespace_cloner()
    if cloner is not None:
        pid = cloner.clone(sibling)
        if pid == 0:
            body()
        return pid

    # A first process enters new namespaces, forks the job (PID 1 there), answers its pid and
    # exits; the job is re-parented to the worker (a child subreaper) and waited for like a child.
    def enter_and_fork() -> int:
        _enter_job_namespaces()
        pid = os.fork()
        if pid == 0:
            body()
        return pid

    return _pid_from_child(enter_and_fork)


def _pid_from_child(body) -> int:
    """Fork; the child runs ``body()``, which starts a process and returns its pid, and exits (so
    that process is re-parented to the worker, a child subreaper). That pid, or OSError."""
    answer = _fork_and_answer(body)
    if not answer.isdigit():
        raise OSError(answer.lstrip("!") or "no answer")
    return int(answer)


def _start_plain(body, sibling: bool) -> int:
    """``body()`` in a plain forked process; ``sibling``: re-parented to the worker (a subreaper)."""
    if not sibling:
        pid = os.fork()
        if pid == 0:
            body()
        return pid

    def fork_body() -> int:
        pid = os.fork()
        if pid == 0:
            body()
        return pid

    return _pid_from_child(fork_body)


def _start_job(code_fd: int, result_fd: int, config: dict, sibling: bool) -> int:
    """Start the job process on its two pipes; return its pid (in the worker's PID namespace)."""
    body = lambda: _run_in_child(code_fd, result_fd, config)  # noqa: E731
    if config.get("job_isolation"):
        try:
            return _start_isolated(body, sibling)
        except OSError as exc:
            if config.get("require_isolation"):
                raise OSError(f"could not start the job in its own namespaces ({exc})") from None
            # Best effort without bubblewrap (e.g. user namespaces disabled): the old fork + setsid.
            config = dict(config, job_isolation=False)
            body = lambda: _run_in_child(code_fd, result_fd, config)  # noqa: E731
    return _start_plain(body, sibling)


# ---------------------------------------------------------------------------------------------
# Templates: pristine processes that start jobs
# ---------------------------------------------------------------------------------------------

def _template_loop(sock, config: dict) -> None:
    """A template's life (never returns). Requests on ``sock`` (from the worker, never anything of a
    job): ``spawn`` + the job's two pipe ends -> a job process; ``variant ["lib", ...]`` + a socket
    -> a new template that imported those libraries. Each answer is a pid or ``!error``."""
    import socket

    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 4096, 2)
        except OSError:
            os._exit(1)
        if not msg:
            os._exit(0)
        try:
            if msg == b"spawn" and len(fds) == 2:
                answer = str(_start_job(fds[0], fds[1], config, sibling=True))
            elif msg.startswith(b"variant ") and len(fds) == 1:
                answer = str(_start_variant(json.loads(msg[8:]), fds[0], sock, config))
            else:
                answer = "!bad request"
        except Exception as exc:  # noqa: BLE001 - answered; the worker reports it
            answer = f"!{type(exc).__name__}: {exc}"
        finally:
            for fd in fds:
                os.close(fd)
        sock.send(answer.encode()[:1000])


def _start_variant(libraries, fd: int, parent_sock, config: dict) -> int:
    """A template forked from this one that imported ``libraries`` and serves requests on ``fd``;
    re-parented to the worker, whose child subreaper it then is."""
    import socket

    def fork_variant() -> int:
        pid = os.fork()
        if pid == 0:
            try:
                parent_sock.close()
                _load_libraries([str(name) for name in libraries])
                _settle()
                sock = socket.socket(fileno=os.dup(fd))
            except BaseException:  # noqa: BLE001
                os._exit(1)
            _template_loop(sock, config)
        return pid

    return _pid_from_child(fork_variant)


class _Template:
    """The worker's handle on one template process."""

    def __init__(self, sock, pid: int) -> None:
        self.sock, self.pid = sock, pid

    def request(self, message: bytes, fds: list[int]) -> int:
        import socket

        socket.send_fds(self.sock, [message], fds)
        answer = self.sock.recv(1000).decode("utf-8", "replace")
        if not answer.isdigit():
            raise OSError(f"the template refused: {answer.lstrip('!') or 'it ended'}")
        return int(answer)

    def close(self) -> None:
        self.sock.close()


class Templates:
    """The pristine templates of one worker, keyed by the on-demand libraries they imported.

    The first is forked before the worker reads any job; every other one is forked from it on
    first use. ``weaken_zygote`` (test-only) is the old way: jobs forked from the worker itself,
    which has read every earlier job, with on-demand imports accumulated over jobs."""

    MAX_VARIANTS = 8

    def __init__(self, config: dict) -> None:
        self.config = config
        self.in_worker = bool(config.get("weaken_zygote"))
        self.loaded: set[str] = set()
        self.variants: dict[tuple, _Template] = {}
        if not self.in_worker:
            self.variants[()] = self._fork_first()

    def _fork_first(self) -> _Template:
        import socket

        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            mine.close()
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)  # the worker's protocol pipes are not the template's
            os.dup2(devnull, 1)
            _template_loop(theirs, self.config)
        theirs.close()
        return _Template(mine, pid)

    def _template(self, libraries: tuple) -> _Template:
        import socket

        template = self.variants.get(libraries)
        if template is None:
            if len(self.variants) > self.MAX_VARIANTS:
                oldest = next(k for k in self.variants if k)
                self.variants.pop(oldest).close()  # it ends on the closed socket
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                pid = self.variants[()].request(b"variant " + json.dumps(list(libraries)).encode(), [theirs.fileno()])
            finally:
                theirs.close()
            template = self.variants[libraries] = _Template(mine, pid)
        return template

    def prepare(self, code: str) -> tuple:
        """Make ready (before the job's clock starts) the template ``code`` needs; its key."""
        libraries = libraries_for(code)
        if self.in_worker:
            if set(libraries) - self.loaded:
                self.loaded |= set(libraries)
                _load_libraries(sorted(self.loaded))
                _settle()
        else:
            self._template(libraries)
        return libraries

    def spawn(self, code_fd: int, result_fd: int, libraries: tuple) -> int:
        """Start a job on its two pipe ends from the template ``prepare`` made ready; its pid."""
        if self.in_worker:
            return _start_job(code_fd, result_fd, self.config, sibling=False)
        return self._template(libraries).request(b"spawn", [code_fd, result_fd])


def _probe_job_namespaces() -> str | None:
    """None when a job can get its own namespaces here; else why not (checked once per worker)."""
    try:
        pid = _start_isolated(lambda: os._exit(0 if os.getpid() == 1 else 1))
    except OSError as exc:
        return str(exc)
    _, wstatus = os.waitpid(pid, 0)
    return None if os.WIFEXITED(wstatus) and os.WEXITSTATUS(wstatus) == 0 else "the job process is not PID 1"


MAX_RESULT_BYTES = (256 << 20) + (1 << 20)  # the largest image the parent accepts, plus its header


def _read_result(rfd: int, deadline: float) -> tuple[bytes, bool]:
    """The job's result (header line and JPEG, read linearly, at most ``MAX_RESULT_BYTES``) and
    whether the job ran out of time first."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_RESULT_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([rfd], [], [], remaining)
        if ready:
            data = os.read(rfd, 1 << 20)
            if not data:
                break
            chunks.append(data)
            size += len(data)
    return b"".join(chunks), False


def _reap(pid: int, timed_out: bool) -> int:
    """Kill (when late) and wait for the job; returns its wait status."""
    if timed_out:
        for target in (-pid, pid):
            try:
                os.kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    _, wstatus = os.waitpid(pid, 0)
    # In its own PID namespace the job was PID 1: the kernel has killed whatever it started.
    # Without one, kill what is left in its session (a process that left the session survives).
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return wstatus


def _outcome(header: dict, message: bytes, timed_out: bool, wstatus: int, timeout: float) -> bytes:
    """Fill ``header``'s status and error from what the job said, or how it ended; the image.
    The job's fields are relayed as they are (the parent checks every one); only the framing is
    checked here."""
    if timed_out:
        header["error"] = f"Timeout: the script ran longer than {timeout:g} s"
    elif message:
        line, _, image = message.partition(b"\n")
        try:
            result = json.loads(line)
            header["status"], header["error"] = result["status"], result["error"]
            if header["status"] not in ("ok", "error") or result.get("nbytes") != len(image):
                raise ValueError("bad status or image size")
            if isinstance(result.get("extra"), dict) and result["extra"]:
                header["extra"] = result["extra"]
            return image if header["status"] == "ok" else b""
        except Exception:  # noqa: BLE001 - anything the script wrote there (deep nesting included)
            header["status"] = "error"
            header["error"] = "ProtocolError: the script corrupted its result message"
            header.pop("extra", None)
    elif os.WIFSIGNALED(wstatus):
        name = _SIGNAL_NAMES.get(os.WTERMSIG(wstatus), str(os.WTERMSIG(wstatus)))
        hint = {"SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)",
                "SIGKILL": " (killed, likely out of memory)"}.get(name, "")
        header["error"] = f"Crashed: the script died from signal {name}{hint}"
    else:
        header["error"] = f"Exited: the script ended the process (status {os.WEXITSTATUS(wstatus)}) before finishing"
    return b""


def _clean_up_job(header: dict, workdir: str | None, root: str, config: dict) -> None:
    """Remove the job's folder (jobs without their own /tmp); mark this worker broken when the job
    left what cannot be removed or filled the scratch space outside its folder."""
    if workdir is None:
        return  # the job's /tmp was its own tmpfs: gone with its mount namespace
    try:
        os.chmod(root, 0o700)  # the job may have changed it
    except OSError:
        pass
    shutil.rmtree(workdir, ignore_errors=True)
    if os.path.exists(workdir) or not os.path.isdir(root):
        header["worker_broken"] = True
    elif config.get("scratch_limit_bytes"):
        st = os.statvfs(root)
        if (st.f_blocks - st.f_bfree) * st.f_frsize > int(config["scratch_limit_bytes"]):
            header["worker_broken"] = True


def _run_job(job: dict, root: str, templates: Templates, config: dict) -> tuple[dict, bytes]:
    """One job: its pipes, its process (from a template), its code in, its result out."""
    workdir = None
    if _fresh_job_dir(config) is None:
        workdir = tempfile.mkdtemp(prefix="job-", dir=root)
        os.chmod(workdir, 0o700)
        job = dict(job, workdir=workdir)
    code = json.dumps(job).encode()
    libraries = templates.prepare(str(job.get("code", "")))
    code_r, code_w = os.pipe()
    res_r, res_w = os.pipe()
    start = time.monotonic()
    try:
        pid = templates.spawn(code_r, res_w, libraries)
    except BaseException:
        os.close(code_w)
        os.close(res_r)
        raise
    finally:
        os.close(code_r)
        os.close(res_w)
    try:
        _write_all(code_w, code)
    except OSError:
        pass  # the job ended before reading its code: its wait status says how
    finally:
        os.close(code_w)
    timeout = float(job.get("timeout") or 60)
    try:
        message, timed_out = _read_result(res_r, start + timeout)
    finally:
        os.close(res_r)
    wstatus = _reap(pid, timed_out)
    header = {"id": job["id"], "status": "error", "error": None,
              "seconds": round(time.monotonic() - start, 4), "nbytes": 0}
    image = _outcome(header, message, timed_out, wstatus, timeout)
    _clean_up_job(header, workdir, root, config)
    header["nbytes"] = len(image)
    return header, image


def _settle() -> int:
    """After the worker loaded something: move its heap out of the collector's reach and return
    its memory footprint (the base of each job's memory limit).

    Children inherit the warm heap copy-on-write; a frozen heap keeps a child's garbage
    collections from touching (and so copying) every page of it."""
    gc.collect()
    gc.freeze()
    return _vm_size_bytes()


def main() -> None:
    global _seccomp, _JOB_FILTER
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _seccomp  # noqa: F811 - shipped next to this file

    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    if config.get("seccomp"):
        _JOB_FILTER = _seccomp.job_filter()
    libc = _libc()
    if config.get("job_isolation"):
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # no same-user access to this worker's memory and /proc entries
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # jobs started by templates become our children
    out = sys.stdout.buffer
    inp = sys.stdin.buffer
    # Nothing but the protocol may reach the parent through our stdout.
    sys.stdout = sys.stderr
    base = config.get("root") or tempfile.gettempdir()
    root = tempfile.mkdtemp(prefix="jobs-", dir=base)
    try:
        _writable_mplconfig(root)
        hello = _warm_up()
        _settle()
        config["job_dir"] = os.path.join(root, "job")  # each job mounts its own tmpfs here
        os.mkdir(config["job_dir"], 0o700)
        problem = _probe_job_namespaces() if config.get("require_isolation") else None
        templates = Templates(config)  # before the first job is read: the templates never see one
        if problem:
            hello = {"ready": False, "error": (
                f"per-script user/PID/mount namespaces cannot be created inside the sandbox ({problem}); unprivileged "
                "user namespaces may be restricted here (e.g. sysctl kernel.apparmor_restrict_unprivileged_userns=1 "
                "or user.max_user_namespaces=0). Chart scripts are not run without them.")}
        out.write(json.dumps(hello).encode() + b"\n")
        out.flush()
        for line in inp:
            if not line.strip():
                continue
            job = json.loads(line)
            try:
                header, image = _run_job(job, root, templates, config)
            except Exception as exc:  # the worker itself failed (fork, pipes): say so; the parent replaces us
                header, image = {"id": job.get("id"), "status": "error", "nbytes": 0, "seconds": 0.0,
                                 "worker_broken": True,
                                 "error": f"InfrastructureError: {type(exc).__name__}: {exc}"}, b""
            out.write(json.dumps(header).encode() + b"\n")
            out.write(image)
            out.flush()
    finally:
        shutil.rmtree(root, ignore_errors=True)


_seccomp = None
_JOB_FILTER = b""

if __name__ == "__main__":
    main()
