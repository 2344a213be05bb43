"""One pass over a split before the model loads: check every image, measure every row's length in tokens.

The results are cached in ``--prepare_cache_dir`` keyed by the data (the dataset's fingerprint and the
size and modification time of every image file it names) and by the processor with its image budget,
so a second start with the same data and model reads them.

The lengths feed transformers' length-grouped sampler (``train_sampling_strategy=group_by_length``)
so that rows of similar length share a batch; the image check turns an undecodable image into a
counted skip or a clear error before any compute is spent.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import datasets
from datasets.fingerprint import Hasher

from training.data import ImageDecodeError, check_image, decode_image
from reachqa_builder.fileio import atomic_write_json

from training.prompts import conversation_segments, row_conversation, segment_ids

logger = logging.getLogger(__name__)

LENGTH_COLUMN = "reachqa_num_tokens"


class LengthMeter:
    """Count a row's tokens (prompt with its image tokens, then the completion) without pixel work.

    Uses the processor's own placeholder arithmetic (``_get_num_multimodal_tokens``, the method
    vLLM relies on) from the image size alone, plus a fixed number of tokens per image that the
    processor adds around the placeholders (InternVL's ``<img>`` and ``</img>``: 2). That offset is
    learnt from the first rows, which are also run through the full processor (``CHECKED_ROWS`` of
    them); if the counts disagree in any other way, or the processor has no such method, every row
    is measured with the full processor instead (and the log says so). Images are checked with
    `check_image` (a reduced-scale decode); only the slow path decodes them in full.
    """

    CHECKED_ROWS = 3

    def __init__(self, processor, formatter):
        self.processor = processor
        self.formatter = formatter
        self.tokenizer = processor.tokenizer
        self.image_token_id = getattr(processor, "image_token_id", None)
        self.fast = hasattr(processor, "_get_num_multimodal_tokens") and self.image_token_id is not None
        self.checked = 0
        self.sizes: dict[str, tuple[int, int]] = {}  # image file -> size: each file is checked once per pass
        self.offset: int | None = None  # tokens the processor adds per image besides the placeholders
        # identifies the measurement for the cache: same processor and prompt format, same lengths
        self.fingerprint = Hasher.hash((type(processor).__name__, processor.to_json_string(),
                                        processor.tokenizer.name_or_path, len(processor.tokenizer),
                                        formatter.prompt("?"), formatter.completion_ids("?", "!"), "meter-v2"))

    def full_prompt_length(self, prompt: str, images) -> int:
        kwargs = {"images": images} if images else {}
        enc = self.processor(text=[prompt], add_special_tokens=self.formatter.add_special_tokens, **kwargs)
        return len(enc["input_ids"][0])

    def placeholder_length(self, prompt: str, sizes: list[tuple[int, int]]) -> int:
        """Prompt tokens with each image placeholder counted as the image tokens the processor computes from
        the image's (width, height); without the per-image offset."""
        ids = self.tokenizer(prompt, add_special_tokens=self.formatter.add_special_tokens)["input_ids"]
        placeholders = ids.count(self.image_token_id)
        if placeholders != len(sizes):
            raise ValueError("placeholder count differs from the image count")
        if not sizes:
            return len(ids)
        data = self.processor._get_num_multimodal_tokens(image_sizes=[(h, w) for w, h in sizes])
        return len(ids) - placeholders + sum(int(n) for n in data["num_image_tokens"])

    def prompt_length(self, prompt: str, images, base_dir=None, sizes: list[tuple[int, int]] | None = None) -> int:
        """Tokens of ``prompt`` with ``images`` (cells of the image column; ``sizes``: their (width, height)
        where `check_image` gave them already)."""
        images = images if isinstance(images, list) else [images]
        if self.fast:
            sizes = sizes if sizes is not None else [check_image(im, base_dir) for im in images]
            try:
                n = self.placeholder_length(prompt, sizes)
            except (AttributeError, KeyError, TypeError, ValueError, NotImplementedError):
                n = None
            if n is not None and self.checked >= self.CHECKED_ROWS:
                return n + self.offset * len(sizes)
            full = self.full_prompt_length(prompt, [decode_image(im, base_dir) for im in images])
            offset = (full - n) // len(sizes) if n is not None and sizes else 0
            if n is not None and full == n + offset * len(sizes) and self.offset in (None, offset):
                self.offset = offset
                self.checked += 1
            else:
                logger.warning("image token count from the image size (%s, %s per image added) differs from the "
                               "processor's (%s); measuring lengths with the full processor (slow)",
                               n, self.offset, full)
                self.fast = False
            return full
        return self.full_prompt_length(prompt, [decode_image(im, base_dir) for im in images])

    def image_size(self, value, base_dir) -> tuple[int, int]:
        """`check_image` of a cell, once per image file (questions of one chart share its file)."""
        key = value if isinstance(value, str) else value.get("path") if (
            isinstance(value, dict) and not value.get("bytes")) else None
        if key is None:
            return check_image(value, base_dir)
        if key not in self.sizes:
            self.sizes[key] = check_image(value, base_dir)
        return self.sizes[key]

    def __call__(self, batch: dict, image_column: str, question_column: str, answer_column: str,
                 base_dir: str | None) -> dict:
        out = {"prompt_length": [], "length": [], "error": [], "no_text": []}
        size = len(next(iter(batch.values())))
        for i in range(size):
            row = {k: v[i] for k, v in batch.items()}
            images, turns, add_suffix = row_conversation(row, image_column, question_column, answer_column)
            missing = [] if "messages" in row else [
                name for name, text in (("question", row[question_column]), ("answer", row[answer_column]))
                if not isinstance(text, str) or not text.strip()]
            error, sizes = None, []
            if not missing:
                try:
                    sizes = [self.image_size(value, base_dir) for value in images]
                except ImageDecodeError as exc:
                    error = str(exc)
            if missing or error:
                out["prompt_length"].append(0)
                out["length"].append(0)
                out["error"].append(error)
                out["no_text"].append(" and ".join(missing) or None)
                continue
            segments = conversation_segments(self.formatter, turns, add_suffix)
            p = self.prompt_length(segments[0][0], images, base_dir, sizes)
            rest = sum(len(segment_ids(self.formatter, text, trained)) for text, trained in segments[1:])
            out["prompt_length"].append(p)
            out["length"].append(p + rest)
            out["error"].append(None)
            out["no_text"].append(None)
        return out


def length_percentiles(lengths: list[int]) -> dict:
    """p50 / p95 / max of the rows' token counts (nearest-rank percentiles, before any cut)."""
    ordered = sorted(lengths)

    def rank(q: float) -> int:
        return ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * q // 100) - 1))] if ordered else 0

    return {"length_p50": int(rank(50)), "length_p95": int(rank(95)), "length_max": int(ordered[-1]) if ordered else 0}


def image_file_stamps(ds: datasets.Dataset, image_column: str, base_dir: str | None) -> list:
    """(path, size, modification time) of every image the rows refer to by path (conversation files, path
    columns): an image replaced under the same name invalidates the cached checks. Embedded images are
    covered by the dataset's own fingerprint."""
    column = "images" if "images" in ds.column_names else image_column
    if column not in ds.column_names:
        return []
    feature = ds.features[column]
    if isinstance(feature, datasets.Image):
        import pyarrow.compute as pc

        arrow = ds.with_format("arrow")[column]
        no_bytes = pc.is_null(pc.struct_field(arrow, "bytes"))
        paths = [p for p in pc.filter(pc.struct_field(arrow, "path"), no_bytes).to_pylist() if p]
    elif isinstance(feature, datasets.Value) and feature.dtype in ("string", "large_string"):
        paths = ds[column]
    elif isinstance(feature, (datasets.Sequence, datasets.List, list)):
        paths = [p for row in ds[column] for p in row if isinstance(p, str)]
    else:
        return []
    stamps = []
    for path in paths:
        full = path if base_dir is None or os.path.isabs(path) else os.path.join(base_dir, path)
        try:
            st = os.stat(full)
            stamps.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((path, None, None))
    return stamps


def read_cached(cache: Path | None, rows: int) -> dict | None:
    """The cached measurement of a split, or None (no cache, none yet, or unreadable: measured again)."""
    if cache is None or not cache.is_file():
        return None
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("rows") != rows or any(len(data.get(k, ())) != rows for k in ("error", "length")):
        return None
    return data


def measure_split(ds: datasets.Dataset, meter: LengthMeter, data_args, split: str,
                  base_dir: str | None = None) -> tuple[datasets.Dataset, dict]:
    """Check images and add the length column; drop undecodable rows (or fail) and prompts too long.

    Returns the kept rows with a ``reachqa_num_tokens`` column and a report of what was dropped.
    """
    columns = dict(image_column=data_args.image_column, question_column=data_args.question_column,
                   answer_column=data_args.answer_column, base_dir=base_dir)
    key = Hasher.hash((ds._fingerprint, meter.fingerprint, sorted(columns.items()),
                       image_file_stamps(ds, data_args.image_column, base_dir), "measure-v5"))
    folder = data_args.prepare_cache_dir
    if folder is None:  # the default: under reachqa's cache root ("" turns the cache off)
        from reachqa_builder.paths import reachqa_home

        folder = str(reachqa_home() / "training-prepare")
    cache = Path(folder).expanduser() / f"{key}.json" if folder else None
    measured = read_cached(cache, len(ds))
    if measured is None:
        table = ds.map(meter, batched=True, batch_size=32, fn_kwargs=columns, remove_columns=ds.column_names,
                       num_proc=data_args.dataset_num_proc, keep_in_memory=True,
                       desc=f"Checking images and measuring lengths ({split})")
        measured = {name: list(table[name]) for name in ("error", "no_text", "prompt_length", "length")}
        if cache is not None:
            atomic_write_json(cache, {"rows": len(ds), **measured}, indent=None)
    else:
        logger.info("split %r: image checks and token counts of %d rows read from %s", split, len(ds), cache)
    errors = measured["error"]
    no_text = measured["no_text"]
    prompt_lengths = measured["prompt_length"]
    lengths = measured["length"]

    bad = [i for i, e in enumerate(errors) if e]
    if bad and data_args.on_bad_image == "fail":
        i = bad[0]
        raise ImageDecodeError(f"split {split!r} row {i}: the image does not decode ({errors[i]}); "
                               f"{len(bad)} row(s) of {len(ds)} are affected. Pass --on_bad_image skip to "
                               "skip them and train on the rest")
    empty = [i for i, t in enumerate(no_text) if t]
    too_long = [i for i, (e, t, p) in enumerate(zip(errors, no_text, prompt_lengths))
                if not e and not t and p >= data_args.max_length]
    dropped = set(bad) | set(empty) | set(too_long)
    keep = [i for i in range(len(ds)) if i not in dropped]
    if not keep:
        raise ValueError(f"split {split!r}: no usable rows left ({len(bad)} undecodable image(s), {len(empty)} "
                         f"without question or answer, {len(too_long)} prompt(s) longer than "
                         f"max_length={data_args.max_length})")
    if LENGTH_COLUMN in ds.column_names:
        ds = ds.remove_columns(LENGTH_COLUMN)
    ds = ds.add_column(LENGTH_COLUMN, [min(n, data_args.max_length) for n in lengths])
    if dropped:
        ds = ds.select(keep)
    report = {
        "split": split,
        "rows": len(errors),
        "kept": len(keep),
        "skipped_bad_image": len(bad),
        "bad_image_rows": [{"row": i, "error": errors[i]} for i in bad[:20]],
        "skipped_missing_text": len(empty),
        "missing_text_rows": [{"row": i, "missing": no_text[i]} for i in empty[:20]],
        "dropped_prompt_too_long": len(too_long),
        "truncated_answers": sum(1 for i in keep if lengths[i] > data_args.max_length),
        "tokens": sum(min(lengths[i], data_args.max_length) for i in keep),
        **length_percentiles([lengths[i] for i in keep]),
    }
    logger.info("split %r: %d of %d rows kept (%d dropped); tokens per row p50 %d, p95 %d, max %d "
                "(max_length %d, %d answers cut)", split, len(keep), len(errors), len(dropped),
                report["length_p50"], report["length_p95"], report["length_max"], data_args.max_length,
                report["truncated_answers"])
    if bad:
        logger.warning("split %r: skipped %d of %d rows whose image does not decode (first: row %d: %s)",
                       split, len(bad), len(errors), bad[0], errors[bad[0]])
    if empty:
        logger.warning("split %r: skipped %d rows without a question or answer (first: row %d, no %s)",
                       split, len(empty), empty[0], no_text[empty[0]])
    if too_long:
        logger.warning("split %r: dropped %d rows whose prompt is longer than max_length=%d",
                       split, len(too_long), data_args.max_length)
    return ds, report
