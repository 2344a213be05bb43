"""Benchmark: charts per minute through code generation (self-instruct, two turns per chart).

Both sides talk to the same local OpenAI-compatible server (tests/openai_server.py) with a fixed
latency per call, jitter and a few slow outliers, at the same concurrency, in one run:

* baseline - how the original tool works: a thread pool per batch of 100 charts that sends turn 1
  for the whole batch, waits for all of it, then turn 2, then the next batch;
* project  - ``reachqa synthesize self-instruct`` (asyncio, one bound on requests in flight,
  no batch barriers, journals and reply cache included).

Also printed: the project's throughput as a fraction of the limit, concurrency / latency (two
calls per chart). Run: ``.venv/bin/python bench/synthesis.py [--charts 600 --concurrency 32]``.

``--memory-qa N`` instead measures peak memory (max RSS) of a run that writes N Q&A pairs: N / 8
rated charts go through the ``qa`` stage (questions, then one answer call each), the ``check``
stage (two raters per pair) and ``output``, in one process against the local server with the demo
models (one shared chart image, so rendering does not dominate). Target: under 300 MB.

``--near-duplicates DIR`` instead measures the ``--drop-near-duplicates`` filter on the scripts of
a ReachQA split (e.g. the released ``reachqa_train``), in the order the execute stage would accept
them: per chart, match against every chart accepted so far, then accept. Baseline in the same run:
the same streaming filter on Python sets of shingle strings (``similarity.jaccard``). Printed:
cost per chart at the end of the stream, index memory, the charts each drops, and the pairs the
batch route of ``reachqa stats --duplicates`` (``checks.contamination.within``) finds on them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.openai_server import OpenAIServer  # noqa: E402

CODE = "```python\n" + "\n".join(["import matplotlib.pyplot as plt"] + [f"x{i} = {i}" for i in range(12)]
                                 + ["plt.plot([1, 2, 3])", "plt.show()"]) + "\n```"


def reply(req):
    return "A backstory and a data table." if "brand-new Python script" in req.last_user_text else CODE


def baseline(url: str, charts: int, concurrency: int, batch: int = 100) -> float:
    """Seconds for ``charts`` charts, thread pool per batch, one barrier per turn and batch."""

    def call(messages):
        body = json.dumps({"model": "gen", "messages": messages, "temperature": 1.0, "top_p": 0.95,
                           "max_tokens": 4096}).encode()
        req = urllib.request.Request(f"{url}/chat/completions", data=body, headers={
            "Content-Type": "application/json", "Authorization": "Bearer k"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["choices"][0]["message"]["content"]

    t0 = time.perf_counter()
    for start in range(0, charts, batch):
        ids = range(start, min(charts, start + batch))
        with ThreadPoolExecutor(concurrency) as pool:
            turn1 = [[{"role": "user", "content": f"Please plan a NEW chart number {i}."}] for i in ids]
            briefs = list(pool.map(call, turn1))
            turn2 = [m + [{"role": "assistant", "content": b}, {"role": "user", "content": "Now write the code."}]
                     for m, b in zip(turn1, briefs)]
            list(pool.map(call, turn2))
    return time.perf_counter() - t0


def project(url: str, charts: int, concurrency: int) -> float:
    from reachqa_builder.render.settings import RenderSettings
    from synthesis.config import SynthesisConfig
    from synthesis.pipeline import run_stage

    with tempfile.TemporaryDirectory() as tmp:
        cfg = SynthesisConfig(base_url=url, api_key="k", model="gen", out=tmp, num_charts=charts,
                              concurrency=concurrency, progress=False, render=RenderSettings(env="current"))
        t0 = time.perf_counter()
        summary = asyncio.run(run_stage("self-instruct", cfg))
        seconds = time.perf_counter() - t0
        assert summary["stages"]["self-instruct"]["ok"] == charts, summary
    return seconds


def memory(n_qa: int, concurrency: int) -> None:
    import resource
    import shutil

    from reachqa_builder.render.settings import RenderSettings
    from synthesis.config import SynthesisConfig
    from synthesis.journal import Journal
    from synthesis.pipeline import run_stage
    from tests.demo_models import DemoModels, chart_script

    charts = max(1, n_qa // 8)
    server = OpenAIServer(DemoModels(), api_key="k", seed=0, log_requests=False).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run"
            work = out / "work"
            (work / "code").mkdir(parents=True)
            seed = Path(__file__).resolve().parents[1] / "reachqa_builder" / "seed_charts"
            image = next(iter(sorted(seed.rglob("*.jpg"))), None)
            if image is None:
                from reachqa_builder.render import render_scripts

                rec = render_scripts({"x": chart_script("bar chart", "x")}, Path(tmp) / "r", env="current",
                                     progress=False, report=False)[0]
                image = Path(rec.image)
            shutil.copy(image, out / "chart.jpg")
            j = Journal(work / "rate.jsonl")
            for i in range(charts):
                code = chart_script("bar chart", f"c{i}")
                j.append({"id": f"c{i:05d}", "status": "ok", "level": "Easy", "major_chart_type": "Bar Charts",
                          "minor_chart_type": "bar chart", "image": "chart.jpg", "code_file": _store(work, code),
                          "provenance": {"plot_model": "gen", "rating": 4.0}})
            j.close()
            base = dict(base_url=server.url, api_key="k", model="gen", rater_model=["r1", "r2"], out=str(out),
                        num_charts=charts, concurrency=concurrency, progress=False, render=RenderSettings(env="current"))
            t0 = time.perf_counter()
            for stage in ("qa", "check", "output"):
                asyncio.run(run_stage(stage, SynthesisConfig(**base)))
            seconds = time.perf_counter() - t0
            n = len(json.loads((out / "instruction_data.json").read_text()))
    finally:
        server.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: {charts} charts -> {n} Q&A pairs kept (qa + check + output, {seconds:.0f} s, "
          f"{server.received} requests); peak RSS {peak:.0f} MB (target < 300 MB; "
          f"the in-process server included)")


def near_duplicates(split: Path, threshold: float, limit: int | None) -> None:
    from reachqa_builder.checks import contamination, similarity as sim
    from synthesis.data_checks import NearDuplicates

    codes = {p.stem: p.read_text(encoding="utf-8") for p in sorted((split / "code").glob("*.py"))[:limit]}
    print(f"{len(codes)} scripts of {split}, threshold {threshold}")

    def stream(match, add, size) -> tuple[float, list, float]:
        t0, dropped, tail = time.perf_counter(), [], 0.0
        for k, (cid, code) in enumerate(codes.items()):
            t = time.perf_counter()
            found = match(code)
            if found is None:
                add(cid, code)
            else:
                dropped.append((cid, *found))
            if k >= len(codes) - 100:
                tail += time.perf_counter() - t
        seconds = time.perf_counter() - t0
        mem = size() / 2 ** 20
        print(f"  {seconds:6.1f} s in all, {tail / 100 * 1000:6.1f} ms per chart over the last 100, "
              f"index {mem:6.1f} MiB, {len(dropped)} dropped")
        return seconds, dropped, tail

    print("baseline (sets of shingle strings, similarity.jaccard):")
    sets: dict[str, set] = {}

    def set_match(code):
        mine = sim.code_shingles(code)
        best = max(((i, sim.jaccard(mine, s)) for i, s in sets.items()), key=lambda x: x[1], default=None)
        return (best[0], round(best[1], 4)) if best and best[1] >= threshold else None

    b, b_drop, b_tail = stream(set_match, lambda i, c: sets.__setitem__(i, sim.code_shingles(c)),
                               lambda: sum(sys.getsizeof(x) + sum(map(sys.getsizeof, x)) for x in sets.values()))
    sets.clear()
    print("reachqa (NearDuplicates: sorted 64-bit shingle hashes):")
    index = NearDuplicates(threshold)
    p, p_drop, p_tail = stream(index.match, index.add, lambda: sum(a.nbytes + 112 for a in index._sets.values()))
    print(f"ratio baseline/reachqa per chart (last 100): {b_tail / p_tail:.2f}x; same drops: {b_drop == p_drop}")
    for d in p_drop:
        print(f"  dropped {d[0]}: Jaccard {d[2]} with {d[1]}")
    within = contamination.within(contamination.Corpus("split", list(codes), codes),
                                  contamination.OverlapSettings(code_threshold=threshold))
    print(f"batch route (reachqa stats --duplicates): {len(within.code)} pairs: "
          + ", ".join(f"{a}~{b_}" for a, b_, _ in within.code))


def _store(work: Path, code: str) -> str:
    import hashlib

    digest = hashlib.sha256(code.encode()).hexdigest()
    (work / "code" / f"{digest}.py").write_text(code)
    return f"work/code/{digest}.py"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--memory-qa", type=int, default=None, help="measure peak memory of a run with this many Q&A pairs")
    ap.add_argument("--near-duplicates", type=Path, default=None,
                    help="measure the --drop-near-duplicates filter on this ReachQA split's scripts")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--limit", type=int, default=None, help="only the first N scripts of the split")
    ap.add_argument("--charts", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--jitter", type=float, default=0.05)
    ap.add_argument("--outlier-rate", type=float, default=0.02)
    ap.add_argument("--outlier-latency", type=float, default=1.0)
    args = ap.parse_args()
    if args.memory_qa:
        memory(args.memory_qa, args.concurrency)
        return
    if args.near_duplicates:
        near_duplicates(args.near_duplicates, args.threshold, args.limit)
        return
    server = OpenAIServer(reply, api_key="k", latency=args.latency, jitter=args.jitter,
                          outlier_rate=args.outlier_rate, outlier_latency=args.outlier_latency, seed=0).start()
    try:
        b = baseline(server.url, args.charts, args.concurrency)
        p = project(server.url, args.charts, args.concurrency)
    finally:
        server.stop()
    limit = args.concurrency / args.latency / 2 * 60  # charts/min: two calls per chart
    mean_latency = (1 - args.outlier_rate) * args.latency + args.outlier_rate * args.outlier_latency
    b_rate, p_rate = args.charts / b * 60, args.charts / p * 60
    print(f"setting: {args.charts} charts, concurrency {args.concurrency}, latency {args.latency}s "
          f"+-{args.jitter}s, {args.outlier_rate:.0%} outliers at {args.outlier_latency}s")
    print(f"baseline (thread pool per batch of 100): {b_rate:8.0f} charts/min ({b:.1f} s)")
    print(f"project  (asyncio, no barriers):         {p_rate:8.0f} charts/min ({p:.1f} s)")
    print(f"ratio project/baseline: {p_rate / b_rate:.2f}x")
    print(f"limit concurrency/latency: {limit:.0f} charts/min; project at {p_rate / limit:.2f} of it "
          f"({p_rate / (args.concurrency / mean_latency / 2 * 60):.2f} of the limit at the mean latency "
          f"{mean_latency:.3f}s including outliers)")


if __name__ == "__main__":
    main()
