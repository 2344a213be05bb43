"""What each piece of a sandboxed script's set-up costs: per-job time of a script that does nothing.

    python bench/render_setup.py [--n 200] [--env current] [--rounds 3]

One warm worker (started before timing), ``--n`` copies of a script that draws nothing (each gets
a ``NoFigure`` record: the job's whole set-up and tear-down, nothing of matplotlib's drawing), per
setting, rounds alternating the order of the settings:

* full: this round's isolation (pristine template, own pipes, fresh tmpfs folder and /dev/shm,
  read-only /tmp, job seccomp filter);
* each test-only weakening that removes one piece (``SandboxSettings(weaken=...)``): the difference
  to ``full`` is that piece's cost per script.
Prints the median ms per job of each setting and its difference to ``full``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SETTINGS = {
    "full": frozenset(),
    "no fresh tmpfs folder (shared /tmp)": frozenset({"fresh_tmp"}),
    "no template (forked from the worker)": frozenset({"zygote"}),
    "no seccomp filters": frozenset({"seccomp"}),
    "none of the three": frozenset({"fresh_tmp", "zygote", "seccomp"}),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--env", default="current")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from reachqa_builder.render import render_scripts
    from reachqa_builder.render.sandbox import SandboxSettings

    scripts = {f"s{i:04d}": f"x = {i}\n" for i in range(args.n)}
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = list(SETTINGS) if r % 2 == 0 else list(reversed(SETTINGS))
            for name in order:
                sandbox = SandboxSettings(weaken=SETTINGS[name])
                kw = dict(env=args.env, workers=1, use_cache=False, progress=False, inspect=False, sandbox=sandbox,
                          report=False)
                render_scripts({"warm": "x = 0\n"}, Path(tmp) / "warm", **kw)  # starts the kept worker
                start = time.perf_counter()
                records = render_scripts(scripts, Path(tmp) / f"{r}", **kw)
                times[name].append((time.perf_counter() - start) / args.n * 1000)
                assert all((rec.error or "").startswith("NoFigure") for rec in records), records[0]
                print(f"  round {r + 1}: {name:40s} {times[name][-1]:7.2f} ms/job", flush=True)
    full = statistics.median(times["full"])
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:40s} median {med:7.2f} ms/job  ({med - full:+.2f} ms vs full)")


if __name__ == "__main__":
    main()
