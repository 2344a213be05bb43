"""ReachQA test set: 500 charts, 2,000 questions (1,000 recognition, 1,000 reasoning).

Sources, in the order they are tried:

* a released split folder (``reachqa_test/``: ``instruction_data_*.json``, with ``plot_info.jsonl``,
  ``code/`` and ``images/`` where present), read by :func:`reachqa_builder.layout.read_qa_folder`
  like every other reader of the layout. Charts without an image file are rendered from their
  code through :func:`reachqa_builder.render.render_scripts`, a batch at a time (so ``limit``
  renders only what it needs), and kept in an image cache (``image_cache``, default
  ``$REACHQA_HOME/benchmark-images``) with the render cache's storage
  (:class:`~reachqa_builder.render.cache.RenderCache`: atomic writes, damaged entries are misses).
  Its entries are keyed by the folder, the image name and the render environment, not by the code
  as the renderer's own: a test folder that ships only the Q&A file and the images rendered once
  keeps working;
* a ``reachqa build`` output folder or ``save_to_disk`` folder, read with ``datasets`` (config ``qa``);
* a folder in the authors' evaluation layout (``data.json``).

The default source is ``$REACHQA_TEST_DIR`` (the released ``reachqa_test`` folder).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from reachqa_builder.layout import Chart, SourceSplit, qa_file_in, read_qa_folder
from reachqa_builder.render.cache import RenderCache
from reachqa_builder.render.settings import DEFAULT_ENV
from reachqa_builder.paths import reachqa_home

from ._io import image_bytes, iter_data_json, load_hub_rows, resolve_source
from .spec import Sample, register

_FIRST_BATCH, _MAX_BATCH = 4, 64  # render batches grow, so a small ``limit`` renders little


def _subset(qa_type: str) -> str:
    t = (qa_type or "").strip().lower()
    return {"reasoning": "reasoning", "recognition": "recognition", "recognizing": "recognition",
            "reas": "reasoning", "reco": "recognition"}.get(t, t)


@register("reachqa", subsets=("recognition", "reasoning"), relaxed=False,
          subset_words=("reasoning", "recognition"),
          subset_aliases={"recognizing": "recognition", "reco": "recognition", "reas": "reasoning"},
          description="ReachQA test: recognition and reasoning questions on synthetic charts")
def load_reachqa(source: str | None, *, render_env: str = DEFAULT_ENV, image_cache: str | None = None,
                 split: str = "test", progress: bool = False, **_) -> Iterator[Sample]:
    folder = Path(resolve_source(source, os.environ.get("REACHQA_TEST_DIR"), "reachqa"))
    if not folder.exists():
        raise FileNotFoundError(f"reachqa: source folder not found: {folder}")
    if folder.is_dir() and qa_file_in(folder) is not None:
        yield from _released(folder, render_env, image_cache, progress)
    elif (folder / "data.json").is_file():
        yield from iter_data_json(folder, "reachqa", "reasoning", _subset)
    else:
        yield from _built(folder, split)


def _released(folder: Path, render_env: str, image_cache: str | None, progress: bool = False) -> Iterator[Sample]:
    split, charts, qas = read_qa_folder(folder)
    store = RenderCache(Path(image_cache) if image_cache else reachqa_home() / "benchmark-images")
    source = str(folder.resolve())
    images: dict[str, bytes] = {}
    start, size = 0, _FIRST_BATCH
    while start < len(qas):
        batch = qas[start:start + size]
        _provide_images([charts[q.chart_id] for q in batch], images, store, source, render_env, split, progress)
        for q in batch:
            chart = charts[q.chart_id]
            meta = {"plot_id": chart.id, "plot_level": chart.level, "major_chart_type": chart.major_chart_type,
                    "minor_chart_type": chart.minor_chart_type, "group": chart.id, "category": chart.major_chart_type}
            yield Sample(id=q.id, image=images[chart.id], question=q.question, answer=q.answer,
                         subset=_subset(q.qa_type), meta={k: v for k, v in meta.items() if v})
        start, size = start + size, min(size * 2, _MAX_BATCH)


def _provide_images(charts: list[Chart], images: dict[str, bytes], store: RenderCache, source: str, env: str,
                    split: SourceSplit, progress: bool = False) -> None:
    """Fill ``images`` (keyed by chart id) from the released files, the image cache, or renders
    (with a "rendering benchmark charts" bar on stderr when ``progress``)."""
    to_render: dict[str, Chart] = {}
    for chart in charts:
        if chart.id in images or chart.id in to_render:
            continue
        on_disk = split.root / chart.image if chart.image else None
        if on_disk is not None and on_disk.is_file():
            images[chart.id] = on_disk.read_bytes()
        elif (hit := store.get(_image_key(source, chart, env))) is not None and hit[1] is not None:
            images[chart.id] = hit[1]
        elif chart.code_path.is_file():
            to_render[chart.id] = chart
        else:
            raise FileNotFoundError(f"{split.qa_file}: chart {chart.id!r} (listed at {chart.where}) has no image "
                                    f"{on_disk or '(none named)'} and no code {chart.code_path} to render it from")
    if not to_render:
        return
    from reachqa_builder.render import render_scripts

    with tempfile.TemporaryDirectory(prefix="reachqa-benchmark-") as tmp:
        paths = {c.code_path: c for c in to_render.values()}
        by_stem = {r.id: r for r in render_scripts(list(paths), tmp, env=env, progress=progress, report=False,
                                                         desc="rendering benchmark charts")}
        for code, chart in paths.items():
            rec = by_stem.get(code.stem)
            if rec is None or rec.status != "ok" or not rec.image:
                raise RuntimeError(f"reachqa: rendering {code} failed: {rec.error if rec else 'no record'}")
            data = Path(rec.image).read_bytes()
            meta = {"status": "ok", "sha256": hashlib.sha256(data).hexdigest(), "source": source,
                    "image": chart.image, "env": env}
            store.put(_image_key(source, chart, env), meta, data)
            images[chart.id] = data


def _image_key(source: str, chart: Chart, env: str) -> str:
    """The cache entry of a chart's image: its folder, its image name (its id when none), the environment."""
    return RenderCache.key_of({"benchmark": "reachqa", "source": source, "image": chart.image or chart.id, "env": env})


def _built(folder: Path, split: str) -> Iterator[Sample]:
    """A dataset written by ``reachqa build`` (Parquet + card) or ``save_to_disk``, config ``qa``."""
    import datasets

    if (folder / "dataset_info.json").is_file() or (folder / "dataset_dict.json").is_file():
        ds = datasets.load_from_disk(str(folder))
        if isinstance(ds, datasets.DatasetDict):
            ds = ds[split]
        ds = ds.cast_column("image", datasets.Image(decode=False))
    else:
        ds = load_hub_rows(str(folder), split, "qa", image_columns=("image",))
    missing = {"qa_id", "image", "question", "answer", "qa_type"} - set(ds.column_names)
    if missing:
        raise ValueError(f"reachqa: {folder} has no columns {sorted(missing)}; is it a `reachqa build` qa config?")
    for row in ds:
        yield Sample(id=str(row["qa_id"]), image=image_bytes(row["image"], folder, what=f"reachqa {row['qa_id']}"),
                     question=row["question"], answer=row["answer"], subset=_subset(row["qa_type"]),
                     meta={**{k: row[k] for k in ("chart_id", "level", "major_chart_type", "minor_chart_type") if k in row},
                           "group": row.get("chart_id"), "category": row.get("major_chart_type")})
