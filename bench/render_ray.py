"""Ray render vs a local render on the same cores, and the per-chart cost behind the scale estimate.

    python bench/render_ray.py [--n 100] [--env faithful] [--rounds 2]

On the first N ReachQA test scripts (``../shared/reachqa-data``), in one run:
  * baseline: ``render_scripts`` on this machine with one warm sandboxed worker per core
    (``os.cpu_count()``), cold (worker start-up included), no render cache;
  * ray: a local ``ray.cluster_utils.Cluster`` with one node per core, 1 CPU each (the same cores),
    started before the clock runs; ``RayRenderer`` cold (actors and their warm pools started inside
    the timing), no render cache; the driver writes images and report as a local run.
Rounds alternate which side goes first. Prints both wall times, the ratio (ray / local: the
overhead) per round and for the median, and the per-chart cost in core-seconds that the README's
nodes x hours estimate uses. The images of both sides are compared byte for byte.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = next((p / "shared" / "reachqa-data" / "reachqa_test" / "code" for p in ROOT.parents
             if (p / "shared" / "reachqa-data").is_dir()), ROOT.parent / "shared" / "reachqa-data" / "reachqa_test" / "code")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # the local cluster on 127.0.0.1 only


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="scripts (default 100)")
    parser.add_argument("--env", default="faithful", help="render environment (default faithful)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per side (default 2)")
    parser.add_argument("--data", default=str(DATA), help="folder of chart scripts")
    args = parser.parse_args()

    from reachqa_builder.ray_render import RayRenderer
    from reachqa_builder.render import render_scripts
    from tests.ray_cluster import local_cluster

    scripts = sorted(Path(args.data).glob("*.py"))[:args.n]
    if len(scripts) < args.n:
        print(f"only {len(scripts)} scripts in {args.data}", file=sys.stderr)
        return 2
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    times: dict[str, list[float]] = {"local": [], "ray": []}
    shas: dict[str, dict] = {}

    def local(out: Path) -> float:
        start = time.perf_counter()
        records = render_scripts(scripts, out, env=args.env, workers=cores, use_cache=False, progress=False,
                                 keep_workers=False)
        shas["local"] = {r.id: r.sha256 for r in records}
        return time.perf_counter() - start

    with local_cluster(cpus_per_node=1, nodes=cores) as cluster:
        def on_ray(out: Path) -> float:
            start = time.perf_counter()
            records = RayRenderer(cluster.address, env=args.env, use_cache=False, progress=False).render(scripts, out)
            shas["ray"] = {r.id: r.sha256 for r in records}
            return time.perf_counter() - start

        for i in range(args.rounds):
            order = [("local", local), ("ray", on_ray)] if i % 2 == 0 else [("ray", on_ray), ("local", local)]
            for name, fn in order:
                out = tmp / f"{name}-{i}"
                times[name].append(fn(out))
                shutil.rmtree(out, ignore_errors=True)
            print(f"round {i + 1}: local {times['local'][-1]:.1f} s, ray {times['ray'][-1]:.1f} s, "
                  f"ratio {times['ray'][-1] / times['local'][-1]:.3f}x", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    assert shas["local"] == shas["ray"], "the Ray render differs from the local render"
    loc, ray_t = statistics.median(times["local"]), statistics.median(times["ray"])
    print(f"{args.n} scripts, env {args.env}, {cores} cores: local render {loc:.1f} s ({cores} workers), "
          f"Ray cluster of {cores} nodes x 1 CPU {ray_t:.1f} s: ratio {ray_t / loc:.3f}x (target <= 1.2x); "
          f"images identical")
    per_chart = ray_t * cores / args.n
    print(f"per-chart cost on the cluster: {per_chart:.2f} core-seconds; 1,000,000 charts = "
          f"{per_chart * 1e6 / 3600:,.0f} core-hours (e.g. {per_chart * 1e6 / 3600 / 32 / 10:.1f} h on 10 nodes x 32 cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
