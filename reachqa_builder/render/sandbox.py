"""How a render worker is started: the sandbox around untrusted chart code.

With bubblewrap (``bwrap``) on PATH, each worker runs in new user, PID, network, IPC, UTS and
cgroup namespaces with:

* **only what it needs mounted**, read-only: system libraries and programs (``/usr`` and its
  merged-usr links), a few files of ``/etc`` (loader cache, fonts, time zone), the render
  environment's interpreter, standard library and packages, the renderer's own folder, the
  prepared matplotlib font cache and the kernel's transparent-huge-page settings (see
  ``HUGE_PAGE_TUNABLES``). Not ``/``: no home folder, repository checkout, ``/run``,
  ``/var``, host ``/tmp`` or unix socket of the host exists inside;
* a private, size-capped tmpfs at ``/tmp`` (the only writable place) and a size-capped
  ``/dev/shm``; a minimal ``/dev``;
* no network at all (an empty network namespace: no loopback to the host, no abstract sockets);
* **no capabilities** (``--cap-drop ALL``, also for root callers) and a **seccomp filter**
  (``_seccomp.py``) refusing ptrace, keyctl, bpf, kexec, modules, setns, umount, pivot_root,
  chroot, handle-based opens, io_uring, ...; bubblewrap sets no-new-privileges with it;
* an empty environment except a few fixed variables (no API keys or tokens);
* ``--die-with-parent``: a worker never outlives reachqa.

Inside, every script runs as PID 1 of its own PID namespace (in its own user and mount
namespace) forked from a pristine template of the warm worker that never held another script's
code, result or id: when the script's process ends, the kernel kills everything it started, and
it sees neither the worker nor its pipes (``/proc`` is covered). It gets a fresh tmpfs working
folder and ``/dev/shm`` (``tmpfs_mb`` / ``shm_mb`` and ``inodes`` each; the rest of ``/tmp`` is
read-only), so nothing it writes, fills or chmods survives it. Before the script runs, that
process drops every capability, sets no-new-privileges and stacks a stricter seccomp filter
(also refusing mount, unshare, creating processes, memfd and System V IPC); see ``_worker.py``.

Per-script limits: this host class has no delegated cgroup v2 memory/pids controller to rely on
(checked: ``PER_SCRIPT_LIMITS``), so the limits are built to bind without one, also for root: a
script is a single process (the job filter refuses fork/vfork/clone of processes), so its
``RLIMIT_AS`` (``memory_mb`` above the template's footprint) covers every page it maps; memory it
could hold outside its address space is capped by the job's own tmpfs folder and ``/dev/shm``
(size and inode count) and refused otherwise (memfd, System V shared memory, message queues).
CPU time, file size and open files are rlimits; wall time is enforced by the worker. Threads
share the one address space (each thread's stack counts against ``RLIMIT_AS``).

Without bubblewrap, rendering refuses to start unless the caller opts in
(``SandboxSettings(unsafe_no_sandbox=True)`` / ``--unsafe-no-sandbox``); see
``UNSAFE_WARNING`` for what is then exposed.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from dataclasses import dataclass, field
from pathlib import Path

from . import _seccomp
from .envs import HERE, RenderEnvironment, reachqa_home

WORKER_SCRIPT = HERE / "_worker.py"

# Variables passed to workers; everything else (API keys, tokens, proxies) is dropped.
_PASSTHROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ")

# System paths a worker may read (when present); everything else of the host is absent.
SYSTEM_DIRS = ("/usr", "/etc/fonts", "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf",
               "/etc/ld.so.conf.d", "/etc/localtime", "/etc/matplotlibrc")
MERGED_USR_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

# The sandbox's own private, writable mounts. Host paths the worker needs under them (a checkout, a
# virtualenv or REACHQA_HOME under /tmp) are bound again on top, read-only, at their own path.
PRIVATE_MOUNTS = ("/tmp", "/dev/shm")
# Where the sandbox mounts kernel file systems of its own: a host path there cannot be shown.
UNREACHABLE = ("/proc", "/sys", "/dev")

# Workers' C allocator asks for transparent huge pages (THP) for its heap and large blocks. Every
# script runs in a fresh fork, so all the memory it allocates is new to it, and on a page-per-fault
# basis that costs more than half of what the fork adds to a script (a 4 KiB fault here: ~3 us).
# With THP in the kernel's "madvise" mode (the common default) one fault maps 2 MiB. glibc learns
# the mode from the sysfs folder below, so the sandbox shows it, read-only. Output is unchanged:
# only where memory comes from differs. ``SandboxSettings(huge_pages=False)`` switches it off.
HUGE_PAGE_TUNABLES = "glibc.malloc.hugetlb=1"
THP_SYSFS = "/sys/kernel/mm/transparent_hugepage"

SANDBOX_UID = 1000

# Test-only weakenings (never exposed as a flag): each switches one protection off so the
# attack tests can show the attack working before showing it stopped.
WEAKENINGS = frozenset({
    "caps",           # keep capabilities (no --cap-drop; the job keeps its namespace capabilities)
    "seccomp",        # no seccomp filters
    "bind_root",      # bind / read-only with the home folder hidden (the old layout)
    "shm",            # /dev/shm uncapped
    "job_isolation",  # no per-job PID/user/mount namespace, dumpable worker: fork + setsid + killpg (the old way)
    "attribution",    # the parent trusts the id in a worker's reply (the old way)
    "zygote",         # jobs forked from the worker itself, which read earlier jobs, imports accumulated (the old way)
    "fresh_tmp",      # jobs share the worker's writable /tmp, a folder each (the old way)
    "reply_checks",   # the parent takes a worker's reply fields unchecked, JPEG check in-process (the old way)
})

# What bounds one script's resources (see the module docstring); reported by ``reachqa render``.
PER_SCRIPT_LIMITS = ("per-script limits: one process (no fork), RLIMIT_AS memory, CPU/file-size/open-file rlimits, "
                     "wall time, own tmpfs folder and /dev/shm (size + inodes); no per-script cgroup")

UNSAFE_WARNING = (
    "[reachqa] WARNING: rendering WITHOUT a sandbox (bubblewrap is not installed; --unsafe-no-sandbox "
    "given). Chart scripts run as your user with rlimits, a clean environment and a Python audit hook only. "
    "A script that bypasses the hook (ctypes) can read every file you can (home folder, SSH keys, "
    ".env, credentials, the repository), write and delete them, use the network and host unix sockets, "
    "and leave processes running when the system refuses the per-job namespaces. Install bubblewrap "
    "(apt-get install bubblewrap) to render untrusted code.")


class SandboxUnavailableError(RuntimeError):
    """Bubblewrap is missing (or unusable) and the caller did not opt in to unsandboxed rendering."""


@dataclass(frozen=True)
class SandboxSettings:
    """Isolation settings for render workers.

    Args:
        use_bwrap: ``None`` = bubblewrap, required unless ``unsafe_no_sandbox``; ``True`` = require
            it; ``False`` = never (only together with ``unsafe_no_sandbox=True``).
        tmpfs_mb: size cap of the sandbox's writable /tmp, and of each script's own working folder.
        shm_mb: size cap of the sandbox's /dev/shm (each script gets its own).
        inodes: most files/folders a script may create in its working folder and in /dev/shm each.
        unsafe_no_sandbox: allow rendering without bubblewrap (prints ``UNSAFE_WARNING``).
        huge_pages: let the workers' allocator use transparent huge pages where the kernel offers
            them on request (see ``HUGE_PAGE_TUNABLES``); faster, the same images.
        weaken: test-only: names from ``WEAKENINGS`` to switch off (never use in production).
    """

    use_bwrap: bool | None = None
    tmpfs_mb: int = 512
    shm_mb: int = 64
    inodes: int = 4096
    unsafe_no_sandbox: bool = False
    huge_pages: bool = True
    weaken: frozenset = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.weaken) - WEAKENINGS
        if unknown:
            raise ValueError(f"unknown weakening(s) {sorted(unknown)}; known: {sorted(WEAKENINGS)}")
        object.__setattr__(self, "weaken", frozenset(self.weaken))
        if self.use_bwrap is False and not self.unsafe_no_sandbox:
            raise ValueError("use_bwrap=False runs chart scripts without a sandbox; pass unsafe_no_sandbox=True "
                             "to accept that")


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def wants_bwrap(settings: SandboxSettings) -> bool:
    """Whether workers run under bubblewrap; raises SandboxUnavailableError when it is required but missing."""
    if settings.use_bwrap is False:
        return False
    if bwrap_path() is not None:
        return True
    if settings.use_bwrap is None and settings.unsafe_no_sandbox:
        return False
    raise SandboxUnavailableError(
        "bubblewrap (bwrap) is not installed, so chart scripts cannot be sandboxed; install it "
        "(Debian/Ubuntu: apt-get install bubblewrap) or, only for code you trust, pass --unsafe-no-sandbox "
        "(render_scripts(..., unsafe_no_sandbox=True))")


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The fixed environment of every process started for an untrusted environment (no caller variables)."""
    clean = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for key in _PASSTHROUGH:
        if key in os.environ:
            clean[key] = os.environ[key]
    clean.update(extra or {})
    return clean


