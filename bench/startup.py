"""How fast `reachqa --help` and `reachqa CMD --help` start.

Baseline, in the same run: the same help with the training stack imported first, as every command
did before the sub-commands loaded torch and transformers only when they ran (the old
``reachqa.commands`` entry point ``training.train:configure`` imported them at load time).

    .venv/bin/python bench/startup.py [--repeat 5]

Prints the median wall seconds of each and the ratio. Run it on a quiet machine: both sides are
dominated by reading files, so load on the machine moves both.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

HELP = "import sys; from reachqa_builder.cli import main; sys.argv[0] = 'reachqa'; main(sys.argv[1:])"
CASES = {"reachqa --help": ["--help"], "reachqa render --help": ["render", "--help"],
         "reachqa train --help": ["train", "--help"]}


def _seconds(code: str, argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *argv], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side (the median is shown)")
    args = parser.parse_args()
    eager = "import torch, transformers, training.train; " + HELP  # the baseline: the old load-time imports
    print(f"{'case':<24} {'baseline s':>10} {'now s':>8} {'ratio':>7}")
    for name, argv in CASES.items():
        base, now = [], []
        for _ in range(args.repeat):  # interleaved, so load changes hit both sides alike
            base.append(_seconds(eager, argv))
            now.append(_seconds(HELP, argv))
        b, n = statistics.median(base), statistics.median(now)
        print(f"{name:<24} {b:>10.2f} {n:>8.2f} {b / n:>6.1f}x")


if __name__ == "__main__":
    main()
