"""Loading the chart Q&A dataset: columns checked, images decoded lazily, bad images skipped or fatal.

Images stay encoded (``datasets.Image(decode=False)``) in the Arrow table and are decoded by the
collator for each batch, so a dataset of thousands of charts never sits decoded in memory.
"""

from __future__ import annotations

import io
import logging
import math
import os
import random
from pathlib import Path

import datasets
from datasets.fingerprint import Hasher
from PIL import Image, UnidentifiedImageError

from reachqa_builder.imagedata import image_bytes

from training.formats import is_conversation_file, load_conversation_file

logger = logging.getLogger(__name__)

# Pillow raises these for truncated, corrupt or unknown image data.
DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError)


class ImageDecodeError(ValueError):
    """An image in the dataset cannot be decoded."""


class DatasetColumnsError(ValueError):
    """The dataset lacks a column the training needs."""


def load_splits(data_args) -> tuple[datasets.Dataset, datasets.Dataset | None]:
    """Load the train split and the optional eval split named by ``data_args``.

    The image column is kept encoded. Raises `DatasetColumnsError` when a needed column is missing.
    """
    sources = [s.strip() for s in data_args.dataset.split(",") if s.strip()]
    if len(sources) > 1 or is_conversation_file(sources[0]):
        loaded = datasets.DatasetDict({data_args.train_split: load_conversation_files(sources, data_args)})
    else:
        loaded = load_dataset_fresh(data_args.dataset, dataset_config(data_args.dataset, data_args.dataset_config))
    if not isinstance(loaded, datasets.DatasetDict):
        loaded = datasets.DatasetDict({data_args.train_split: loaded})
    for split in (data_args.train_split, data_args.eval_split):
        if split is not None and split not in loaded:
            raise ValueError(f"dataset {data_args.dataset!r} has no split {split!r}; "
                             f"its splits are: {', '.join(loaded)}")
    train = check_columns(loaded[data_args.train_split], data_args, data_args.train_split)
    if data_args.max_train_samples is not None:
        train = train.select(range(min(data_args.max_train_samples, len(train))))
    evaluation = None
    if data_args.eval_split:
        evaluation = check_columns(loaded[data_args.eval_split], data_args, data_args.eval_split)
    elif data_args.eval_size:
        train, evaluation = hold_out(train, data_args.eval_size, group_keys(train, data_args))
    return train, evaluation


def group_keys(ds: datasets.Dataset, data_args) -> list | None:
    """The chart of every row for the hold-out (``--eval_group_column``), or None for single rows."""
    column = data_args.eval_group_column
    if column == "none":
        return None
    if column == "auto":
        for name in ("chart_id", "images", data_args.image_column):
            if name in ds.column_names:
                column = name
                break
        else:
            raise DatasetColumnsError(f"--eval_size: found no chart_id or image column to keep one chart's questions "
                                      "together; name one with --eval_group_column (or 'none')")
    if column not in ds.column_names:
        raise DatasetColumnsError(f"--eval_group_column {column!r}: no such column; its columns are: "
                                  f"{', '.join(ds.column_names)}")
    return [Hasher.hash(v) for v in ds.with_format("arrow")[column].to_pylist()] \
        if column != "chart_id" else ds[column]


def hold_out(ds: datasets.Dataset, size: float, keys: list | None, seed: int = 0):
    """Split ``ds`` into (train, eval) with about ``size`` rows (a fraction <1 or a count) in eval, whole groups
    of ``keys`` at a time (all rows of a chart on one side), drawn at random with ``seed``."""
    if keys is None:
        parts = ds.train_test_split(test_size=size if size < 1 else int(size), seed=seed)
        return parts["train"], parts["test"]
    groups: dict = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    target = math.ceil(size * len(ds)) if size < 1 else int(size)
    if len(groups) < 2:
        logger.warning("--eval_size %s: the %d row(s) show %d chart(s); nothing held out for eval", size, len(ds),
                       len(groups))
        return ds, None
    if target >= len(ds):
        raise ValueError(f"--eval_size {size}: cannot hold out that many of {len(ds)} rows with at least one chart "
                         "left to train on")
    order = list(groups)
    random.Random(seed).shuffle(order)
    held: list[int] = []
    for key in order[:-1]:  # one chart always stays for training
        if len(held) >= target:
            break
        held.extend(groups[key])
    held_set = set(held)
    return ds.select([i for i in range(len(ds)) if i not in held_set]), ds.select(sorted(held))


def load_conversation_files(sources: list[str], data_args) -> datasets.Dataset:
    """JSON / JSONL files read with `training.formats`, mixed by ``--dataset_weights`` when given."""
    missing = [s for s in sources if not is_conversation_file(s)]
    if missing:
        raise FileNotFoundError(f"--dataset {', '.join(missing)}: several datasets are mixed only as JSON / JSONL files "
                                "(no such file, or not .json / .jsonl)")
    parts = [load_conversation_file(s, data_args) for s in sources]
    weights = data_args.dataset_weights
    if not weights:
        return datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    if len(weights) != len(parts) or any(w <= 0 for w in weights):
        raise ValueError(f"--dataset_weights {weights}: give one positive weight per dataset ({len(parts)})")
    total = sum(weights)
    return datasets.interleave_datasets(parts, probabilities=[w / total for w in weights], seed=0,
                                        stopping_strategy="all_exhausted")


