"""Render speed: warm sandboxed workers vs a new Python process per script (the original tool's way).

    python bench/render.py [--n 100] [--env faithful] [--workers N] [--no-baseline] [--repeat 3] [--chunk 10]

On the first N ReachQA test scripts, in one run and in the same render environment:
  * baseline: a thread pool of N workers, each script run as `python script.py` in a fresh process
    with `plt.show()` replaced by a dpi-200 JPEG save (the original tool's approach);
  * reachqa: `render_scripts` (warm workers, fork per script, sandbox), cold: worker start-up included,
    no render cache;
  * limit, two ways: the same scripts executed one after another in a single warm process (pure
    render time) divided by the worker count; and N warm in-process workers (no isolation, no fork)
    taking the scripts from one shared queue, timed from when they are ready, which also has the
    machine's real parallel speed and the tail of the last scripts that sum / N leaves out;
  * interleaved (the headline figure): both sides already started (the sandboxed pool and the N
    warm in-process workers), given the same chunks of ``--chunk`` scripts one after the other,
    alternating which side goes first per chunk. A shared VM's speed drifts by tens of percent
    within minutes; a few seconds apart, both sides see the same machine.
Each side runs ``--repeat`` rounds, alternating order. Prints wall times, per-chart costs and the
ratios (best time of each side, median round, and for the interleaved chunks the total and the
median chunk).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The released test scripts: ../shared/reachqa-data next to the checkout (or above a worktree).
DATA = next((p / "shared" / "reachqa-data" / "reachqa_test" / "code" for p in ROOT.parents
             if (p / "shared" / "reachqa-data").is_dir()), ROOT.parent / "shared" / "reachqa-data" / "reachqa_test" / "code")

# Run in the render environment's interpreter: one script, executed in this warm process.
_RUN_ONE = r"""
import sys, time, json, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def run_one(path):
    code = open(path).read()
    out = sys.argv[1] + "/" + path.rsplit("/", 1)[-1][:-3] + ".jpg"
    plt.show = lambda *a, **k: plt.gcf().savefig(out, dpi=200)
    t = time.perf_counter()
    try:
        exec(compile(code, path, "exec"), {"__name__": "__main__"})
    except Exception:
        pass
    plt.close("all")
    return time.perf_counter() - t
