"""Hostile chart scripts: each gets an error record for itself only; the others render unaffected."""

from __future__ import annotations

import hashlib
import socket
import threading
from pathlib import Path

import pytest

from reachqa_builder.render import render_scripts

GOOD_A = """
import matplotlib.pyplot as plt
import numpy as np
x = np.linspace(0, 10, 50)
plt.plot(x, np.sin(x) + np.random.rand(50) * 0.1, label="noisy sine")
plt.title("Sine")
plt.legend()
plt.show()
"""

GOOD_B = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(["a", "b", "c"], [3, 1, 2], color="tab:green")
ax.set_title("Bars")
fig.savefig("somewhere/else.png", bbox_inches="tight")
"""


def _hostile(tmp: Path, port: int) -> dict[str, str]:
    outside = tmp / "outside"
    return {
        "loop": "while True:\n    pass\n",
        "alloc": "import numpy as np\nx = np.ones(50 * 1024**3 // 8)\n",
        "alloc_bytes": "blob = bytearray(50 * 1024**3)\n",
        "forkbomb": "import os\nwhile True:\n    os.fork()\n",
        "forkbomb_ctypes": "import ctypes\nlibc = ctypes.CDLL(None)\nwhile True:\n    libc.fork()\n",
        "socket": f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\ns.sendall(b'leak')\n",
        "delete": f"import os\nos.remove({str(outside / 'keep.txt')!r})\n",
        "write": f"open({str(outside / 'new.txt')!r}, 'w').write('pwned')\n",
        "secret": "import os\nimport matplotlib.pyplot as plt\nplt.title(os.environ['OPENAI_API_KEY'])\nplt.show()\n",
        "system": f"import os\nrc = os.system('touch {outside / 'sys.txt'}')\nassert rc == 0\n",
        "segfault": "import ctypes\nctypes.string_at(0)\n",
        "exit": "import sys\nsys.exit(3)\n",
        "hard_exit": "import os\nos._exit(0)\n",
        "flood": "while True:\n    print('x' * 10000)\n",
        "syntax": "import matplotlib.pyplot as plt\nplt.plot([1, 2]\nplt.show(\n",
        "nofigure": "x = 1 + 1\n",
    }


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "outside").mkdir()
    (tmp / "outside" / "keep.txt").write_text("precious")
    received: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            received.append(conn.recv(100) or b"<connected>")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    scripts = {"good_a": GOOD_A, **_hostile(tmp, port), "good_b": GOOD_B}
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENAI_API_KEY", "sk-test-SECRET-1234567890")
    try:
        records = render_scripts(scripts, tmp / "out", env="current", workers=2, timeout=6, memory_mb=1024,
                                 cache_dir=tmp / "cache", progress=False)
    finally:
        mp.undo()
        stop.set()
        thread.join(2)
        server.close()
    alone = render_scripts({"good_a": GOOD_A, "good_b": GOOD_B}, tmp / "alone", env="current", workers=1,
                           use_cache=False, progress=False)
    return {r.id: r for r in records}, {r.id: r for r in alone}, tmp, received


def _err(records, sid):
    rec = records[sid]
    assert rec.status == "error", f"{sid} should fail, got {rec}"
    return rec.error


def test_good_scripts_render_unaffected(hostile_run):
    records, alone, tmp, _ = hostile_run
    for sid in ("good_a", "good_b"):
        assert records[sid].status == "ok", records[sid]
        assert records[sid].sha256 == alone[sid].sha256, "a hostile neighbour changed a good script's image"
        data = Path(records[sid].image).read_bytes()
        assert data[:3] == b"\xff\xd8\xff" and hashlib.sha256(data).hexdigest() == records[sid].sha256
    assert not (tmp / "somewhere").exists()


def test_infinite_loop_and_flood_time_out(hostile_run):
    records = hostile_run[0]
    assert _err(records, "loop").startswith("Timeout")
    assert _err(records, "flood").startswith("Timeout")


def test_huge_allocations_fail_with_memory_error(hostile_run):
    records = hostile_run[0]
    assert _err(records, "alloc").startswith("MemoryError")
    assert _err(records, "alloc_bytes").startswith("MemoryError")


def test_fork_bombs_are_contained(hostile_run):
    records = hostile_run[0]
    assert "creating processes" in _err(records, "forkbomb")
    # Through ctypes the audit hook is bypassed; the process limit and the timeout still hold.
    assert _err(records, "forkbomb_ctypes")


def test_no_network(hostile_run):
    records, _, _, received = hostile_run
    assert "socket" in _err(records, "socket").lower() or "network" in _err(records, "socket").lower()
    assert received == []


def test_no_writes_or_deletes_outside(hostile_run):
    records, _, tmp, _ = hostile_run
    _err(records, "delete")
    _err(records, "write")
    _err(records, "system")
    assert (tmp / "outside" / "keep.txt").read_text() == "precious"
    assert not (tmp / "outside" / "new.txt").exists()
    assert not (tmp / "outside" / "sys.txt").exists()
    assert "shell" in _err(records, "system")


def test_secrets_are_not_visible(hostile_run):
    records, _, tmp, _ = hostile_run
    error = _err(records, "secret")
    assert error.startswith("KeyError") and "SECRET" not in error
    report = (tmp / "out" / "render_report.jsonl").read_text()
    assert "sk-test-SECRET" not in report


def test_crashes_and_exits_are_reported(hostile_run):
    records = hostile_run[0]
    assert _err(records, "segfault").startswith("Crashed") and "SIGSEGV" in records["segfault"].error
    assert _err(records, "exit").startswith("SystemExit")
    assert _err(records, "hard_exit").startswith("Exited")


def test_syntax_error_and_no_figure(hostile_run):
    records = hostile_run[0]
    assert _err(records, "syntax").startswith("SyntaxError") and "line" in records["syntax"].error
    assert _err(records, "nofigure").startswith("NoFigure")


def test_report_has_one_line_per_script_in_order(hostile_run):
    import json

    records, _, tmp, _ = hostile_run
    lines = [json.loads(x) for x in (tmp / "out" / "render_report.jsonl").read_text().splitlines()]
    assert [ln["id"] for ln in lines] == list(records)
    for ln in lines:
        assert set(ln) >= {"id", "status", "error", "seconds", "sha256"}
        assert (ln["status"] == "ok") == (ln["sha256"] is not None)


def test_bubblewrap_hides_home_and_filesystem_is_read_only(tmp_path):
    probe = (
        "import os, matplotlib.pyplot as plt\n"
        "home = os.path.expanduser('~')\n"
        "ro = True\n"
        "try:\n"
        "    os.open('/etc/reachqa-probe', os.O_WRONLY | os.O_CREAT)\n"
        "    ro = False\n"
        "except OSError:\n"
        "    pass\n"
        "plt.title(f'{ro}')\n"
        "plt.show()\n"
    )
    recs = render_scripts({"probe": probe}, tmp_path / "o", env="current", use_cache=False, progress=False)
    # The audit hook refuses the write before the OS does; either way nothing is created.
    assert recs[0].status in ("ok", "error")
    assert not Path("/etc/reachqa-probe").exists()
