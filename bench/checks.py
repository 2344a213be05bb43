"""Cost of the data checks per chart, beside the render cost.

    python bench/checks.py [--n 40] [--env faithful] [--workers 2]

On the first N ReachQA test charts, in one run and in the same render environment, no render cache:
  * baseline: `render_scripts(..., inspect=False)`: the render alone;
  * reachqa: `render_scripts(..., inspect=True)`: the render plus plotted-value extraction and the
    layout lint in the worker (the per-script child time is compared: same scripts, same workers);
and, in one plain process of the render environment (no sandbox, CPU time), the JPEG save vs
`inspect_figure` per chart, which isolates the inspection's cost from the machine's load; then, on
the results: answer verification per Q&A (the charts' released questions), code shingles +
MinHash per chart, perceptual hash per image, and the pair searches over those N charts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time

import numpy as np
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = next((p / "shared" / "reachqa-data" / "reachqa_test" for p in ROOT.parents
             if (p / "shared" / "reachqa-data" / "reachqa_test").is_dir()), ROOT.parent / "shared" / "reachqa-data" / "reachqa_test")


DIRECT = r"""
import sys, time, json, io, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
sys.path.insert(0, sys.argv[1])
from _inspect import inspect_figure
save, insp = [], []
for path in sys.argv[2:]:
    plt.show = lambda *a, **k: None
    exec(compile(open(path).read(), path, "exec"), {"__name__": "__main__"})
    fig = plt.gcf()
    t = time.process_time(); fig.savefig(io.BytesIO(), format="jpg", dpi=200); save.append(time.process_time() - t)
    t = time.process_time(); inspect_figure(fig, 200); insp.append(time.process_time() - t)
    plt.close("all")
print(json.dumps({"save": save, "inspect": insp}))
"""


def direct_costs(paths: list[str], python: str) -> dict:
    """CPU seconds of the JPEG save and of inspect_figure per script, in one plain process of the
    render environment's interpreter (a separate process: chart code never runs in this one)."""
    import json
    import subprocess

    here = str(ROOT / "reachqa_builder" / "render")
    out = subprocess.run([python, "-c", DIRECT, here, *paths], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--env", default="faithful")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from reachqa_builder.generation import load_sources
    from reachqa_builder.checks import similarity as sim
    from reachqa_builder.checks.answers import verify_recognition
    from reachqa_builder.render import render_scripts

    (split,) = load_sources("qa", DATA)
    charts = list(split.charts)[: args.n]
    scripts = {c.id: c.code for c in charts}
    ids = set(scripts)
    qas = [q for q in split.qas if q.chart_id in ids]

    def run(inspect: bool, out: str):
        t = time.perf_counter()
        recs = render_scripts(scripts, out, env=args.env, workers=args.workers, use_cache=False, progress=False,
                              report=False, inspect=inspect)
        return recs, time.perf_counter() - t

    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        render_scripts({"warm": "import matplotlib.pyplot as plt\nplt.plot([1])\nplt.show()"}, a, env=args.env,
                       workers=args.workers, use_cache=False, progress=False, report=False)  # start the workers
        plain, wall_plain = run(False, a)
        inspected, wall_insp = run(True, b)
        same = all(p.sha256 == q.sha256 for p, q in zip(plain, inspected))
        child_plain = [r.seconds for r in plain if r.status == "ok"]
        child_insp = [r.seconds for r in inspected if r.status == "ok"]
        images = [Path(r.image).read_bytes() for r in inspected if r.status == "ok"]
        by_id = {r.id: r for r in inspected}

        t = time.perf_counter()
        verdicts = [verify_recognition(q.question, q.answer, q.qa_type, by_id[q.chart_id].plotted) for q in qas]
        t_verify = time.perf_counter() - t
        t = time.perf_counter()
        sets = [sim.code_shingles(c) for c in scripts.values()]
        t_shingle = time.perf_counter() - t
        t = time.perf_counter()
        sim.near_duplicates(sets)
        t_minhash = time.perf_counter() - t
        t = time.perf_counter()
        hashes = [sim.image_hash(x) for x in images]
        t_phash = time.perf_counter() - t
        t = time.perf_counter()
        full_hashes = [_full_decode_hash(x) for x in images]
        t_phash_full = time.perf_counter() - t
        hash_gap = max((int(np.unpackbits(np.bitwise_xor(a, b)).sum()) for a, b in zip(hashes, full_hashes)), default=0)
        t = time.perf_counter()
        sim.image_hash_pairs(hashes)
        t_pairs = time.perf_counter() - t

    from reachqa_builder.render.envs import get_environment

    direct = direct_costs([str(c.code_path) for c in charts], get_environment(args.env).python)
    n = len(charts)
    print(f"CPU per chart in one process: JPEG save {1000 * statistics.mean(direct['save']):.0f} ms, "
          f"inspect_figure {1000 * statistics.mean(direct['inspect']):.0f} ms "
          f"({statistics.mean(direct['inspect']) / statistics.mean(direct['save']):.2f}x the save)")
    print(f"{n} charts, {len(qas)} Q&A, env {args.env}, {args.workers} workers; images identical: {same}")
    print(f"{'':44s} {'wall':>9s} {'per chart':>10s} {'child mean':>11s}")
    print(f"{'baseline: render, inspect=False':44s} {wall_plain:8.1f}s {1000 * wall_plain / n:8.0f}ms "
          f"{1000 * statistics.mean(child_plain):9.0f}ms")
    print(f"{'reachqa: render + plotted values + lint':44s} {wall_insp:8.1f}s {1000 * wall_insp / n:8.0f}ms "
          f"{1000 * statistics.mean(child_insp):9.0f}ms")
    print(f"{'ratio (child time)':44s} {statistics.mean(child_insp) / statistics.mean(child_plain):9.2f}x")
    print(f"answer verification: {1000 * t_verify / max(1, len(qas)):.2f} ms per Q&A "
          f"({sum(v.verdict == 'contradicted' for v in verdicts)} contradicted)")
    print(f"code shingles: {1000 * t_shingle / n:.2f} ms per chart; MinHash + LSH pairs: {1000 * t_minhash / n:.2f} ms "
          f"per chart")
    print(f"perceptual hash: {1000 * t_phash / max(1, len(images)):.1f} ms per image (baseline, full decode + "
          f"resize: {1000 * t_phash_full / max(1, len(images)):.1f} ms, {t_phash_full / max(t_phash, 1e-9):.1f}x; "
          f"largest hash difference {hash_gap} bits); pair search: {1000 * t_pairs:.1f} ms for {len(images)} images")


def _full_decode_hash(image: bytes):
    """The perceptual hash from the fully decoded image (what image_hash did before its JPEG draft)."""
    import io

    import imagehash
    from PIL import Image

    from reachqa_builder.checks.similarity import PHASH_SIZE

    with Image.open(io.BytesIO(image)) as im:
        return np.packbits(imagehash.phash(im, hash_size=PHASH_SIZE).hash.ravel())


if __name__ == "__main__":
    main()