def _under(path: str, *folders: str) -> bool:
    return any(path == f or path.startswith(f + os.sep) for f in folders)


def check_reachable(paths) -> None:
    """Refuse, in one line, a path the sandbox needs that lies where it mounts kernel file systems of its own."""
    for path in paths:
        if path in PRIVATE_MOUNTS:
            raise SandboxUnavailableError(
                f"{path} itself is needed inside the render sandbox, but the sandbox has a private {path} of its own; "
                f"move what is needed into a folder below it or elsewhere")
        if _under(path, *UNREACHABLE) and not _under(path, *PRIVATE_MOUNTS):
            top = next(f for f in UNREACHABLE if _under(path, f))
            raise SandboxUnavailableError(
                f"{path} is needed inside the render sandbox but lies under {top}, which the sandbox replaces with "
                f"its own; move it elsewhere (REACHQA_HOME sets where render environments and caches live)")


def bwrap_args(env: RenderEnvironment, settings: SandboxSettings, *, writable: tuple[str, ...] = (),
               readable: tuple[str, ...] = ()) -> list[str]:
    """bubblewrap's arguments (without the command) for a process of render environment ``env``."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailableError("bubblewrap (bwrap) is not installed")
    weak = settings.weaken
    args = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv"]
    if "caps" not in weak:
        args += ["--cap-drop", "ALL"]
        if os.getuid() == 0:
            # Without CAP_SETFCAP a user namespace may not map the host's root (Linux >= 5.12), so a
            # job could not map its uid and could not create files in its own tmpfs: inside, root is
            # SANDBOX_UID (still the host's root for every file access).
            args += ["--uid", str(SANDBOX_UID)]
    needed = {os.path.realpath(p) for p in (*env.prefixes, str(HERE), *readable) if os.path.exists(p)}
    check_reachable((*needed, *(os.path.realpath(p) for p in writable)))
    if "bind_root" in weak:
        args += ["--ro-bind", "/", "/"]
        home = os.path.realpath(os.path.expanduser("~"))
        if home not in ("/", "/tmp", "") and os.path.isdir(home):
            args += ["--tmpfs", home]
            args += [a for p in sorted(needed) if p.startswith(home + os.sep) for a in ("--ro-bind", p, p)]
    else:
        for link in MERGED_USR_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        for path in SYSTEM_DIRS:
            args += ["--ro-bind-try", path, path]
        for path in sorted(needed):
            if not path.startswith("/usr/") and not _under(path, *PRIVATE_MOUNTS):
                args += ["--ro-bind", path, path]
    if settings.huge_pages:
        args += ["--ro-bind-try", THP_SYSFS, THP_SYSFS]
    args += ["--dev", "/dev", "--proc", "/proc", "--size", str(settings.tmpfs_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    if "shm" not in weak:
        args += ["--size", str(settings.shm_mb * 1024 * 1024), "--tmpfs", "/dev/shm"]
    # The private /tmp and /dev/shm hide the host's: what is needed under them is bound again on top.
    args += [a for p in sorted(needed) if _under(p, *PRIVATE_MOUNTS) for a in ("--ro-bind", p, p)]
    for path in writable:
        args += ["--bind", path, path]
    return args


def seccomp_fd(settings: SandboxSettings) -> int | None:
    """A readable fd holding the worker's compiled seccomp filter (for ``bwrap --seccomp``), or None."""
    if "seccomp" in settings.weaken:
        return None
    if not _seccomp.supported():
        raise SandboxUnavailableError(f"no seccomp filter is known for this CPU architecture; refusing to run "
                                      f"chart scripts without one")
    program = _seccomp.worker_filter()
    rfd, wfd = os.pipe()
    os.write(wfd, program)  # a few hundred bytes: fits in the pipe buffer
    os.close(wfd)
    return rfd


