"""Benchmark: building the ``charts`` config of the 500 ReachQA test charts.

Three timings from one run, all in the same render environment:

1. baseline: the original tool's way, one ``python`` process per script (``plt.show()`` replaced by
   ``plt.savefig(<id>.jpg, dpi=200)``), run with as many processes at a time as the renderer has
   workers;
2. cold build: ``reachqa build --config charts`` with an empty render cache (render + Parquet);
3. rebuild: the same build again, from the render cache: it must render nothing and take at most a
   tenth of the cold build.

Usage::

    python bench/build.py [--data-dir ../shared/reachqa-data/reachqa_test] [--env faithful] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


from _baseline import one_process_per_script
from reachqa_builder.export import build_config
from reachqa_builder.layout import find_splits, read_charts, read_code
from reachqa_builder.render.envs import ENV_NAMES, get_environment

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "reachqa-data" / "reachqa_test"


def limited_copy(src: Path, dst: Path, limit: int) -> Path:
    """A split folder with the first ``limit`` charts of ``src`` (code files linked, not copied)."""
    (dst / "code").mkdir(parents=True)
    lines = [line for line in (src / "plot_info.jsonl").read_text().splitlines() if line.strip()][:limit]
    for line in lines:
        rel = json.loads(line)["code"]
        os.symlink((src / rel).resolve(), dst / rel)
    (dst / "plot_info.jsonl").write_text("\n".join(lines) + "\n")
    return dst


def _load() -> str:
    """The 5-minute load average: other work on the machine slows either side."""
    return f"{os.getloadavg()[1]:.1f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="a split folder (default: ReachQA test)")
    parser.add_argument("--env", choices=ENV_NAMES, default="faithful", help="render environment")
    parser.add_argument("--limit", type=int, help="only the first N charts")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="processes at a time (both sides)")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    environment = get_environment(args.env)  # create the faithful env before timing anything
    with tempfile.TemporaryDirectory(prefix="reachqa-bench-") as tmp:
        tmp = Path(tmp)
        data_dir = limited_copy(args.data_dir, tmp / "reachqa_test", args.limit) if args.limit else args.data_dir
        (split,) = find_splits(data_dir)
        charts = read_charts(split)
        for chart in charts:
            read_code(chart)
        print(f"{len(charts)} charts from {args.data_dir}, env {args.env} ({environment.python}), "
              f"{args.workers} workers, {os.cpu_count()} CPUs", flush=True)

        base_s, base_failed = one_process_per_script(environment.python, [(c.id, c.code) for c in charts], tmp / "baseline", args.workers,
                                                     args.timeout)
        base_load = _load()
        kw = dict(data_dir=str(data_dir), render_env=args.env, render_cache_dir=str(tmp / "render-cache"),
                  render_workers=args.workers, render_timeout=args.timeout, progress=True)
        start = time.perf_counter()
        cold = build_config("charts", tmp / "cold", cache_dir=str(tmp / "hf1"), **kw)
        cold_s = time.perf_counter() - start
        cold_load = _load()
        start = time.perf_counter()
        warm = build_config("charts", tmp / "warm", cache_dir=str(tmp / "hf2"), **kw)
        warm_s = time.perf_counter() - start

    (cold_rep,), (warm_rep,) = cold.reports.values(), warm.reports.values()
    print()
    print(f"baseline, one python process per script: {base_s:8.1f} s  ({base_failed} failed; load {base_load})")
    print(f"reachqa build --config charts, cold:     {cold_s:8.1f} s  ({cold_rep.rendered} rendered, "
          f"{len(cold_rep.failed)} failed, {sum(cold.rows.values())} rows; load {cold_load})")
    print(f"reachqa build --config charts, rebuild:  {warm_s:8.1f} s  ({warm_rep.rendered} rendered, "
          f"{warm_rep.cached} from cache)")
    print(f"speed-up of the cold build over the baseline: {base_s / cold_s:.2f}x")
    print(f"rebuild / cold build: {warm_s / cold_s:.3f} (target <= 0.100)")
    ok = warm_rep.rendered == 0 and warm_s <= cold_s / 10
    print("rebuild target met" if ok else "REBUILD TARGET NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
