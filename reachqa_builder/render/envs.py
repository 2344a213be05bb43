"""Render environments: which Python interpreter (and library versions) runs chart scripts.

* ``faithful``: a virtualenv pinned to the versions the released ReachQA charts were made with
  (``faithful.lock``); created and cached on first use under ``$REACHQA_HOME/envs`` (default
  ``~/.cache/reachqa/envs``). Renders there reproduce the published JPEGs byte for byte.
* ``current``: the interpreter running reachqa, with whatever matplotlib it has, plus a small
  compatibility layer (``_compat.py``) for APIs that newer matplotlib removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCK_FILE = HERE / "faithful.lock"
ENV_NAMES = ("faithful", "current")

from ..paths import reachqa_home  # noqa: F401 (also read from here by the render modules)


class RenderEnvironmentError(RuntimeError):
    """A render environment cannot be used (unknown name, or creation failed)."""


@dataclass(frozen=True)
class RenderEnvironment:
    """An interpreter that runs chart scripts.

    Args:
        name: ``faithful`` or ``current``.
        python: path of the interpreter.
        fingerprint: hash identifying the library versions (part of the render cache key).
        compat: whether the compatibility layer is installed in render children.
        prefixes: folders the interpreter needs to see inside the sandbox.
    """

    name: str
    python: str
    fingerprint: str
    compat: bool
    prefixes: tuple[str, ...]


def _lock_text() -> str:
    return LOCK_FILE.read_text()


def lock_hash() -> str:
    lines = [ln.strip() for ln in _lock_text().splitlines() if ln.strip() and not ln.startswith("#")]
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16]


def faithful_env_dir() -> Path:
    return reachqa_home() / "envs" / f"faithful-{lock_hash()}"


# Asks an interpreter where it lives without running any code of its environment: -I (no
# PYTHONPATH, no user site, no script folder), -S (no site: no .pth files, no sitecustomize),
# -B (writes nothing), an empty environment.
# (With -S, a virtualenv's own prefix is found here from its pyvenv.cfg, as site.py would.)
_PROBE = ("import json, site, sys; print(json.dumps({'prefixes': [sys.prefix, sys.base_prefix, sys.exec_prefix], "
          "'site': site.getsitepackages([sys.prefix]), 'version': '%d.%d' % sys.version_info[:2]}))")


def isolated_run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a render environment's interpreter on the host, isolated from the caller (clean environment)."""
    clean = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent",
             "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"}
    return subprocess.run(cmd, env=kwargs.pop("env", clean), capture_output=True, text=True, **kwargs)


def pth_directories(site_dir: str) -> list[str]:
    """Folders that ``.pth`` files in ``site_dir`` add to sys.path (read as text, never executed)."""
    found = []
    try:
        names = sorted(n for n in os.listdir(site_dir) if n.endswith(".pth"))
    except OSError:
        return found
    for name in names:
        try:
            lines = Path(site_dir, name).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            path = os.path.realpath(os.path.join(site_dir, line))
            if os.path.isdir(path):
                found.append(path)
    return found


@lru_cache(maxsize=None)
def _interpreter_prefixes(python: str) -> tuple[str, ...]:
    proc = isolated_run([python, "-I", "-S", "-B", "-c", _PROBE], timeout=60)
    if proc.returncode != 0:
        raise RenderEnvironmentError(f"the render interpreter {python} does not start: {proc.stderr.strip()[-500:]}")
    import json

    info = json.loads(proc.stdout)
    folders = set(info["prefixes"]) | {os.path.dirname(os.path.dirname(os.path.realpath(python)))}
    site_dirs = list(info["site"])
    for venv in {os.path.dirname(os.path.dirname(os.path.abspath(python))), os.path.dirname(os.path.abspath(python))}:
        if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
            folders.add(venv)
            site_dirs.append(os.path.join(venv, "lib", f"python{info['version']}", "site-packages"))
    for site_dir in site_dirs:
        folders.update(pth_directories(site_dir))
    return tuple(sorted(os.path.realpath(f) for f in folders if os.path.isdir(f)))


