"""Shared helpers of the benchmark adapters: reading release files, images and Hub datasets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

from reachqa_builder.fileio import read_json
from reachqa_builder.imagedata import image_bytes

from .spec import Sample

__all__ = ["image_bytes", "load_hub_rows", "open_rows", "is_hub_id", "iter_data_json",
           "resolve_source", "local_release_file", "release_samples"]


def is_hub_id(source: str) -> bool:
    """``owner/name`` that is not an existing local path."""
    return source.count("/") == 1 and not Path(source).exists() and not source.startswith((".", "/", "~"))


def resolve_source(source: str | None, default: str | None, name: str) -> str:
    src = source or default
    if not src:
        raise ValueError(f"benchmark {name!r} has no default source; pass a local path ({name}=PATH)")
    return os.path.expanduser(src)


def local_release_file(source: str | None, name: str, file: str) -> Path:
    """The annotation file of a benchmark released only as files: ``source`` is that file or its folder."""
    if source is None:
        raise ValueError(f"{name} has no Hub source; pass the release folder: {name}=PATH")
    root = Path(source)
    return root if root.is_file() else root / file


def release_samples(source: str | None, name: str, file: str, default_subset: str,
                    read: Callable[[Path, Path], Iterable[Sample]]) -> Iterator[Sample]:
    """The samples of a benchmark released only as files: ``read(annotation file, release root)``,
    or, when that file is absent and its folder holds the authors' ``data.json``, those records."""
    path = local_release_file(source, name, file)
    root = path.parent
    if not path.is_file() and (root / "data.json").is_file():
        yield from iter_data_json(root, name, default_subset)
    else:
        yield from read(path, root)


def load_hub_rows(hub_id: str, split: str, config: str | None = None, image_columns: tuple[str, ...] = ()):
    """Rows of a Hub dataset (or a local datasets folder), with image columns left undecoded
    (``{"bytes", "path"}``) so images pass through unchanged. Fails with a clear message offline."""
    import datasets

    try:
        ds = datasets.load_dataset(hub_id, config, split=split)
    except Exception as exc:  # offline, missing split, gated ...
        raise RuntimeError(f"could not load {hub_id!r} (split {split!r}) with datasets.load_dataset: "
                           f"{type(exc).__name__}: {exc}. Download it first or pass a local path.") from exc
    for col in image_columns:
        if col in ds.column_names and isinstance(ds.features[col], datasets.Image):
            ds = ds.cast_column(col, datasets.Image(decode=False))
    return ds


def iter_data_json(folder: Path, benchmark: str, default_subset: str,
                   subset_fn: Callable[[str], str] = str.lower) -> Iterator[Sample]:
    """The layout the ReachQA authors' tool read for every benchmark: ``<folder>/data.json``, a list
    of ``{"question", "answer", "image" (relative path), "split"}``."""
    records = read_json(folder / "data.json", what="benchmark file")
    if not isinstance(records, list):
        raise ValueError(f"{folder / 'data.json'}: expected a list of records")
    for n, rec in enumerate(records):
        missing = [k for k in ("question", "answer", "image") if k not in rec]
        if missing:
            raise ValueError(f"{folder / 'data.json'} record {n}: missing {missing}")
        yield Sample(
            id=str(rec.get("id", n)),
            image=image_bytes(rec["image"], folder, what=f"{benchmark} record {n}"),
            question=str(rec["question"]),
            answer=str(rec["answer"]),
            subset=subset_fn(str(rec.get("split") or default_subset)),
            meta={k: v for k, v in rec.items() if k not in ("question", "answer", "image", "split", "id")},
        )


def open_rows(source: str | None, hub_id: str, split: str, image_columns: tuple[str, ...] = ("image",)):
    """Rows in a benchmark's Hub column layout from the Hub (``source`` None or ``owner/name``), a
    local Parquet file or folder of Parquet files, or a ``save_to_disk`` folder; images undecoded."""
    import datasets

    if source is None or is_hub_id(source):
        return load_hub_rows(source or hub_id, split, image_columns=image_columns)
    path = Path(source)
    if path.is_dir() and ((path / "dataset_info.json").is_file() or (path / "dataset_dict.json").is_file()):
        ds = datasets.load_from_disk(str(path))
        ds = ds[split] if isinstance(ds, datasets.DatasetDict) else ds
    else:
        files = [path] if path.is_file() else (sorted(path.glob(f"{split}*.parquet")) or sorted(path.glob("*.parquet")))
        if not files:
            raise FileNotFoundError(f"no dataset folder or *.parquet file at {path}")
        ds = datasets.load_dataset("parquet", data_files=[str(f) for f in files], split="train")
    for col in image_columns:
        if col in ds.column_names and isinstance(ds.features[col], datasets.Image):
            ds = ds.cast_column(col, datasets.Image(decode=False))
    return ds