def _mplconfig_dir(env: RenderEnvironment, settings: SandboxSettings) -> Path:
    """A matplotlib config/cache folder per environment with the font cache already built.

    The build imports matplotlib from the render environment, so it runs isolated (``-I``, clean
    environment) and, with bubblewrap, inside the same sandbox as the workers.
    """
    path = reachqa_home() / "mplconfig" / env.fingerprint
    if not (path / ".ready").exists():
        path.mkdir(parents=True, exist_ok=True)
        cmd = [env.python, "-I", "-B", "-c", "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"]
        clean = clean_environment({"MPLCONFIGDIR": str(path)})
        fds: tuple[int, ...] = ()
        if wants_bwrap(settings):
            fd = seccomp_fd(settings)
            prefix = bwrap_args(env, settings, writable=(str(path),))
            if fd is not None:
                prefix += ["--seccomp", str(fd)]
                fds = (fd,)
            cmd = prefix + [a for k, v in clean.items() for a in ("--setenv", k, v)] + ["--"] + cmd
        try:
            subprocess.run(cmd, env=clean, capture_output=True, check=False, pass_fds=fds, timeout=600)
        finally:
            for fd in fds:
                os.close(fd)
        (path / ".ready").write_text("ok")
    return path


def worker_environment(env: RenderEnvironment, settings: SandboxSettings | None = None) -> dict[str, str]:
    settings = settings or SandboxSettings()
    extra = {"MPLCONFIGDIR": str(_mplconfig_dir(env, settings))}
    if settings.huge_pages:
        extra["GLIBC_TUNABLES"] = HUGE_PAGE_TUNABLES
    return clean_environment(extra)


