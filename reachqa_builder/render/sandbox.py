"""How a render worker is started: the sandbox around untrusted chart code.

With bubblewrap (``bwrap``) on PATH, each worker runs in new user, PID, network, IPC and UTS
namespaces with:

* the whole file system mounted read-only, the home directory hidden (an empty tmpfs; only the
  interpreter and render-environment folders that live there are mounted back, read-only),
* a private, size-capped tmpfs at ``/tmp`` as the only writable place,
* no network at all (an empty network namespace: not even loopback reaches the host),
* an empty environment except a few fixed variables (no API keys or tokens),
* ``--die-with-parent``: a worker never outlives reachqa.

Inside, every script runs in a child forked from the worker with rlimits on CPU time, memory
(a budget above the worker's own baseline), file size, processes (counted per sandbox user
namespace) and open files, plus an audit hook that refuses process creation, sockets and writes
outside the script's own directory, and a wall-time limit enforced by the worker.

Without bubblewrap the worker runs as a plain child process with the same clean environment,
rlimits and audit hook, but without file-system, network or PID isolation: a script that
deliberately bypasses the Python audit hook (e.g. through ctypes) could then reach the network
or write files the user can write. ``reachqa render`` warns about this once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .envs import HERE, RenderEnvironment, reachqa_home

WORKER_SCRIPT = HERE / "_worker.py"

# Variables passed to workers; everything else (API keys, tokens, proxies) is dropped.
_PASSTHROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ")


@dataclass(frozen=True)
class SandboxSettings:
    """Isolation settings for render workers.

    Args:
        use_bwrap: ``None`` = use bubblewrap when installed; ``True`` = require it; ``False`` = never.
        tmpfs_mb: size cap of the sandbox's writable /tmp.
    """

    use_bwrap: bool | None = None
    tmpfs_mb: int = 512


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _mplconfig_dir(env: RenderEnvironment) -> Path:
    """A matplotlib config/cache folder per environment with the font cache already built."""
    path = reachqa_home() / "mplconfig" / env.fingerprint
    if not (path / ".ready").exists():
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run([env.python, "-c", "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"],
                       env={"MPLCONFIGDIR": str(path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                       capture_output=True, check=False)
        (path / ".ready").write_text("ok")
    return path


def worker_environment(env: RenderEnvironment) -> dict[str, str]:
    clean = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(_mplconfig_dir(env)),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for key in _PASSTHROUGH:
        if key in os.environ:
            clean[key] = os.environ[key]
    return clean


def worker_command(env: RenderEnvironment, settings: SandboxSettings) -> tuple[list[str], dict[str, str], bool]:
    """The argv and environment that start one worker, and whether it is sandboxed by bubblewrap."""
    clean = worker_environment(env)
    python_cmd = [env.python, "-s", str(WORKER_SCRIPT)]
    bwrap = bwrap_path()
    if settings.use_bwrap is False or (bwrap is None and settings.use_bwrap is None):
        return python_cmd, clean, False
    if bwrap is None:
        raise RuntimeError("bubblewrap (bwrap) is required by the sandbox settings but is not installed; "
                           "install it (Debian/Ubuntu: apt-get install bubblewrap)")
    args = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", str(settings.tmpfs_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    masked = ["/tmp"]
    home = os.path.realpath(os.path.expanduser("~"))
    if home not in ("/", "/tmp", "") and os.path.isdir(home):
        args += ["--tmpfs", home]
        masked.append(home)
    # Mount back, read-only, what the worker needs from the hidden folders.
    needed = set(env.prefixes) | {str(HERE), clean["MPLCONFIGDIR"]}
    for path in sorted(needed):
        real = os.path.realpath(path)
        if any(real.startswith(m + os.sep) for m in masked) and os.path.exists(real):
            args += ["--ro-bind", real, real]
    args += ["--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv"]
    for key, value in clean.items():
        args += ["--setenv", key, value]
    args += ["--chdir", "/tmp", "--"]
    return args + python_cmd, clean, True