@lru_cache(maxsize=1)
def _current_fingerprint() -> str:
    import matplotlib
    import numpy

    try:
        import PIL

        pil = PIL.__version__
    except ImportError:  # pragma: no cover - pillow is a dependency of matplotlib
        pil = "none"
    versions = f"py{sys.version_info[:3]}-mpl{matplotlib.__version__}-np{numpy.__version__}-pil{pil}"
    return "current-" + hashlib.sha256(versions.encode()).hexdigest()[:16]


def create_faithful_env(force: bool = False, quiet: bool = False) -> Path:
    """Create the pinned virtualenv (idempotent; safe against concurrent callers).

    Raises RenderEnvironmentError naming the failing step, e.g. when the package registry cannot
    be reached. A half-built environment is removed, never used.
    """
    target = faithful_env_dir()
    marker = target / ".reachqa-complete"
    if marker.exists() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and not force:
            return target
        if target.exists():
            shutil.rmtree(target)
        _VERIFIED.discard(str(target))
        _AUDITED.pop(str(target), None)
        # Built in place (venvs and font caches record absolute paths); the marker says "done".
        steps = [
            ([sys.executable, "-m", "venv", str(target)], "create the virtualenv"),
            ([str(target / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
              "-q", "-r", str(LOCK_FILE)], f"install the pinned packages of {LOCK_FILE.name} (needs the package registry)"),
            # Build matplotlib's font cache once, so sandboxed workers find it read-only.
            ([str(target / "bin" / "python"), "-I", "-B", "-c",
              f"import os; os.environ['MPLCONFIGDIR'] = {str(target / 'mplconfig')!r}; "
              "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"],
             "build the font cache"),
        ]
        for cmd, what in steps:
            # pip gets the caller's environment (proxies, index settings); code of the new
            # environment itself runs only isolated (-I) with a clean environment.
            env = dict(os.environ) if "pip" in cmd else None
            if not quiet:
                print(f"[reachqa] faithful render env: {what} ...", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env) if env is not None else isolated_run(cmd)
            if proc.returncode != 0:
                shutil.rmtree(target, ignore_errors=True)
                tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
                raise RenderEnvironmentError(
                    f"could not create the faithful render environment at {target}: failed to {what}.\n{tail}\n"
                    "Use --env current to render with the installed matplotlib instead.")
        write_manifest(target)
        (target / ".reachqa-complete").write_text(_lock_text())
    return target


# --- verification: a render environment is checked before anything of it runs -----------------

MANIFEST_NAME = ".reachqa-manifest.json"
_STARTUP_NAMES = ("sitecustomize.py", "usercustomize.py")


def _site_dirs(env_dir: Path) -> list[Path]:
    return sorted(env_dir.glob("lib/python3*/site-packages"))


def _recorded_hashes(site: Path) -> dict[str, str]:
    """{absolute path: 'sha256=...'} from every installed distribution's RECORD."""
    import csv

    hashes: dict[str, str] = {}
    for record in site.glob("*.dist-info/RECORD"):
        try:
            rows = list(csv.reader(record.read_text(encoding="utf-8").splitlines()))
        except (OSError, csv.Error):
            continue
        for row in rows:
            if len(row) >= 2 and row[1]:
                hashes[os.path.normpath(os.path.join(site, row[0]))] = row[1]
    return hashes


def _file_hash(path: Path) -> str:
    import base64

    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def audit_startup_files(env_dir: Path) -> list[str]:
    """Files that Python would run at start-up (``.pth``, ``sitecustomize``) and no installed package owns."""
    problems = []
    for site in _site_dirs(env_dir):
        recorded = _recorded_hashes(site)
        candidates = sorted(site.glob("*.pth")) + [site / n for n in _STARTUP_NAMES if (site / n).exists()]
        for path in candidates:
            expected = recorded.get(os.path.normpath(path))
            if expected is None:
                problems.append(f"{path} belongs to no installed package")
            elif _file_hash(path) != expected:
                problems.append(f"{path} differs from what its package installed")
    for base in {env_dir, *(p.parent for p in _site_dirs(env_dir))}:
        for name in _STARTUP_NAMES:
            if (base / name).exists():
                problems.append(f"{base / name} would run at start-up")
    return problems


def _manifest_digest(env_dir: Path) -> tuple[str, int]:
    """Digest of every file's path, size and modification time (not __pycache__, the font cache, our markers)."""
    digest = hashlib.sha256()
    count = 0
    for folder, dirs, files in os.walk(env_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not (folder == str(env_dir) and d == "mplconfig"))
        for name in sorted(files):
            if name.startswith(".reachqa-") or name.endswith(".pyc"):
                continue
            path = os.path.join(folder, name)
            st = os.lstat(path)
            digest.update(f"{os.path.relpath(path, env_dir)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_mode}\n".encode())
            count += 1
    return digest.hexdigest(), count


def write_manifest(env_dir: Path) -> None:
    import json

    digest, count = _manifest_digest(env_dir)
    (env_dir / MANIFEST_NAME).write_text(json.dumps({"lock": lock_hash(), "digest": digest, "files": count}))


_VERIFIED: set[str] = set()


def verify_environment(env_dir: Path) -> None:
    """Refuse a render environment whose files changed since it was created.

    Every call checks the start-up files (a ``.pth`` or ``sitecustomize`` no installed package
    owns would run in every worker and in the host-side font-cache build); the first call in a
    process also compares every file's path, size and time with the manifest written at creation.
    An environment made before manifests existed is adopted once its start-up files pass.
    """
    import json

    signature = _startup_signature(env_dir)
    if _AUDITED.get(str(env_dir)) == signature:
        return
    problems = audit_startup_files(env_dir)
    if problems:
        raise RenderEnvironmentError(
            f"the render environment {env_dir} was modified and is not used: " + "; ".join(problems[:5])
            + ". Recreate it: reachqa env create faithful --force")
    if str(env_dir) in _VERIFIED:
        return
    manifest_path = env_dir / MANIFEST_NAME
    if not manifest_path.exists():
        write_manifest(env_dir)
        print(f"[reachqa] recorded a manifest of the render environment {env_dir} (start-up files checked)",
              file=sys.stderr)
    else:
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            manifest = {}
        digest, count = _manifest_digest(env_dir)
        if manifest.get("digest") != digest:
            raise RenderEnvironmentError(
                f"the render environment {env_dir} changed since it was created ({count} files now, "
                f"{manifest.get('files', '?')} then): not used. Recreate it: reachqa env create faithful --force")
    _VERIFIED.add(str(env_dir))
    _AUDITED[str(env_dir)] = signature


_AUDITED: dict[str, tuple] = {}


def _startup_signature(env_dir: Path) -> tuple:
    """Cheap stat signature of the start-up files and their folders (a change forces a new audit)."""
    sig = []
    for site in _site_dirs(env_dir):
        for path in [site, site.parent, *site.glob("*.pth"), *site.glob("*.dist-info")]:
            st = path.stat()
            sig.append((str(path), st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(sig)


def get_environment(name: str, create: bool = True) -> RenderEnvironment:
    """Resolve an environment name to a ready interpreter (creating ``faithful`` if needed)."""
    if name not in ENV_NAMES:
        raise RenderEnvironmentError(f"unknown render environment {name!r}; choose one of: {', '.join(ENV_NAMES)}")
    if name == "current":
        return RenderEnvironment("current", sys.executable, _current_fingerprint(), True, _interpreter_prefixes(sys.executable))
    target = faithful_env_dir()
    if not (target / ".reachqa-complete").exists():
        if not create:
            raise RenderEnvironmentError(f"the faithful render environment does not exist yet ({target}); "
                                         "run `reachqa env create faithful`")
        create_faithful_env()
    verify_environment(target)
    python = str(target / "bin" / "python")
    return RenderEnvironment("faithful", python, "faithful-" + lock_hash(), False, _interpreter_prefixes(python))