def worker_command(env: RenderEnvironment, settings: SandboxSettings, root: str) -> tuple[list[str], dict[str, str], bool, tuple[int, ...]]:
    """The argv, environment and fds to pass that start one worker, and whether it is sandboxed by bubblewrap.

    ``root`` is the worker's scratch folder on the host, used only without bubblewrap (the
    sandbox has its own private /tmp); the caller removes it.
    """
    sandboxed = wants_bwrap(settings)
    clean = worker_environment(env, settings)
    config = {"job_isolation": "job_isolation" not in settings.weaken,
              "drop_caps": "caps" not in settings.weaken,
              "seccomp": "seccomp" not in settings.weaken,
              # Under bubblewrap the per-job namespaces must work; without it they are best effort.
              "require_isolation": sandboxed and "job_isolation" not in settings.weaken,
              "root": "/tmp" if sandboxed else root,
              "shm_mb": settings.shm_mb if "shm" not in settings.weaken else 0,
              "job_tmp_mb": settings.tmpfs_mb if "fresh_tmp" not in settings.weaken else 0,
              "job_inodes": settings.inodes,
              "weaken_zygote": "zygote" in settings.weaken,
              # Under bubblewrap /tmp is the worker's own: a job that fills it gets the worker replaced.
              "scratch_limit_bytes": settings.tmpfs_mb * 1024 * 1024 // 4 if sandboxed else 0}
    import json

    python_cmd = [env.python, "-I", "-B", str(WORKER_SCRIPT), json.dumps(config)]
    if not sandboxed:
        return python_cmd, clean, False, ()
    args = bwrap_args(env, settings, readable=(clean["MPLCONFIGDIR"],))
    fds: tuple[int, ...] = ()
    fd = seccomp_fd(settings)
    if fd is not None:
        args += ["--seccomp", str(fd)]
        fds = (fd,)
    for key, value in clean.items():
        args += ["--setenv", key, value]
    args += ["--chdir", "/tmp", "--"]
    return args + python_cmd, clean, True, fds


__all__ = ["SandboxSettings", "SandboxUnavailableError", "UNSAFE_WARNING", "WEAKENINGS", "bwrap_path",
           "worker_command", "clean_environment", "bwrap_args"]
