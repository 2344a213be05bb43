"""ReachQA test set: 500 charts, 2,000 questions (1,000 recognition, 1,000 reasoning).

Sources, in the order they are tried:

* a released split folder (``reachqa_test/``: ``instruction_data_*.json`` + ``code/`` and, when
  present, ``images/``). Charts without an image file are rendered from their code through
  :func:`reachqa_builder.render.render_scripts` into a cache folder (``image_cache``, default
  ``$REACHQA_HOME/benchmark-images``), a batch at a time, so ``limit`` renders only what it needs.
  This folder is kept beside the renderer's own cache on purpose: the render cache is keyed by the
  script's content (it needs the code), while this one is keyed by the record's image name, so a
  test folder that ships only the Q&A file and the images rendered once keeps working;
* a ``reachqa build`` output folder or ``save_to_disk`` folder, read with ``datasets`` (config ``qa``);
* a folder in the authors' evaluation layout (``data.json``).

The default source is ``$REACHQA_TEST_DIR`` (the released ``reachqa_test`` folder).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator

from reachqa_builder.fileio import read_json
from reachqa_builder.render.envs import reachqa_home

from ._io import image_bytes, iter_data_json, load_hub_rows, resolve_source
from .spec import Sample, register

_FIRST_BATCH, _MAX_BATCH = 4, 64  # render batches grow, so a small ``limit`` renders little


def _subset(qa_type: str) -> str:
    t = (qa_type or "").strip().lower()
    return {"reasoning": "reasoning", "recognition": "recognition", "recognizing": "recognition",
            "reas": "reasoning", "reco": "recognition"}.get(t, t)


def _qa_file(folder: Path) -> Path | None:
    files = sorted(folder.glob("instruction_data*.json"))
    return files[0] if files else None


@register("reachqa", subsets=("recognition", "reasoning"), relaxed=False,
          description="ReachQA test: recognition and reasoning questions on synthetic charts")
def load_reachqa(source: str | None, *, render_env: str = "current", image_cache: str | None = None,
                 split: str = "test", **_) -> Iterator[Sample]:
    folder = Path(resolve_source(source, os.environ.get("REACHQA_TEST_DIR"), "reachqa"))
    if not folder.exists():
        raise FileNotFoundError(f"reachqa: source folder not found: {folder}")
    qa_file = _qa_file(folder)
    if qa_file is not None:
        yield from _released(folder, qa_file, render_env, image_cache)
    elif (folder / "data.json").is_file():
        yield from iter_data_json(folder, "reachqa", "reasoning", _subset)
    else:
        yield from _built(folder, split)


def _released(folder: Path, qa_file: Path, render_env: str, image_cache: str | None) -> Iterator[Sample]:
    records = read_json(qa_file)
    if not isinstance(records, list):
        raise ValueError(f"{qa_file}: expected a list of Q&A records")
    cache_root = Path(image_cache) if image_cache else reachqa_home() / "benchmark-images"
    cache_dir = cache_root / f"{folder.name}-{hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]}-{render_env}"
    images: dict[str, bytes] = {}
    start, size = 0, _FIRST_BATCH
    while start < len(records):
        batch = records[start:start + size]
        _provide_images(folder, batch, images, cache_dir, render_env, qa_file)
        for n, rec in enumerate(batch, start):
            try:
                yield Sample(
                    id=str(rec["data_id"]),
                    image=images[str(rec["image"])],
                    question=str(rec["question"]),
                    answer=str(rec["answer"]),
                    subset=_subset(rec.get("QA_type", "")),
                    meta={k: rec[k] for k in ("plot_id", "plot_level", "major_chart_type", "minor_chart_type")
                          if k in rec},
                )
            except KeyError as exc:
                raise ValueError(f"{qa_file} record {n}: missing field {exc}") from None
        start, size = start + size, min(size * 2, _MAX_BATCH)


def _provide_images(folder: Path, batch: list[dict], images: dict[str, bytes], cache_dir: Path, env: str,
                    qa_file: Path) -> None:
    """Fill ``images`` (keyed by the record's ``image`` field) from files, the cache, or renders."""
    to_render: dict[str, Path] = {}
    for rec in batch:
        rel = str(rec.get("image", ""))
        if not rel or rel in images:
            continue
        on_disk = folder / rel
        cached = cache_dir / (Path(rel).stem + ".jpg")
        if on_disk.is_file():
            images[rel] = on_disk.read_bytes()
        elif cached.is_file():
            images[rel] = cached.read_bytes()
        else:
            code = folder / str(rec.get("code", ""))
            if not code.is_file():
                raise FileNotFoundError(f"{qa_file}: no image {on_disk} and no code {code} to render it from")
            to_render[rel] = code
    if not to_render:
        return
    from reachqa_builder.render import render_scripts

    cache_dir.mkdir(parents=True, exist_ok=True)
    records = render_scripts(list(to_render.values()), cache_dir, env=env, progress=False)
    by_stem = {r.id: r for r in records}
    for rel, code in to_render.items():
        rec = by_stem.get(code.stem)
        if rec is None or rec.status != "ok" or not rec.image:
            raise RuntimeError(f"reachqa: rendering {code} failed: {rec.error if rec else 'no record'}")
        data = Path(rec.image).read_bytes()
        target = cache_dir / (Path(rel).stem + ".jpg")
        if Path(rec.image) != target:
            target.write_bytes(data)
        images[rel] = data


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
                     meta={k: row[k] for k in ("chart_id", "level", "major_chart_type", "minor_chart_type") if k in row})