def load_dataset_fresh(path: str, name: str | None) -> datasets.DatasetDict | datasets.Dataset:
    """``datasets.load_dataset``, but a local folder is never served from a stale cache.

    For a local folder whose card declares configs, ``datasets`` keys its Arrow cache on the
    folder's name and the card, not on the files: after a rebuild (or for another folder of the
    same name) it returns the old rows. So the data files the card names are resolved here and
    loaded with their packaged builder (parquet, json, ...), whose cache key includes each file's
    modification time.
    """
    if not os.path.isdir(path):
        return datasets.load_dataset(path, name)
    builder = datasets.load_dataset_builder(path, name)
    module = type(builder).__module__
    data_files = builder.config.data_files
    if not module.startswith("datasets.packaged_modules.") or not data_files:
        return datasets.load_dataset(path, name)
    packaged = module.split(".")[2]
    # no features= from the builder: its info may come from that same stale cache; Parquet files carry theirs
    return datasets.load_dataset(packaged, data_files={split: list(files) for split, files in data_files.items()})


def dataset_config(path: str, name: str | None) -> str | None:
    """The configuration to load: the one named, else 'qa' when the dataset has several (a `reachqa build`)."""
    if name is not None:
        return name
    try:
        names = datasets.get_dataset_config_names(path)
    except (FileNotFoundError, ValueError, ConnectionError):
        return None
    return "qa" if len(names) > 1 and "qa" in names else None


def check_columns(ds: datasets.Dataset, data_args, split: str) -> datasets.Dataset:
    """Fail with a clear message when a needed column is missing; keep the image column encoded."""
    if {"images", "messages"} <= set(ds.column_names):  # conversation table from JSON / JSONL files
        return ds
    wanted = {"--image_column": data_args.image_column, "--question_column": data_args.question_column,
              "--answer_column": data_args.answer_column}
    missing = [f"{name!r} (set {flag})" for flag, name in wanted.items() if name not in ds.column_names]
    if missing:
        raise DatasetColumnsError(
            f"dataset {data_args.dataset!r} split {split!r} lacks column(s) {', '.join(missing)}; "
            f"its columns are: {', '.join(ds.column_names)}")
    feature = ds.features[data_args.image_column]
    if isinstance(feature, datasets.Image) and feature.decode:
        ds = ds.cast_column(data_args.image_column, datasets.Image(decode=False))
    return ds


def decode_image(value, base_dir: str | os.PathLike | None = None) -> Image.Image:
    """Decode one cell of the image column (encoded dict, bytes, path or PIL image) to an RGB image.

    Raises `ImageDecodeError` naming the cause when the data is not a readable image.
    """
    if isinstance(value, Image.Image):
        image = value
    else:
        source = _image_source(value, base_dir)
        try:
            image = Image.open(source)
            image.load()
        except DECODE_ERRORS as exc:
            raise ImageDecodeError(f"{type(exc).__name__}: {exc}") from exc
    try:
        return image.convert("RGB")
    except DECODE_ERRORS as exc:
        raise ImageDecodeError(f"{type(exc).__name__}: {exc}") from exc


def check_image(value, base_dir: str | os.PathLike | None = None) -> tuple[int, int]:
    """(width, height) of a cell of the image column after decoding it in full, cheaply: a JPEG is decoded at
    1/8 scale (libjpeg's DCT scaling reads every byte of the file, so truncated or corrupt data still fails),
    other formats at full size. Raises `ImageDecodeError` as `decode_image` does."""
    if isinstance(value, Image.Image):
        return value.size
    source = _image_source(value, base_dir)
    try:
        image = Image.open(source)
        size = image.size
        if image.format == "JPEG":
            image.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
        image.load()
    except DECODE_ERRORS as exc:
        raise ImageDecodeError(f"{type(exc).__name__}: {exc}") from exc
    return size


def _image_source(value, base_dir) -> io.BytesIO:
    """The cell's encoded bytes (:func:`reachqa_builder.imagedata.image_bytes`); a relative path that
    exists from the working folder wins over ``base_dir``."""
    if isinstance(value, dict):
        value = value.get("bytes") or value.get("path")
    if isinstance(value, str) and value and base_dir is not None and Path(value).exists():
        base_dir = None
    if not isinstance(value, (bytes, bytearray, str)) or not value:
        raise ImageDecodeError(f"TypeError: no image data in cell of type {type(value).__name__}")
    try:
        return io.BytesIO(image_bytes(value, base_dir))
    except FileNotFoundError:
        raise ImageDecodeError(f"FileNotFoundError: image file {value!r} does not exist") from None
