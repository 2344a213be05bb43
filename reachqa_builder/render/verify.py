"""Checks the parent makes on what comes back from a sandbox: nothing a worker says is trusted.

* :func:`check_jpeg` decodes the image outside the sandbox so a reply that is not a complete,
  decodable baseline/progressive JPEG never becomes an "ok" chart or a cache entry. It first walks
  the JPEG's markers in the caller (linear, no decoding: at most ``MAX_SCANS`` scans, at most
  ``MAX_PIXELS``), then decodes in a :class:`JpegChecker` helper process with its own memory
  and CPU limits and a deadline that grows with the image's size, so a decompression bomb costs
  a bounded moment of one helper, never the caller's memory or time.
* :func:`confined_output_path` maps an id to ``out_dir/<id>.jpg`` only when that stays inside
  ``out_dir``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

MAX_PIXELS = 40_000 * 40_000  # far above any chart (a 100 x 100 inch figure at 200 dpi is 20000 x 20000)
MAX_SCANS = 64  # matplotlib writes one scan; progressive encoders about ten
HELPER_MEMORY_MB = 768
HELPER_SECONDS = 5.0  # plus one second per MiB of JPEG


def jpeg_structure_problem(data: bytes) -> str | None:
    """What is wrong with ``data``'s JPEG framing (magic, end marker, scan count, size), found by
    walking its markers without decoding (time linear in its length); None when it looks sound."""
    if not data:
        return "the worker returned no image"
    if data[:3] != b"\xff\xd8\xff":
        return "the image is not a JPEG (bad magic bytes)"
    if data.rstrip(b"\x00")[-2:] != b"\xff\xd9":
        return "the JPEG is truncated (no end-of-image marker)"
    pos, scans, n = 2, 0, len(data)
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return f"the JPEG does not decode (no marker at byte {pos})"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if pos + 4 > n or length < 2:
            return "the JPEG does not decode (a malformed segment)"
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF) and pos + 9 <= n:
            height, width = int.from_bytes(data[pos + 5:pos + 7], "big"), int.from_bytes(data[pos + 7:pos + 9], "big")
            if width * height > MAX_PIXELS:
                return f"the JPEG is {width}x{height} pixels, larger than any chart"
        pos += 2 + length
        if marker == 0xDA:  # entropy-coded data follows: up to the next marker that is not a restart
            scans += 1
            if scans > MAX_SCANS:
                return f"the JPEG has more than {MAX_SCANS} scans"
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return "the JPEG is truncated inside a scan"
                nxt = data[pos + 1]
                if nxt == 0 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                    pos += 1 if nxt == 0xFF else 2
                    continue
                break
    return "the JPEG is truncated (no end-of-image marker)"


def check_jpeg(data: bytes, checker: "JpegChecker | None" = None) -> str | None:
    """None when ``data`` is one complete JPEG image; else what is wrong with it.

    The framing is checked here (:func:`jpeg_structure_problem`); the whole entropy-coded stream
    is then decoded, at 1/8 scale (JPEG's DCT scaling: every block is still parsed, but drawing
    costs about a sixtieth of a full decode), in ``checker``'s limited helper process, or in this
    process when none is given (trusted input only).
    """
    problem = jpeg_structure_problem(data)
    if problem is not None:
        return problem
    if checker is not None:
        return checker.decode_problem(data)
    return decode_problem(data)


def decode_problem(data: bytes) -> str | None:
    """What the decoder says about ``data`` (1/8-scale full decode), or None."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return f"the JPEG is {width}x{height} pixels, larger than any chart"
            image.draft("L", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except Exception as exc:  # noqa: BLE001 - any decoder complaint means "not a valid chart image"
        return f"the JPEG does not decode ({type(exc).__name__}: {exc})"
    return None


def confined_output_path(out_dir: str | os.PathLike, sid: str) -> Path | None:
    """``out_dir/<sid>.jpg`` if that is a plain file directly inside ``out_dir``; else None."""
    if not isinstance(sid, str) or not sid or "\x00" in sid or sid.startswith(".") or "/" in sid or os.sep in sid:
        return None
    if len(os.fsencode(f"{sid}.jpg")) > 255:  # longer than a file name may be
        return None
    out = Path(out_dir)
    target = out / f"{sid}.jpg"
    if target.parent != out or target.name != f"{sid}.jpg":
        return None
    return target


_HELPER = r"""
import os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
sys.path.insert(0, HERE)
from verify import decode_problem
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = inp.read(8)
    if len(head) < 8:
        break
    data = inp.read(int.from_bytes(head, "big"))
    try:
        answer = decode_problem(data) or ""
    except MemoryError:
        answer = "the JPEG needs more memory to decode than any chart"
    out.write(answer.replace("\n", " ").encode("utf-8", "replace")[:2000] + b"\n")
    out.flush()
"""


class JpegChecker:
    """Decodes JPEGs in helper processes (one per concurrent caller, started on first use) with a
    memory limit and a deadline that scales with the image; thread-safe. Use as a context manager."""

    def __init__(self) -> None:
        import queue

        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._all: list = []

    def _start(self):
        import subprocess
        import sys

        code = _HELPER.replace("MEMORY", str(HELPER_MEMORY_MB << 20)).replace("HERE", repr(str(Path(__file__).parent)))
        proc = subprocess.Popen([sys.executable, "-I", "-B", "-c", code], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._all.append(proc)
        return proc

    def decode_problem(self, data: bytes) -> str | None:
        import queue
        import select
        import time

        try:
            proc = self._idle.get_nowait()
        except queue.Empty:
            proc = self._start()
        deadline = time.monotonic() + HELPER_SECONDS + len(data) / (1 << 20)
        answer = None
        try:
            proc.stdin.write(len(data).to_bytes(8, "big") + data)
            proc.stdin.flush()
            fd = proc.stdout.fileno()
            buf = b""
            while not buf.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                ready = select.select([fd], [], [], max(0.0, remaining))[0] if remaining > 0 else []
                if not ready:
                    break
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
            if buf.endswith(b"\n"):
                answer = buf[:-1].decode("utf-8", "replace")
        except OSError:
            pass
        if answer is None:  # late, crashed or killed by its limits: this image is the cause
            proc.kill()
            proc.wait()
            return ("the JPEG could not be decoded within the checker's limits "
                    f"({HELPER_MEMORY_MB} MiB, {HELPER_SECONDS + len(data) / (1 << 20):.1f} s)")
        self._idle.put(proc)
        return answer or None

    def close(self) -> None:
        for proc in self._all:
            try:
                proc.stdin.close()
                proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                proc.kill()
        self._all = []

    def __enter__(self) -> "JpegChecker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
