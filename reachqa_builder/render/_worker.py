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

Each script runs in a process forked from this warm one, so imports are paid once while no
state (rcParams, styles, open figures, RNG state, monkey-patches a script makes) outlives the
script. With job isolation on (always under bubblewrap) that process is PID 1 of new user, PID
and mount namespaces: everything the script starts dies with it, ``/proc`` is covered (the
worker and its pipes are out of reach), all capabilities are dropped and the job's seccomp filter
is stacked on the worker's. The job also gets its own empty working directory, resource limits,
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
# matplotlib together): imported in the worker the first time a job's code names one of the words,
# so every later job of that worker inherits them already loaded. The words include seaborn's
# colormap names, the only matplotlib state importing these libraries changes, so a script that
# uses one renders the same whichever jobs this worker ran before.
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


class _Preloader:
    """The on-demand libraries this worker has imported (see ``ON_DEMAND_IMPORTS``)."""

    def __init__(self) -> None:
        self.done: set[str] = set()
        import re

        self.pattern = re.compile(r"\b(" + "|".join(sorted(ON_DEMAND_WORDS)) + r")\b")

    def for_code(self, code: str) -> bool:
        """Import what ``code`` names and this worker has not loaded yet; True when something was."""
        wanted = {ON_DEMAND_WORDS[word] for word in set(self.pattern.findall(code))} - self.done
        if not wanted:
            return False
        for name in sorted(wanted):
            _import_all(ON_DEMAND_IMPORTS[name])
            self.done.add(name)
        _reset_matplotlib()
        return True


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

    def clone(self) -> int:
        """0 in the child, the child's pid in the parent; OSError when the kernel refuses."""
        c = self.ctypes
        uid, gid = os.getuid(), os.getgid()
        self.api.PyOS_BeforeFork()
        # x86_64: clone(flags, stack, parent_tid, child_tid, tls); aarch64 swaps the last two: all 0.
        pid = self.api.syscall(c.c_long(self.number), c.c_ulong(self.FLAGS), c.c_void_p(0), c.c_void_p(0),
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


def _seal_job_process(job_isolation: bool, drop_caps: bool, shm_mb: int) -> None:
    """In the job's PID 1, before the script: hide /proc (the worker, its pipes), give the job its
    own capped /dev/shm (freed with the job), drop capabilities."""
    libc = _libc()
    if job_isolation:
        _check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make mounts private")
        _check(libc.mount(b"proc-hidden", b"/proc", b"tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, b"size=4k,mode=555"),
               "cover /proc")
        if shm_mb and os.path.isdir("/dev/shm"):
            _check(libc.mount(b"shm", b"/dev/shm", b"tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                              f"size={shm_mb}m,mode=1777".encode()), "mount a private /dev/shm")
    if drop_caps:
        for cap in range(64):
            libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the last capability: ignored
        libc.prctl(_PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
        import ctypes

        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2: all zero
        _check(libc.capset(header, data), "drop capabilities")
    libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def _close_other_fds(keep: int) -> None:
    """No pipe or socket the worker holds stays open in the job (its protocol pipes are fds 0 and 1,
    already replaced by /dev/null). Regular files stay: the warm font objects read their font
    files through descriptors opened in the worker."""
    import stat

    try:
        fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd < 3 or fd == keep:
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


def _detach_from_worker(result_fd: int) -> None:
    """Own session (kill(0, ...) cannot reach the worker's group), stdio on /dev/null, and no pipe
    or socket of the worker left open but the result pipe."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)
    _close_other_fds(result_fd)


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


class _JobFailed(Exception):
    """Ends the job with ``status["error"]`` already set."""


def _prepare_job(job: dict, workdir: str, vm_baseline: int, config: dict, status: dict, saved: list):
    """Everything between the fork and the script: isolation, limits, seeds, saving, compile,
    seccomp, audit hook. Returns the compiled script and the saving function."""
    try:
        _seal_job_process(bool(config.get("job_isolation")), bool(config.get("drop_caps")),
                          int(config.get("shm_mb") or 0))
    except OSError as exc:
        status["error"] = f"InfrastructureError: could not isolate the job ({exc})"
        raise _JobFailed from None
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
    return compiled, save


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


def _report_and_exit(result_fd: int, status: dict, extra: dict) -> None:
    try:
        try:
            message = json.dumps({"status": status["status"], "error": status["error"], "extra": extra})
        except (TypeError, ValueError):
            message = json.dumps({"status": status["status"], "error": status["error"], "extra": {}})
        os.write(result_fd, message.encode())
    finally:
        os._exit(0)


def _run_in_child(job: dict, workdir: str, result_fd: int, vm_baseline: int, config: dict) -> None:
    """Body of the job process (PID 1 of its own namespace when isolated); never returns."""
    status = {"status": "error", "error": None, "saved": False}
    saved: list = []
    extra: dict = {}
    try:
        _detach_from_worker(result_fd)
        compiled, save = _prepare_job(job, workdir, vm_baseline, config, status, saved)
        extra = _execute(compiled, save, workdir, status, saved, job)
    except (_JobFailed, SystemExit):
        pass
    except BaseException as exc:  # noqa: BLE001 - every failure becomes the script's own record
        status["status"], status["error"] = "error", _describe_failure(exc)
    _report_and_exit(result_fd, status, extra)


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


def _start_isolated(body) -> int:
    """Start a process running ``body()`` (which never returns) as PID 1 of new user, PID and mount
    namespaces; its pid in this worker's namespace. OSError naming why when the system refuses."""
    cloner = _namespace_cloner()
    if cloner is not None:
        pid = cloner.clone()
        if pid == 0:
            body()
        return pid

    # A first process enters new namespaces, forks the job (PID 1 there), answers its pid and
    # exits; the job is re-parented to this worker (a child subreaper) and waited for like a child.
    def enter_and_fork() -> int:
        _enter_job_namespaces()
        pid = os.fork()
        if pid == 0:
            body()
        return pid

    answer = _fork_and_answer(enter_and_fork)
    if not answer.isdigit():
        raise OSError(answer.lstrip("!") or "no answer")
    return int(answer)


def _start_job(job: dict, workdir: str, wfd: int, vm_baseline: int, config: dict) -> int:
    """Start the job process; return its pid (in this worker's PID namespace)."""
    if config.get("job_isolation"):
        try:
            return _start_isolated(lambda: _run_in_child(job, workdir, wfd, vm_baseline, config))
        except OSError as exc:
            if config.get("require_isolation"):
                raise OSError(f"could not start the job in its own namespaces ({exc})") from None
            # Best effort without bubblewrap (e.g. user namespaces disabled): the old fork + setsid.
            config = dict(config, job_isolation=False)
    pid = os.fork()
    if pid == 0:
        _run_in_child(job, workdir, wfd, vm_baseline, config)
    return pid


def _probe_job_namespaces() -> str | None:
    """None when a job can get its own namespaces here; else why not (checked once per worker)."""
    try:
        pid = _start_isolated(lambda: os._exit(0 if os.getpid() == 1 else 1))
    except OSError as exc:
        return str(exc)
    _, wstatus = os.waitpid(pid, 0)
    return None if os.WIFEXITED(wstatus) and os.WEXITSTATUS(wstatus) == 0 else "the job process is not PID 1"


def _read_result(rfd: int, deadline: float) -> tuple[bytes, bool]:
    """The job's result message (at most 1 MiB) and whether the job ran out of time first."""
    chunks: list[bytes] = []
    size = 0
    while size < 1 << 20:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([rfd], [], [], remaining)
        if ready:
            data = os.read(rfd, 65536)
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


def _outcome(header: dict, message: bytes, timed_out: bool, wstatus: int, timeout: float) -> None:
    """Fill ``header``'s status and error from what the job said, or how it ended."""
    if timed_out:
        header["error"] = f"Timeout: the script ran longer than {timeout:g} s"
    elif message:
        try:
            result = json.loads(message)
            header["status"], header["error"] = result["status"], result["error"]
            if header["status"] not in ("ok", "error"):
                raise ValueError("bad status")
            if isinstance(result.get("extra"), dict) and result["extra"]:
                header["extra"] = result["extra"]
        except (ValueError, KeyError, TypeError):
            header["status"] = "error"
            header["error"] = "ProtocolError: the script corrupted its result message"
    elif os.WIFSIGNALED(wstatus):
        name = _SIGNAL_NAMES.get(os.WTERMSIG(wstatus), str(os.WTERMSIG(wstatus)))
        hint = {"SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)",
                "SIGKILL": " (killed, likely out of memory)"}.get(name, "")
        header["error"] = f"Crashed: the script died from signal {name}{hint}"
    else:
        header["error"] = f"Exited: the script ended the process (status {os.WEXITSTATUS(wstatus)}) before finishing"


def _clean_up_job(header: dict, workdir: str, root: str, config: dict) -> None:
    """Remove the job's folder; mark this worker broken when the job left what cannot be removed
    or filled the scratch space outside its folder."""
    shutil.rmtree(workdir, ignore_errors=True)
    if os.path.exists(workdir) or not os.path.isdir(root):
        header["worker_broken"] = True
    elif config.get("scratch_limit_bytes"):
        st = os.statvfs(root)
        if (st.f_blocks - st.f_bfree) * st.f_frsize > int(config["scratch_limit_bytes"]):
            header["worker_broken"] = True


def _run_job(job: dict, root: str, vm_baseline: int, config: dict) -> tuple[dict, bytes]:
    workdir = tempfile.mkdtemp(prefix="job-", dir=root)
    os.chmod(workdir, 0o700)
    rfd, wfd = os.pipe()
    start = time.monotonic()
    try:
        pid = _start_job(job, workdir, wfd, vm_baseline, config)
    finally:
        os.close(wfd)
    timeout = float(job.get("timeout") or 60)
    try:
        message, timed_out = _read_result(rfd, start + timeout)
    finally:
        os.close(rfd)
    wstatus = _reap(pid, timed_out)
    header = {"id": job["id"], "status": "error", "error": None,
              "seconds": round(time.monotonic() - start, 4), "nbytes": 0}
    _outcome(header, message, timed_out, wstatus, timeout)
    image = b""
    if header["status"] == "ok":
        try:
            with open(os.path.join(workdir, "__chart__.jpg"), "rb") as fh:
                image = fh.read()
        except OSError as exc:
            header["status"], header["error"] = "error", f"NoImage: {exc}"
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
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    out = sys.stdout.buffer
    inp = sys.stdin.buffer
    # Nothing but the protocol may reach the parent through our stdout.
    sys.stdout = sys.stderr
    base = config.get("root") or tempfile.gettempdir()
    root = tempfile.mkdtemp(prefix="jobs-", dir=base)
    try:
        _writable_mplconfig(root)
        hello = _warm_up()
        vm_baseline = _settle()
        preloader = _Preloader()
        problem = _probe_job_namespaces() if config.get("require_isolation") else None
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
                if preloader.for_code(str(job.get("code", ""))):
                    vm_baseline = _settle()
                header, image = _run_job(job, root, vm_baseline, config)
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
