"""The original tool's way of rendering, shared by the benchmarks: a fresh interpreter per script."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable

from tqdm import tqdm


def one_process_per_script(python: str, scripts: Iterable[tuple[str, str]], out_dir: Path, workers: int,
                           timeout: float = 120.0) -> tuple[float, int]:
    """Run each ``(id, code)`` as ``python <id>.py`` with ``plt.show()`` replaced by a dpi-200 JPEG save,
    ``workers`` at a time. Returns (wall seconds, failures)."""
    scripts = list(scripts)
    out_dir.mkdir(parents=True, exist_ok=True)

    def run(item: tuple[str, str]) -> bool:
        sid, code = item
        target = out_dir / f"{sid}.jpg"
        save = f"plt.savefig({str(target)!r}, dpi=200)"
        code = code.replace("plt.show()", save) if "plt.show()" in code else code + f"\n{save}\n"
        script = out_dir / f"{sid}.py"
        script.write_text(code, encoding="utf-8")
        env = dict(os.environ, MPLBACKEND="Agg")
        try:
            done = subprocess.run([python, str(script)], cwd=out_dir, capture_output=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0 and target.exists()

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        ok = list(tqdm(pool.map(run, scripts), total=len(scripts), desc="baseline: one process per script"))
    return time.perf_counter() - start, ok.count(False)
