"""The paper's statistics table for a built ReachQA dataset folder.

Per split and in total: charts, chart types (minor / major), overlay and multi-plot charts,
average image size, Q&A per type, average question and answer length. Lengths are counted in
whitespace-separated words (the paper counts GPT-4o tokens, whose tokenizer needs a download).

Overlay and multi-plot charts are recognised from the code (static analysis, a heuristic):
*overlay* = twin axes, or two kinds of plot (e.g. bars and lines) drawn on the same axes;
*multi-plot* = more than one subplot (``subplots(2, 1)``, several ``add_subplot``/``subplot``
calls, ``GridSpec``, ``subplot_mosaic``).

With ``duplicates=True`` each split also gets its near-duplicates (:mod:`reachqa_builder.checks`):
chart pairs with near-identical code (token 5-gram Jaccard >= 0.8) or images (perceptual hashes
within 16 of 256 bits), and question pairs on different charts with word 3-gram Jaccard >= 0.8.
"""

from __future__ import annotations

import ast
import io
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from .export import built_configs, default_config

_PLOT_KINDS = {
    "line": {"plot", "step", "errorbar", "fill_between", "semilogy", "semilogx", "loglog"},
    "bar": {"bar", "barh", "bar3d", "broken_barh"},
    "scatter": {"scatter"},
    "pie": {"pie"},
    "area": {"stackplot"},
    "hist": {"hist", "hist2d", "hexbin"},
    "box": {"boxplot", "violinplot"},
    "heat": {"imshow", "pcolormesh", "pcolor", "contour", "contourf", "matshow"},
}
_KIND_OF = {name: kind for kind, names in _PLOT_KINDS.items() for name in names}


def _int_or_none(node) -> int | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, int) else None


def chart_layout(code: str) -> tuple[bool, bool]:
    """``(overlay, multi_plot)`` for one chart script (both False if it does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False, False
    kinds: dict[str, set[str]] = {}
    overlay = multi = False
    subplot_calls = 0
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name in ("twinx", "twiny"):
            overlay = True
        elif name in _KIND_OF:
            kinds.setdefault(ast.unparse(node.func.value), set()).add(_KIND_OF[name])
        elif name == "subplots":
            dims = [_int_or_none(a) for a in node.args[:2]]
            dims += [_int_or_none(k.value) for k in node.keywords if k.arg in ("nrows", "ncols")]
            if any(d is not None and d > 1 for d in dims):
                multi = True
        elif name in ("add_subplot", "subplot", "add_axes"):
            subplot_calls += 1
        elif name in ("GridSpec", "subplot_mosaic", "add_gridspec", "subplot2grid"):
            multi = True
    overlay = overlay or any(len(k) > 1 for k in kinds.values())
    return overlay, multi or subplot_calls > 1


def _words(text: str) -> int:
    return len(text.split())


def _image_sizes(files: list[Path], wanted: set[int]) -> list[tuple[int, int]]:
    """Width and height of the images at row indices ``wanted`` (streamed, headers only)."""
    sizes, i = [], 0
    for f in files:
        for batch in pq.ParquetFile(f).iter_batches(columns=["image"], batch_size=64):
            for img in batch.column(0).to_pylist():
                if i in wanted:
                    with Image.open(io.BytesIO(img["bytes"])) as im:
                        sizes.append(im.size)
                i += 1
    return sizes


def _split_stats(files: list[Path]) -> dict:
    schema_names = pq.read_schema(files[0]).names
    cols = [c for c in ("chart_id", "code", "minor_chart_type", "major_chart_type", "question", "answer", "qa_type")
            if c in schema_names]
    table = pa.concat_tables(pq.read_table(f, columns=cols) for f in files)
    ids = table.column("chart_id").to_pylist()
    first: dict[str, int] = {}
    for i, cid in enumerate(ids):
        first.setdefault(cid, i)
    idx = list(first.values())
    codes = table.column("code").take(idx).to_pylist()
    minors = table.column("minor_chart_type").take(idx).to_pylist()
    majors = table.column("major_chart_type").take(idx).to_pylist()
    layouts = [chart_layout(c or "") for c in codes]
    sizes = _image_sizes(files, set(idx))
    widths = [w for w, _ in sizes]
    heights = [h for _, h in sizes]
    n = len(idx)
    out = {
        "charts": n,
        "minor_chart_types": len({m for m in minors if m}),
        "major_chart_types": len({m for m in majors if m}),
        "overlay_charts": sum(o for o, _ in layouts),
        "multi_plot_charts": sum(m for _, m in layouts),
        "avg_width": round(sum(widths) / n, 1) if n else 0.0,
        "avg_height": round(sum(heights) / n, 1) if n else 0.0,
    }
    if "question" in cols:
        questions = table.column("question").to_pylist()
        answers = table.column("answer").to_pylist()
        out["qa"] = len(questions)
        out["qa_per_type"] = dict(sorted(Counter(table.column("qa_type").to_pylist()).items()))
        out["avg_question_words"] = round(sum(map(_words, questions)) / len(questions), 1) if questions else 0.0
        out["avg_answer_words"] = round(sum(map(_words, answers)) / len(answers), 1) if answers else 0.0
    return out


def near_duplicates(files: list[Path], examples: int = 5) -> dict:
    """Near-duplicate charts (code, image) and questions inside the rows of ``files``."""
    from .checks.contamination import Corpus, within
    from .checks.similarity import image_hash

    schema_names = pq.read_schema(files[0]).names
    cols = [c for c in ("chart_id", "code", "qa_id", "question") if c in schema_names]
    table = pa.concat_tables(pq.read_table(f, columns=cols) for f in files)
    ids = table.column("chart_id").to_pylist()
    codes = table.column("code").to_pylist()
    corpus = Corpus("dataset")
    for cid, code in zip(ids, codes):
        if cid not in corpus.codes:
            corpus.chart_ids.append(cid)
            corpus.codes[cid] = code or ""
    seen: set[str] = set()
    for f in files:
        for batch in pq.ParquetFile(f).iter_batches(columns=["chart_id", "image"], batch_size=64):
            for cid, img in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                if cid not in seen and img and img.get("bytes"):
                    seen.add(cid)
                    corpus.image_hashes[cid] = image_hash(img["bytes"])
    if "question" in cols:
        corpus.question_ids = table.column("qa_id").to_pylist()
        corpus.question_texts = table.column("question").to_pylist()
        corpus.question_charts = ids
    summary = within(corpus).summary(examples=examples)
    return {k: summary[k] for k in ("code", "image", "question") if k in summary}


def dataset_stats(dataset_dir: str | Path, config: str | None = None, duplicates: bool = False) -> dict:
    """Statistics of one config of a built dataset folder (default: ``qa`` if built, else the first);
    ``duplicates`` adds each split's near-duplicate charts and questions."""
    root = Path(dataset_dir)
    configs = built_configs(root)
    config = config or default_config(configs)
    if config not in configs:
        raise KeyError(f"{root}: config {config!r} is not built; built: {', '.join(configs)}")
    splits = {split: _split_stats(files) for split, files in configs[config].items()}
    if duplicates:
        for split, files in configs[config].items():
            splits[split]["near_duplicates"] = near_duplicates(files)
    all_files = [f for files in configs[config].values() for f in files]
    total = _split_stats(all_files) if len(splits) > 1 else next(iter(splits.values()))
    return {"dataset": str(root), "config": config, "splits": splits, "total": total}