"""
# the scripts given as arguments, one after another; prints their exec times
SEQUENTIAL = _RUN_ONE + "print(json.dumps([run_one(p) for p in sys.argv[2:]]))\n"
# a warm worker: a script path per line on stdin, its exec time per line on stdout
WARM_WORKER = _RUN_ONE + """print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps(run_one(line.strip())), flush=True)
"""


def _limit(python: str, scripts: list[Path], out: Path, workers: int) -> float:
    """The pure in-process render time of ``scripts`` (one warm process, sum of exec times) / workers."""
    out.mkdir()
    proc = subprocess.run([python, "-c", SEQUENTIAL, str(out), *map(str, scripts)],
                          capture_output=True, text=True, env=dict(os.environ, MPLBACKEND="Agg"))
    return sum(json.loads(proc.stdout.strip().splitlines()[-1])) / workers


class WarmInProcessWorkers:
    """``n`` warm in-process workers (no isolation, no fork) taking scripts from one shared queue: the
    same hardware parallelism (and the same tail of the last scripts) as the sandboxed pool, without
    any of its costs. The processes stay up between :meth:`run` calls."""

    def __init__(self, python: str, out: Path, n: int) -> None:
        out.mkdir()
        self.procs = [subprocess.Popen([python, "-c", WARM_WORKER, str(out)], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                       env=dict(os.environ, MPLBACKEND="Agg")) for _ in range(n)]
        for p in self.procs:
            assert p.stdout.readline().strip() == "ready"

    def run(self, scripts: list[Path]) -> float:
        """Wall time until every script has run."""
        import queue
        import threading

        todo: queue.Queue = queue.Queue()
        for path in scripts:
            todo.put(str(path))

        died: list[str] = []

        def serve(p) -> None:
            while True:
                try:
                    path = todo.get_nowait()
                except queue.Empty:
                    return
                p.stdin.write(path + "\n")
                p.stdin.flush()
                if not p.stdout.readline():  # the worker died: its scripts would go uncounted
                    died.append(path)
                    return

        start = time.perf_counter()
        threads = [threading.Thread(target=serve, args=(p,)) for p in self.procs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if died:
            raise RuntimeError(f"an in-process limit worker died on {died}; the limit would leave scripts out")
        return time.perf_counter() - start

    def close(self) -> None:
        for p in self.procs:
            p.stdin.close()
            p.wait()


def _parallel_limit(python: str, scripts: list[Path], out: Path, workers: int) -> float:
    """Wall time of ``workers`` warm in-process workers on all of ``scripts``, timed from when they are ready."""
    limit = WarmInProcessWorkers(python, out, workers)
    try:
        return limit.run(scripts)
    finally:
        limit.close()


@dataclass
class Interleaved:
    """One interleaved round: each side's total over the chunks, per-chunk ratios, and each side's
    start-up (the sandboxed pool until its workers have rendered a first trivial chart, the
    in-process workers until they are ready)."""

    ours: float = 0.0
    limit: float = 0.0
    failed: int = 0  # scripts that failed on the sandboxed side (fast failures would flatter it)
    chunk_ratios: list[float] = field(default_factory=list)
    ours_start: float = 0.0
    limit_start: float = 0.0


def _interleaved(python: str, scripts: list[Path], tmp: Path, workers: int, chunk: int, env: str,
                 inspect: bool, sandbox) -> Interleaved:
    """Both sides warm (started sandboxed pool, started in-process workers), run on the same chunks of
    ``chunk`` scripts one after the other, alternating which goes first, so a drift in the machine's
    speed hits both alike. Both sides' processes are closed at the end."""
    from reachqa_builder.render import render_scripts
    from reachqa_builder.render.shared_pools import close_pools

    result = Interleaved()

    warm_up = {f"warm-up-{i}": "import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()\n"
               for i in range(workers)}  # one per worker: a smaller pool would be replaced by the first chunk
    start = time.perf_counter()
    render_scripts(warm_up, tmp / "warm-up", env=env, workers=workers, use_cache=False, progress=False,
                   keep_workers=True, inspect=inspect, sandbox=sandbox)
    result.ours_start = time.perf_counter() - start
    start = time.perf_counter()
    limit = WarmInProcessWorkers(python, tmp / "limit", workers)
    result.limit_start = time.perf_counter() - start
    try:
        for i in range(0, len(scripts), chunk):
            part = scripts[i:i + chunk]

            def ours() -> float:
                start = time.perf_counter()
                records = render_scripts(part, tmp / f"chunk{i}", env=env, workers=workers, use_cache=False,
                                         progress=False, keep_workers=True, inspect=inspect, sandbox=sandbox)
                elapsed = time.perf_counter() - start
                result.failed += sum(r.status != "ok" for r in records)
                return elapsed

            if (i // chunk) % 2 == 0:
                t_ours, t_limit = ours(), limit.run(part)
            else:
                t_limit, t_ours = limit.run(part), ours()
            result.ours += t_ours
            result.limit += t_limit
            result.chunk_ratios.append(t_ours / t_limit)
    finally:
        limit.close()
        close_pools()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100)
    from reachqa_builder.render.envs import ENV_NAMES

    ap.add_argument("--env", default="faithful", choices=ENV_NAMES)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the process-per-script baseline (only reachqa vs the in-process limit)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds of (reachqa, limit), the order alternating per round; the ratio is reported per "
                         "round and for the best time of each side (a shared VM's speed drifts between runs)")
    ap.add_argument("--inspect", action="store_true",
                    help="also read each figure in the worker (layout lint, plotted values: what `reachqa build` "
                         "does); the limit does not, so this measures sandbox + inspection")
    ap.add_argument("--chunk", type=int, default=10,
                    help="scripts per chunk of the interleaved comparison (both sides warm, alternating per chunk)")
    ap.add_argument("--no-huge-pages", action="store_true",
                    help="sandboxed workers without transparent huge pages (SandboxSettings(huge_pages=False))")
    args = ap.parse_args()

    from _baseline import one_process_per_script
    from reachqa_builder.render import render_scripts
    from reachqa_builder.render.envs import get_environment
    from reachqa_builder.render.sandbox import SandboxSettings

    scripts = sorted(DATA.glob("*.py"))[: args.n]
    if not scripts:
        raise SystemExit(f"no test scripts found in {DATA}")
    env = get_environment(args.env)
    sandbox = SandboxSettings(huge_pages=not args.no_huge_pages)
    print(f"{len(scripts)} scripts, env {args.env} ({env.python}), {args.workers} workers, {os.cpu_count()} CPUs, "
          f"inspection {'on' if args.inspect else 'off'}, huge pages {'on' if sandbox.huge_pages else 'off'}")
    t_base = None
    ours: list[float] = []
    limits: list[float] = []
    parallel: list[float] = []
    interleaved: list[Interleaved] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.no_baseline:
            t_base, _ = one_process_per_script(env.python, [(p.stem, p.read_text()) for p in scripts], tmp / "base",
                                               args.workers)
            print(f"baseline (process per script): {t_base:7.2f} s  {t_base / len(scripts) * 1000:6.0f} ms/chart")

        def run_ours(i: int) -> None:
            start = time.perf_counter()
            records = render_scripts(scripts, tmp / f"ours{i}", env=args.env, workers=args.workers, use_cache=False,
                                     progress=False, keep_workers=False, inspect=args.inspect, sandbox=sandbox)
            ours.append(time.perf_counter() - start)
            ok = sum(r.status == "ok" for r in records)
            print(f"  round {i + 1}: reachqa (sandboxed, cold start):      {ours[-1]:7.2f} s "
                  f"{ours[-1] / len(scripts) * 1000:6.0f} ms/chart ({ok} ok)", flush=True)

        def run_limit(i: int) -> None:
            limits.append(_limit(env.python, scripts, tmp / f"seq{i}", args.workers))
            print(f"  round {i + 1}: limit (pure in-process / {args.workers}):    {limits[-1]:7.2f} s "
                  f"{limits[-1] / len(scripts) * 1000:6.0f} ms/chart", flush=True)
            parallel.append(_parallel_limit(env.python, scripts, tmp / f"par{i}", args.workers))
            print(f"  round {i + 1}: limit ({args.workers} warm in-process workers): {parallel[-1]:7.2f} s "
                  f"{parallel[-1] / len(scripts) * 1000:6.0f} ms/chart", flush=True)

        def run_interleaved(i: int) -> None:
            r = _interleaved(env.python, scripts, tmp / f"interleaved{i}", args.workers, args.chunk, args.env,
                             args.inspect, sandbox)
            interleaved.append(r)
            print(f"  round {i + 1}: interleaved, both warm, chunks of {args.chunk}: reachqa {r.ours:7.2f} s, "
                  f"limit {r.limit:7.2f} s: {r.ours / r.limit:.3f}x; start-up: reachqa {r.ours_start:.2f} s, "
                  f"limit {r.limit_start:.2f} s; with start-up "
                  f"{(r.ours + r.ours_start) / (r.limit + r.limit_start):.3f}x; {r.failed} failed", flush=True)

        for i in range(args.repeat):
            for step in ((run_ours, run_limit) if i % 2 == 0 else (run_limit, run_ours)):
                step(i)
            run_interleaved(i)
            print(f"  round {i + 1}: cold start vs limit {ours[-1] / limits[-1]:.2f}x (sum / {args.workers}), "
                  f"{ours[-1] / parallel[-1]:.2f}x ({args.workers} warm in-process workers)", flush=True)
    load = os.getloadavg()[0]
    speedup = f"speed-up vs baseline: {t_base / min(ours):.2f}x\n" if t_base else ""
    print(f"best times: reachqa {min(ours):.2f} s, limit sum / {args.workers} {min(limits):.2f} s, "
          f"{args.workers} warm in-process workers {min(parallel):.2f} s")
    for name, side in (("sum / N", limits), ("N warm in-process workers", parallel)):
        print(f"cost vs limit, cold start, limit {name}: {min(ours) / min(side):.2f}x (best of each), "
              f"{statistics.median(o / l for o, l in zip(ours, side)):.2f}x (median round)")
    mine, theirs = sum(r.ours for r in interleaved), sum(r.limit for r in interleaved)
    chunk_ratios = [x for r in interleaved for x in r.chunk_ratios]
    print(f"cost vs limit, workers started, interleaved chunks: {mine / theirs:.3f}x (all rounds: {mine:.1f} s vs "
          f"{theirs:.1f} s), {statistics.median(r.ours / r.limit for r in interleaved):.3f}x (median round), "
          f"{statistics.median(chunk_ratios):.3f}x (median of {len(chunk_ratios)} chunks)")
    mine_start, theirs_start = sum(r.ours_start for r in interleaved), sum(r.limit_start for r in interleaved)
    print(f"cost vs limit, interleaved, start-up included on both sides: "
          f"{(mine + mine_start) / (theirs + theirs_start):.3f}x (start-up per round: reachqa "
          f"{mine_start / len(interleaved):.2f} s, limit {theirs_start / len(interleaved):.2f} s)")
    print(f"{speedup}(load average now {load:.1f})")


if __name__ == "__main__":
    main()
