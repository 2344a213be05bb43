"""Runs the red-team chart scripts against the real sandbox and deliberately weakened ones.

    python render_attacks_driver.py WORKDIR      # prints one JSON object (the observations)

Run by test_render_attacks.py as root and as an unprivileged user (setpriv), so it only uses
WORKDIR (readable and writable by that user) and the public interface (render_scripts).
Every attack script reports through its own record: ``ATTACK-WORKED ...`` when it got what it
wanted, ``ATTACK-BLOCKED ...`` when the system refused; the driver adds what it sees from outside
(files written, connections, images of good scripts).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from reachqa_builder.render import SandboxSettings, SandboxUnavailableError, render_scripts
from reachqa_builder.render.sandbox import WEAKENINGS

GOOD = {
    "good_a": "import matplotlib.pyplot as plt\nimport numpy as np\nx = np.linspace(0, 10, 50)\n"
              "plt.plot(x, np.sin(x) + np.random.rand(50) * 0.1)\nplt.title('Sine')\nplt.show()\n",
    "good_b": "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(5, 3))\n"
              "ax.bar(['a', 'b', 'c'], [3, 1, 2], color='tab:green')\nax.set_title('Bars')\nfig.savefig('x.png')\n",
    "good_c": "import matplotlib.pyplot as plt\nplt.pie([1, 2, 3], labels=['x', 'y', 'z'])\nplt.show()\n",
    "good_d": "import matplotlib.pyplot as plt\nplt.scatter([1, 2, 3], [3, 1, 2])\nplt.title('Dots')\nplt.show()\n",
    "good_e": "import matplotlib.pyplot as plt\nplt.barh(['p', 'q'], [2, 5])\nplt.show()\n",
}

PRELUDE = "import ctypes, os, io, json, time, glob\nlibc = ctypes.CDLL(None, use_errno=True)\n"


def attacks(work: Path) -> dict[str, str]:
    home = work / "home"
    forged_jpeg = ("from PIL import Image\nbuf = io.BytesIO(); Image.new('RGB', (64, 64), 'red').save(buf, 'JPEG')\n"
                   "forged = buf.getvalue()\n")

    def forge(target: str) -> str:
        return PRELUDE + forged_jpeg + (
            f"msg = json.dumps({{'id': {target!r}, 'status': 'ok', 'error': None, 'seconds': 0.1, "
            "'nbytes': len(forged)}).encode() + b'\\n' + forged\n"
            "fd = libc.open(f'/proc/{os.getppid()}/fd/1'.encode(), 1)\n"
            "if fd < 0:\n    raise RuntimeError(f'ATTACK-BLOCKED open errno {ctypes.get_errno()}')\n"
            "libc.write(fd, msg, len(msg))\n"
            "raise RuntimeError('ATTACK-WORKED forged reply written')\n")

    return {
        # 1. capabilities and dangerous system calls
        "cap_escape": PRELUDE + (
            "hdr = (ctypes.c_uint32 * 2)(0x20080522, 0); data = (ctypes.c_uint32 * 6)(); libc.capget(hdr, data)\n"
            "eff = data[0] | (data[3] << 32)\n"
            "done = []\n"
            "if libc.unshare(0x10000000 | 0x00020000) == 0: done.append('unshare')\n"
            "if libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) == 0: done.append('mount')\n"
            "if libc.syscall(250, 0, 0, 0, 0, 0) == 0 or ctypes.get_errno() != 1: done.append('keyctl')\n"
            "raise RuntimeError(('ATTACK-WORKED' if eff or done else 'ATTACK-BLOCKED') + f' caps={eff:x} {done}')\n"),
        "home_escape": PRELUDE + (
            f"home = {str(home)!r}\n"
            "libc.umount2(home.encode(), 2)\n"
            "try:\n    data = open(home + '/.netrc').read()\nexcept OSError as exc:\n    data = str(exc)\n"
            "raise RuntimeError(('ATTACK-WORKED ' if 'NETRC-SECRET' in data else 'ATTACK-BLOCKED ') + data[:80])\n"),
        # 2. forged results through the protocol pipe
        "forge_other": forge("good_b"),
        "forge_unknown": forge("no-such-id"),
        "forge_path": forge(str(work / "pwned")),
        # 3. a process that outlives its job and forges later charts
        "daemon": PRELUDE + forged_jpeg + (
            "root = os.path.dirname(os.getcwd())\n"
            "if libc.fork() == 0:\n"
            "    libc.setsid()\n"
            "    for fd in range(3, 256):\n        libc.close(fd)\n"
            "    end = time.time() + 30\n"
            "    while time.time() < end:\n"
            "        for d in glob.glob(root + '/job-*'):\n"
            "            p = (d + '/__chart__.jpg').encode()\n"
            "            fd = libc.open(p, 0o1001, 0o600)\n"
            "            if fd >= 0:\n                libc.write(fd, forged, len(forged)); libc.close(fd)\n"
            "        time.sleep(0.0005)\n"
            "    libc._exit(0)\n"
            "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]); plt.show()\n"),
        # 4. reading host data
        # a host file outside the home folder (the weakened layout shows all of / but home and /tmp,
        # wherever the checkout lives)
        "host_read": (f"try:\n    data = open({str(work / 'host-file.txt')!r}).read()\nexcept OSError as exc:\n"
                      "    raise RuntimeError(f'ATTACK-BLOCKED {exc}')\nraise RuntimeError('ATTACK-WORKED read a host file')\n"),
        "host_socket": PRELUDE + (
            "fd = libc.socket(1, 1, 0)\n"
            f"path = {str(work / 'host.sock')!r}.encode()\n"
            "addr = ctypes.create_string_buffer(110); addr[0:2] = (1).to_bytes(2, 'little'); addr[2:2 + len(path)] = path\n"
            "rc = libc.connect(fd, addr, 110)\n"
            "raise RuntimeError(('ATTACK-WORKED connected' if rc == 0 else f'ATTACK-BLOCKED errno {ctypes.get_errno()}'))\n"),
        "shadow": ("try:\n    data = open('/etc/shadow').read()\nexcept OSError as exc:\n"
                   "    raise RuntimeError(f'ATTACK-BLOCKED {exc}')\nraise RuntimeError('ATTACK-WORKED read /etc/shadow')\n"),
        # 5. memory held in /dev/shm
        "shm_fill": PRELUDE + (
            "chunk = b'x' * (1 << 20); total = 0\n"
            "for i in range(8):\n"
            "    fd = libc.open(f'/dev/shm/fill{i}'.encode(), 0o101, 0o600)\n"
            "    if fd < 0: break\n"
            "    for j in range(32):\n"
            "        n = libc.write(fd, chunk, len(chunk))\n"
            "        if n <= 0: break\n"
            "        total += n\n"
            "    libc.close(fd)\n"
            "raise RuntimeError(('ATTACK-WORKED' if total >= 200 << 20 else 'ATTACK-BLOCKED') + f' wrote {total >> 20} MiB')\n"),
        # 6. denial of service against the worker
        "break_mounts": PRELUDE + (
            "rc = libc.umount2(b'/tmp', 2)\n"
            "raise RuntimeError('ATTACK-WORKED unmounted /tmp' if rc == 0 else f'ATTACK-BLOCKED errno {ctypes.get_errno()}')\n"),
        "stop_worker": PRELUDE + (
            "ppid = os.getppid()\n"
            "rc = libc.kill(ppid, 19) if ppid > 1 else -1\n"
            "raise RuntimeError(f'ATTACK-WORKED stopped {ppid}' if rc == 0 else f'ATTACK-BLOCKED ppid={ppid}')\n"),
    }


ENVIRON_READ = ("import glob\nfound = ''\nfor p in glob.glob('/proc/[0-9]*/environ'):\n"
                "    try:\n        data = open(p, 'rb').read()\n    except OSError:\n        continue\n"
                "    if b'REACHQA-ATTACK-SECRET' in data:\n        found = p\n        break\n"
                "raise RuntimeError(('ATTACK-WORKED ' + found) if found else 'ATTACK-BLOCKED')\n")


def order(work: Path) -> dict[str, str]:
    """One worker, in this order: attacks on later jobs come before the good scripts they hit."""
    a = attacks(work)
    return {"good_a": GOOD["good_a"], "cap_escape": a["cap_escape"], "home_escape": a["home_escape"],
            "good_b": GOOD["good_b"], "forge_other": a["forge_other"], "forge_unknown": a["forge_unknown"],
            "host_read": a["host_read"], "host_socket": a["host_socket"],
            "shadow": a["shadow"], "shm_fill": a["shm_fill"], "break_mounts": a["break_mounts"],
            "good_c": GOOD["good_c"], "daemon": a["daemon"], "good_d": GOOD["good_d"], "good_e": GOOD["good_e"],
            "stop_worker": a["stop_worker"], "good_tail": GOOD["good_a"].replace("Sine", "Tail")}


# --- isolation between scripts, per-script limits, hostile results -----------------------

TOKEN = "PRIVATE-TOKEN-" + "7f3a9c"  # in one script's source only; the scanner builds its needle in halves

HEAP_SCAN = PRELUDE + (
    "import gc, sys\n"
    "needle = ('PRIVATE-TOKEN' + '-7f3a9c')\n"
    "found = []\n"
    "def look(v, where):\n"
    "    if isinstance(v, str) and v is not needle and needle in v: found.append(where)\n"
    "    if isinstance(v, (bytes, bytearray)) and (needle.encode() in v or v[:3] == b'\\xff\\xd8\\xff'):\n"
    "        found.append(where + ' bytes')\n"
    "f = sys._getframe()\n"
    "while f is not None:\n"
    "    for k, v in list(f.f_locals.items()):\n"
    "        look(v, 'frame ' + f.f_code.co_name + '.' + k)\n"
    "        if isinstance(v, dict):\n"
    "            for x in list(v.values()): look(x, 'frame dict ' + k)\n"
    "    f = f.f_back\n"
    "for o in gc.get_objects():\n"
    "    if isinstance(o, dict) and o is not globals():\n"
    "        for x in list(o.values()): look(x, 'heap dict')\n"
    "    elif isinstance(o, (list, tuple)):\n"
    "        for x in list(o): look(x, 'heap list')\n"
    "# raw memory of the C heap (freed blocks included): copied through a pipe, so unmapped pages fail softly\n"
    "r, w = os.pipe(); top = libc.sbrk(ctypes.c_long(0)); libc.sbrk.restype = ctypes.c_void_p\n"
    "top = libc.sbrk(ctypes.c_long(0)) or 0\n"
    "libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]\n"
    "for addr in range(top - (96 << 20), top, 1 << 16):\n"
    "    if libc.write(w, addr, 1 << 16) == 1 << 16 and needle.encode() in os.read(r, 1 << 16):\n"
    "        found.append('raw heap'); break\n"
    "raise RuntimeError(('ATTACK-WORKED ' + str(sorted(set(found))[:4])) if found else 'ATTACK-BLOCKED nothing of other jobs')\n")


def attacks_between_jobs() -> dict[str, str]:
    draw = "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2]); plt.title('{t}')\nplt.show()\n"
    return {
        "token_holder": f"# {TOKEN}\n" + draw.format(t="holder"),
        "heap_scan": HEAP_SCAN,
        # a job that chmods the folder above it and leaves a file in /tmp for later jobs
        "tmp_chmod": PRELUDE + (
            "fd = libc.open(b'/tmp/persist-marker', 0o101, 0o644); libc.close(fd)\n"
            "rc = libc.chmod(os.path.dirname(os.getcwd()).encode(), 0o500)\n"
            "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\n"),
        "tmp_victim": ("import os\nif os.path.exists('/tmp/persist-marker'):\n"
                       "    raise RuntimeError('ATTACK-WORKED a file of an earlier job is here')\n"
                       "raise RuntimeError('ATTACK-BLOCKED /tmp is fresh')\n"),
        "good_after": draw.format(t="after"),
        "inode_fill": PRELUDE + (
            "n = 0\n"
            "for i in range(6000):\n"
            "    fd = libc.open(f'f{i}'.encode(), 0o101, 0o600)\n"
            "    if fd < 0: break\n"
            "    libc.close(fd); n += 1\n"
            "raise RuntimeError(('ATTACK-WORKED' if n == 6000 else 'ATTACK-BLOCKED') + f' files={n} errno={ctypes.get_errno()}')\n"),
        "memfd_hold": PRELUDE + (
            "fd = libc.syscall(319, b'hold', 0)\n"
            "chunk = b'x' * (1 << 20); total = 0\n"
            "if fd >= 0:\n"
            "    for i in range(64): total += max(0, libc.write(fd, chunk, len(chunk)))\n"
            "raise RuntimeError(('ATTACK-WORKED' if total >= 64 << 20 else 'ATTACK-BLOCKED') + f' memfd={fd} held={total >> 20} MiB')\n"),
        "fork_count": PRELUDE + (
            "n = 0\n"
            "for i in range(80):\n"
            "    pid = libc.fork()\n"
            "    if pid == 0:\n        time.sleep(3); libc._exit(0)\n"
            "    if pid < 0: break\n"
            "    n += 1\n"
            "raise RuntimeError(('ATTACK-WORKED' if n > 64 else 'ATTACK-BLOCKED') + f' processes={n}')\n"),
        "vsock": PRELUDE + (
            "fd = libc.socket(40, 1, 0)\n"
            "raise RuntimeError((f'ATTACK-WORKED fd={fd}' if fd >= 0 else f'ATTACK-BLOCKED errno={ctypes.get_errno()}'))\n"),
        "sysinfo": PRELUDE + (
            "buf = ctypes.create_string_buffer(256)\n"
            "rc = libc.sysinfo(buf)\n"
            "raise RuntimeError('ATTACK-WORKED host load visible' if rc == 0 else f'ATTACK-BLOCKED errno={ctypes.get_errno()}')\n"),
        # the word below makes the old worker import seaborn for every later job
        "seaborn_word": "# styled like seaborn\n" + draw.format(t="word"),
        "cmap_count": "import matplotlib\nraise RuntimeError(f'PROBE cmaps={len(matplotlib.colormaps)}')\n",
    }


def _reply(message: str) -> str:
    """A script that writes its own result message (``message``: a Python expression of a dict) on its
    result pipe and ends: what a script that took over its job process can send the parent."""
    return ("import functools, io, json, os, stat\nfrom PIL import Image\n"
            "buf = io.BytesIO(); Image.new('RGB', (64, 64), 'red').save(buf, 'JPEG'); img = buf.getvalue()\n"
            f"msg = {message}\n"
            "data = json.dumps(dict(msg, nbytes=len(img))).encode() + b'\\n' + img\n"
            "fd = next(f for f in range(3, 256) if _ok(f))\n"
            "while data: data = data[os.write(fd, data):]\n"
            "os._exit(0)\n").replace("fd = next", "def _ok(f):\n    try:\n        return stat.S_ISFIFO(os.fstat(f).st_mode)\n"
                                     "    except OSError:\n        return False\nfd = next")


def hostile_replies() -> dict[str, str]:
    deep = "functools.reduce(lambda inner, _: {'x': inner}, range(600), 1)"
    pad = "('\\x00' * (40 << 20))"
    return {
        "unhashable_kind": _reply("{'status': 'ok', 'error': None, 'extra': {'inspect': {'lint': [{'kind': ['x'], "
                                  "'severity': 'severe', 'detail': 'd'}]}}}"),
        "huge_int": _reply("{'status': 'ok', 'error': None, 'extra': {'inspect': {'plotted': {'series': [{'kind': 'bar', "
                           "'label': 'b', 'values': [10**400]}], 'texts': []}}}}"),
        "forged_extra": _reply("{'status': 'ok', 'error': None, 'extra': {'status': 'ok', 'sha256': '0' * 64, "
                               "'reviewed_by': 'FORGED-REVIEWER', 'pad': 'x' * 900000}}"),
        "deep_extra": _reply("{'status': 'ok', 'error': None, 'extra': {'deep': " + deep + "}}"),
        "bad_types": _reply("{'status': ['ok'], 'error': {'a': 1}, 'extra': []}"),
        "big_reply": ("import io, json, os, stat\nfrom PIL import Image\n"
                      "buf = io.BytesIO(); Image.new('RGB', (64, 64), 'red').save(buf, 'JPEG'); img = buf.getvalue()\n"
                      f"img += {pad}.encode()\n"
                      "data = json.dumps({'status': 'ok', 'error': None, 'nbytes': len(img)}).encode() + b'\\n' + img\n"
                      "def _ok(f):\n    try:\n        return stat.S_ISFIFO(os.fstat(f).st_mode)\n    except OSError:\n"
                      "        return False\nfd = next(f for f in range(3, 256) if _ok(f))\n"
                      "view = memoryview(data)\nwhile view: view = view[os.write(fd, view):]\nos._exit(0)\n"),
        "x" * 245: GOOD["good_c"],
        "good_last": GOOD["good_d"],
    }


def summary(records) -> dict:
    return {r.id: {"status": r.status, "error": r.error, "sha256": r.sha256, "cached": r.cached} for r in records}


def run(scripts, out, timeout=5, **kw) -> dict:
    start = time.monotonic()
    try:
        records = render_scripts(scripts, out, env="current", workers=1, timeout=timeout, memory_mb=1024, progress=False,
                                 keep_workers=False, **kw)
        result = {"records": summary(records)}
    except Exception as exc:  # noqa: BLE001 - a weakened run may crash: that is an observation
        result = {"raised": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
    result["seconds"] = round(time.monotonic() - start, 2)
    result["files"] = {p.name: __import__("hashlib").sha256(p.read_bytes()).hexdigest()
                       for p in Path(out).glob("*.jpg")} if Path(out).is_dir() else {}
    return result


def main() -> None:
    work = Path(sys.argv[1])
    (work / "home").mkdir(exist_ok=True)
    (work / "home" / ".netrc").write_text("machine example.com password NETRC-SECRET\n")
    (work / "host-file.txt").write_text("a host file\n")
    os.environ["HOME"] = str(work / "home")
    assert "REACHQA-ATTACK-SECRET" in os.environ.get("OPENAI_API_KEY", ""), "start the driver with the secret"
    connections: list[str] = []
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(work / "host.sock"))
    server.listen(5)
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                connections.append("connected")
                conn.close()
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    scripts = order(work)
    obs: dict = {"uid": os.getuid()}
    try:
        obs["clean"] = run({k: v for k, v in scripts.items() if k.startswith("good")}, work / "clean", use_cache=False)
        obs["real"] = run(scripts, work / "real", cache_dir=work / "cache")
        obs["real_connections"] = len(connections)
        obs["cached"] = run(scripts, work / "cached", cache_dir=work / "cache")
        connections.clear()
        weak = SandboxSettings(weaken=WEAKENINGS - {"attribution"})
        obs["weak"] = run(scripts, work / "weak", use_cache=False, sandbox=weak)
        obs["weak_connections"] = len(connections)
        # The weakest setting (the parent also trusts reply ids): forged replies land.
        a = attacks(work)
        obs["forge_weakest"] = run({"good_b": GOOD["good_b"], "forge_other": a["forge_other"],
                                    "forge_path": a["forge_path"], "forge_unknown": a["forge_unknown"]},
                                   work / "forged", use_cache=False, sandbox=SandboxSettings(weaken=WEAKENINGS))
        obs["pwned_exists"] = (work / "pwned.jpg").exists()
        # One worker: attacks on later jobs before the jobs they hit.
        jobs = attacks_between_jobs()
        obs["jobs_alone"] = run({"cmap_count": jobs["cmap_count"], "good_after": jobs["good_after"]},
                                work / "jobs-alone", use_cache=False)
        obs["jobs_real"] = run(jobs, work / "jobs-real", use_cache=False)
        obs["jobs_weak"] = run(jobs, work / "jobs-weak", use_cache=False,
                               sandbox=SandboxSettings(weaken={"zygote", "fresh_tmp", "seccomp"}))
        replies = hostile_replies()
        obs["replies_real"] = run(replies, work / "replies", cache_dir=work / "replies-cache", timeout=30)
        obs["replies_report"] = (work / "replies" / "render_report.jsonl").read_text()
        obs["replies_weak"] = run(replies, work / "replies-weak", use_cache=False, timeout=30,
                                  sandbox=SandboxSettings(weaken={"reply_checks"}))
        weak_report = work / "replies-weak" / "render_report.jsonl"
        obs["replies_weak_report"] = weak_report.read_text() if weak_report.exists() else ""
        # 7. without bubblewrap
        nobwrap = work / "nobwrap-bin"
        nobwrap.mkdir(exist_ok=True)
        path = os.environ["PATH"]
        os.environ["PATH"] = str(nobwrap)
        tempfile.tempdir = str(work / "tmp")
        (work / "tmp").mkdir(exist_ok=True)
        try:
            try:
                render_scripts({"good_a": GOOD["good_a"]}, work / "refused", env="current", progress=False,
                               use_cache=False)
                obs["unsafe_refused"] = None
            except SandboxUnavailableError as exc:
                obs["unsafe_refused"] = str(exc)
            marker = work / "daemon-marker"
            keepalive = ("import ctypes, time\nlibc = ctypes.CDLL(None)\nif libc.fork() == 0:\n    libc.setsid()\n"
                         "    for fd in range(3, 256):\n        libc.close(fd)\n    end = time.time() + 20\n"
                         "    while time.time() < end:\n"
                         f"        f = libc.open({str(marker)!r}.encode(), 0o1101, 0o644)\n"
                         "        libc.close(f); time.sleep(0.1)\n    libc._exit(0)\n"
                         "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\n")
            unsafe_scripts = {"environ_read": ENVIRON_READ, "keepalive": keepalive, "good_a": GOOD["good_a"]}
            for name, settings in (("unsafe", SandboxSettings(unsafe_no_sandbox=True)),
                                   ("unsafe_weak", SandboxSettings(unsafe_no_sandbox=True, weaken={"job_isolation", "caps", "seccomp"}))):
                marker.unlink(missing_ok=True)
                obs[name] = run(unsafe_scripts, work / name, use_cache=False, sandbox=settings)
                time.sleep(0.5)
                before = marker.stat().st_mtime_ns if marker.exists() else None
                time.sleep(1.0)
                after = marker.stat().st_mtime_ns if marker.exists() else None
                obs[name]["survivor"] = before is not None and after != before
            obs["tmp_left"] = sorted(os.listdir(work / "tmp"))
        finally:
            os.environ["PATH"] = path
            tempfile.tempdir = None
    finally:
        stop.set()
        server.close()
    print(json.dumps(obs))


if __name__ == "__main__":
    main()