_ROWS = [
    ("charts", "Charts"),
    ("minor_chart_types", "Chart types (minor)"),
    ("major_chart_types", "Chart types (major)"),
    ("overlay_charts", "Overlay charts"),
    ("multi_plot_charts", "Multi-plot charts"),
    ("avg_size", "Average size (px)"),
    ("qa", "Q&A pairs"),
    ("avg_question_words", "Avg. question length (words)"),
    ("avg_answer_words", "Avg. answer length (words)"),
]


def format_table(stats: dict) -> str:
    """A plain-text table: one column per split and a total column."""
    columns = dict(stats["splits"])
    if len(columns) > 1:
        columns["total"] = stats["total"]
    qa_types = sorted({t for s in columns.values() for t in s.get("qa_per_type", {})})
    rows = []
    for key, label in _ROWS:
        if key == "avg_size":
            rows.append((label, [f"{s['avg_width']:.0f} x {s['avg_height']:.0f}" for s in columns.values()]))
            continue
        if key not in next(iter(columns.values())):
            continue
        rows.append((label, [str(s.get(key, "")) for s in columns.values()]))
        if key == "qa":
            for t in qa_types:
                rows.append((f"  {t or '(no type)'}", [str(s.get("qa_per_type", {}).get(t, 0)) for s in columns.values()]))
    width = max(len(label) for label, _ in rows)
    colw = [max(len(name), *(len(vals[i]) for _, vals in rows)) for i, name in enumerate(columns)]
    head = f"{'':{width}}  " + "  ".join(f"{name:>{w}}" for name, w in zip(columns, colw))
    lines = [f"{stats['dataset']} (config {stats['config']})", head]
    lines += [f"{label:{width}}  " + "  ".join(f"{v:>{w}}" for v, w in zip(vals, colw)) for label, vals in rows]
    for name, split in stats["splits"].items():
        dup = split.get("near_duplicates")
        if dup:
            lines.append(f"near-duplicates in {name}: " + "; ".join(
                f"{check} {d['pairs']} pairs ({d['items_matched']} of {d['compared']} items)" for check, d in dup.items()))
    return "\n".join(lines)
