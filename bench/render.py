"""Render speed: warm sandboxed workers vs a new Python process per script (the original tool's way).

    python bench/render.py [--n 100] [--env faithful] [--workers N] [--no-baseline]

On the first N ReachQA test scripts, in one run and in the same render environment:
  * baseline: a thread pool of N workers, each script run as `python script.py` in a fresh process
    with `plt.show()` replaced by a dpi-200 JPEG save (the original tool's approach);
  * reachqa: `render_scripts` (warm workers, fork per script, sandbox), cold: worker start-up included,
    no render cache;
  * limit, two ways: the same scripts executed one after another in a single warm process (pure
    render time) divided by the worker count; and N warm in-process workers (no isolation, no fork)
    taking the scripts from one shared queue, timed from when they are ready, which also has the
    machine's real parallel speed and the tail of the last scripts that sum / N leaves out.
The reachqa and limit sides run ``--repeat`` times, alternating which goes first, because a shared
VM's speed drifts by tens of percent between runs. Prints wall times, per-chart costs and the
ratios (best time of each side, and the median round).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
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


def _parallel_limit(python: str, scripts: list[Path], out: Path, workers: int) -> float:
    """Wall time of ``workers`` warm in-process workers (no isolation, no fork) taking the scripts
    from one shared queue, timed from when all are ready: the same hardware parallelism (and the
    same tail of the last scripts) as the sandboxed pool, without any of its costs."""
    import queue
    import threading

    out.mkdir()
    procs = [subprocess.Popen([python, "-c", WARM_WORKER, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, MPLBACKEND="Agg"))
             for _ in range(workers)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    todo: queue.Queue = queue.Queue()
    for path in scripts:
        todo.put(str(path))

    def serve(p) -> None:
        while True:
            try:
                path = todo.get_nowait()
            except queue.Empty:
                return
            p.stdin.write(path + "\n")
            p.stdin.flush()
            p.stdout.readline()

    start = time.perf_counter()
    threads = [threading.Thread(target=serve, args=(p,)) for p in procs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    for p in procs:
        p.stdin.close()
        p.wait()
    return wall


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
    args = ap.parse_args()

    from _baseline import one_process_per_script
    from reachqa_builder.render import render_scripts
    from reachqa_builder.render.shared_pools import close_pools
    from reachqa_builder.render.envs import get_environment

    scripts = sorted(DATA.glob("*.py"))[: args.n]
    if not scripts:
        raise SystemExit(f"no test scripts found in {DATA}")
    env = get_environment(args.env)
    print(f"{len(scripts)} scripts, env {args.env} ({env.python}), {args.workers} workers, {os.cpu_count()} CPUs, "
          f"inspection {'on' if args.inspect else 'off'}")
    t_base = None
    ours: list[float] = []
    limits: list[float] = []
    parallel: list[float] = []
    warm: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.no_baseline:
            t_base, _ = one_process_per_script(env.python, [(p.stem, p.read_text()) for p in scripts], tmp / "base",
                                               args.workers)
            print(f"baseline (process per script): {t_base:7.2f} s  {t_base / len(scripts) * 1000:6.0f} ms/chart")

        def run_ours(i: int) -> None:
            start = time.perf_counter()
            records = render_scripts(scripts, tmp / f"ours{i}", env=args.env, workers=args.workers, use_cache=False,
                                     progress=False, keep_workers=False, inspect=args.inspect)
            ours.append(time.perf_counter() - start)
            ok = sum(r.status == "ok" for r in records)
            print(f"  round {i + 1}: reachqa (sandboxed, cold start):      {ours[-1]:7.2f} s "
                  f"{ours[-1] / len(scripts) * 1000:6.0f} ms/chart ({ok} ok)", flush=True)
            # The same with the workers already started (a long build's steady state; the limits
            # below are timed from when their processes are ready too).
            render_scripts({"warm-up": "import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()\n"},
                           tmp / f"warm-up{i}", env=args.env, workers=args.workers, use_cache=False, progress=False,
                           keep_workers=True, inspect=args.inspect)
            start = time.perf_counter()
            records = render_scripts(scripts, tmp / f"warm{i}", env=args.env, workers=args.workers, use_cache=False,
                                     progress=False, keep_workers=True, inspect=args.inspect)
            warm.append(time.perf_counter() - start)
            close_pools()
            ok = sum(r.status == "ok" for r in records)
            print(f"  round {i + 1}: reachqa (sandboxed, workers started): {warm[-1]:7.2f} s "
                  f"{warm[-1] / len(scripts) * 1000:6.0f} ms/chart ({ok} ok)", flush=True)

        def run_limit(i: int) -> None:
            limits.append(_limit(env.python, scripts, tmp / f"seq{i}", args.workers))
            print(f"  round {i + 1}: limit (pure in-process / {args.workers}):    {limits[-1]:7.2f} s "
                  f"{limits[-1] / len(scripts) * 1000:6.0f} ms/chart", flush=True)
            parallel.append(_parallel_limit(env.python, scripts, tmp / f"par{i}", args.workers))
            print(f"  round {i + 1}: limit ({args.workers} warm in-process workers): {parallel[-1]:7.2f} s "
                  f"{parallel[-1] / len(scripts) * 1000:6.0f} ms/chart", flush=True)

        for i in range(args.repeat):
            for step in ((run_ours, run_limit) if i % 2 == 0 else (run_limit, run_ours)):
                step(i)
            print(f"  round {i + 1}: cost vs limit {ours[-1] / limits[-1]:.2f}x (sum / {args.workers}), "
                  f"{ours[-1] / parallel[-1]:.2f}x ({args.workers} warm in-process workers); workers started: "
                  f"{warm[-1] / parallel[-1]:.2f}x", flush=True)
    load = os.getloadavg()[0]
    speedup = f"speed-up vs baseline: {t_base / min(ours):.2f}x\n" if t_base else ""
    print(f"best times: reachqa {min(ours):.2f} s, limit sum / {args.workers} {min(limits):.2f} s, "
          f"{args.workers} warm in-process workers {min(parallel):.2f} s")
    print(f"best time with the workers started: {min(warm):.2f} s")
    for label, mine in (("cold start", ours), ("workers started", warm)):
        for name, side in (("sum / N", limits), ("N warm in-process workers", parallel)):
            ratios = sorted(o / l for o, l in zip(mine, side))
            print(f"cost vs limit, {label}, limit {name}: {min(mine) / min(side):.2f}x (best of each), "
                  f"{ratios[len(ratios) // 2]:.2f}x (median round)")
    print(f"{speedup}(load average now {load:.1f})")


if __name__ == "__main__":
    main()
