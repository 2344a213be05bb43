"""``reachqa view``: site build time (cold vs cached thumbnails) and filter latency in Chromium.

    .venv/bin/python bench/viewer.py                        # synthetic 20,000 Q&A over 2,500 charts
    .venv/bin/python bench/viewer.py --dataset /tmp/reachqa # also build a site for a real build folder

Build: the same site twice, first with an empty thumbnail cache (every thumbnail made), then with
the cache filled (baseline = cold, ratio printed). Browser: headless Chromium opens the data page
from file:// and types searches / changes filters; each step is timed from the input event until the
page has re-rendered (synchronous), for the paged grid (48 cards a page, the project) and for a
grid that renders every matching card (``?page_size=1000000``, the baseline).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reachqa_builder.viewer import build_site  # noqa: E402

WORDS = ("revenue growth share market value year total average percent difference trend sales energy "
         "population rate region category highest lowest compare ratio sum change between across").split()
TYPES = ("Bar Charts", "Line Charts", "Pie Charts", "Scatter Charts", "Area Charts", "Box Charts")


def synthetic_dataset(folder: Path, charts: int, per_chart: int) -> Path:
    """A ``reachqa build``-shaped folder: config qa, one Parquet shard, small distinct JPEGs."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image, ImageDraw

    rng = random.Random(0)
    rows = {k: [] for k in ("qa_id", "chart_id", "image", "question", "answer", "qa_type", "qa_model", "level",
                            "plot_model", "major_chart_type", "minor_chart_type", "code", "lint_ok", "verified")}
    for c in range(charts):
        im = Image.new("RGB", (640, 480), (255, 255, 255))
        d = ImageDraw.Draw(im)
        for k in range(8):
            h = rng.randint(20, 400)
            d.rectangle([40 + 70 * k, 460 - h, 90 + 70 * k, 460], fill=(rng.randint(0, 200), 90, 160))
        d.text((10, 10), f"chart {c}", fill=(0, 0, 0))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=85)
        for q in range(per_chart):
            rows["qa_id"].append(f"syn-{c:05d}-{q}")
            rows["chart_id"].append(f"syn-plot-{c:05d}")
            rows["image"].append({"bytes": buf.getvalue(), "path": None})
            rows["question"].append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30))) + "?")
            rows["answer"].append("Some steps. The final answer is 42.")
            rows["qa_type"].append("Reasoning" if q % 2 else "Recognition")
            rows["qa_model"].append("gen")
            rows["level"].append("Hard" if c % 2 else "Easy")
            rows["plot_model"].append("gen")
            rows["major_chart_type"].append(TYPES[c % len(TYPES)])
            rows["minor_chart_type"].append(TYPES[c % len(TYPES)].lower()[:-1])
            rows["code"].append("import matplotlib.pyplot as plt\n" * 20)
            rows["lint_ok"].append(rng.random() > 0.1)
            rows["verified"].append(rng.choice(["yes", "no", "unsure"]))
    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    table = pa.table({k: (pa.array(v, type=image_type) if k == "image" else pa.array(v)) for k, v in rows.items()})
    (folder / "qa").mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "qa" / "train-00000-of-00001.parquet")
    return folder


def timed_build(src: Path, out: Path, cache: Path):
    t = time.perf_counter()
    report = build_site(src, out, thumb_cache=cache)
    return time.perf_counter() - t, report


def browser_latency(site: Path, page_size: int | None) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    url = (site / "data.html").as_uri() + (f"?page_size={page_size}" if page_size else "")
    steps = [("#q", "t"), ("#q", "to"), ("#q", "tot"), ("#q", "total"), ("#q", ""), ("#f-qatype", "Reasoning"),
             ("#f-level", "Hard"), ("#q", "growth share"), ("#f-qatype", ""), ("#f-level", ""), ("#q", "")]
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium", args=args)
        page = ctx.new_page()
        t = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("#count-charts")
        load_s = time.perf_counter() - t
        times = []
        for _ in range(3):
            for sel, value in steps:
                times.append(page.evaluate("""([sel, value]) => {
                    const n = document.querySelector(sel), t0 = performance.now();
                    n.value = value; n.dispatchEvent(new Event(n.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));
                    return performance.now() - t0; }""", [sel, value]))
        filt = page.evaluate("window.REACHQA_TIMING.filters")
        ctx.close()
    return {"load_s": load_s, "median_ms": statistics.median(times), "max_ms": max(times),
            "filter_only_median_ms": statistics.median(filt)}


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--charts", type=int, default=2500)
    ap.add_argument("--per-chart", type=int, default=8)
    ap.add_argument("--dataset", type=Path, help="a reachqa build folder to time as well")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        targets = []
        if args.dataset:
            targets.append(("dataset " + str(args.dataset), args.dataset))
        t = time.perf_counter()
        syn = synthetic_dataset(tmp / "syn", args.charts, args.per_chart)
        print(f"synthetic dataset: {args.charts} charts x {args.per_chart} Q&A written in {time.perf_counter() - t:.1f} s")
        targets.append((f"synthetic {args.charts * args.per_chart} Q&A", syn))
        for name, src in targets:
            cache = tmp / f"thumbs-{len(name)}"
            cold, rep = timed_build(src, tmp / "site-cold", cache)
            warm, _ = timed_build(src, tmp / "site-warm", cache)
            print(f"\n{name}: {rep.charts} charts, {rep.qa} Q&A, {rep.images} images")
            print(f"  build, empty thumbnail cache (baseline): {cold:7.1f} s")
            print(f"  build, thumbnails cached               : {warm:7.1f} s   ratio {cold / warm:.2f}x")
            print(f"  site size: {size_mb(tmp / 'site-cold'):.1f} MB (img {size_mb(tmp / 'site-cold/img'):.1f}, "
                  f"thumb {size_mb(tmp / 'site-cold/thumb'):.1f}, data {size_mb(tmp / 'site-cold/data'):.1f}; "
                  f"index.js {(tmp / 'site-cold/data/index.js').stat().st_size / 1e6:.2f} MB)")
            base = browser_latency(tmp / "site-cold", 1_000_000)
            paged = browser_latency(tmp / "site-cold", None)
            print(f"  Chromium, every match rendered (baseline): load {base['load_s']:.2f} s, input->render median "
                  f"{base['median_ms']:.1f} ms, max {base['max_ms']:.1f} ms")
            print(f"  Chromium, paged grid (48 a page)         : load {paged['load_s']:.2f} s, input->render median "
                  f"{paged['median_ms']:.1f} ms, max {paged['max_ms']:.1f} ms (filter alone median "
                  f"{paged['filter_only_median_ms']:.1f} ms)   ratio {base['median_ms'] / paged['median_ms']:.1f}x")
            for d in ("site-cold", "site-warm"):
                import shutil

                shutil.rmtree(tmp / d)


if __name__ == "__main__":
    main()
