"""Write a built config as a Parquet dataset folder with a dataset card.

The folder has the Hub's layout, the same that ``push_to_hub`` writes::

    reachqa/
      README.md                          card; its YAML ``configs:`` lists every config and split
      qa/test-00000-of-00001.parquet
      charts/train-00000-of-00002.parquet ...

so ``datasets.load_dataset("reachqa", "charts")`` loads it with any ``datasets`` version, and
``reachqa push`` can publish it. Building a second config into the same folder keeps the first;
building a split (``--split synthetic``) adds or replaces that split only, keeping the config's
other splits and the card's entries for them (the card is merged, see :mod:`reachqa_builder.card`).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import pyarrow.parquet as pq

from .generation import RenderReport
from .builder import ReachQA
from .card import SplitEntry, listed_splits, merge_card, parse_meta, split_card
from .features import CONFIG_NAMES
from .fileio import atomic_write, check_parquet

logger = logging.getLogger(__name__)

CARD_NAME = "README.md"
_SHARD_RE = re.compile(r"^(?P<split>.+)-(?P<index>\d{5})-of-(?P<total>\d{5})\.parquet$")


@dataclass
class BuildResult:
    """What building one config did."""

    config: str
    out_dir: Path
    rows: dict[str, int] = field(default_factory=dict)
    reports: dict[str, RenderReport] = field(default_factory=dict)


def build_config(config_name: str, out_dir: str | Path, *, data_dir: str | None = None, cache_dir: str | None = None,
                 max_shard_size: str | int = "500MB", writer_batch_size: int | None = None,
                 **config_kwargs) -> BuildResult:
    """Build ``config_name`` with :class:`ReachQA` and write it as Parquet under ``out_dir/<config>``.

    ``config_kwargs`` are :class:`ReachQAConfig` fields (``render_env``, ``split``, ...). The
    splits built replace those splits only: other splits of the config, other configs and their
    entries in the card stay. The card is merged (:func:`reachqa_builder.card.merge_card`) before
    any file in ``out_dir`` changes, so a split whose columns differ from the kept ones is refused
    with nothing touched (its renders stay in the render cache).
    """
    if config_name not in CONFIG_NAMES:
        raise ValueError(f"unknown config {config_name!r}; choose one of {', '.join(CONFIG_NAMES)}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a directory")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    try:
        return _build_into(config_name, out, data_dir, cache_dir, max_shard_size,
                           dict(config_kwargs, writer_batch_size=writer_batch_size))
    except BaseException as exc:
        if created and not any(out.iterdir()):
            out.rmdir()
        raise


def _owner_tag() -> str:
    """``<pid>.<start ticks>``: names staging folders after the process that writes them."""
    from .lock import process_start

    return f"{os.getpid()}.{process_start(os.getpid())}"


_STAGING_RE = re.compile(r"^\.(?:build-.+?|old-.+)-(?P<pid>\d+)\.(?P<ticks>\d+|None)(?:-.*)?$")


def remove_stale_staging(out: Path) -> list[Path]:
    """Remove ``.build-*`` / ``.old-*`` folders in ``out`` left by builds that no longer run (killed,
    or stopped by a full disk); a running build's folders stay. Returns what was removed."""
    from .lock import holder_running

    removed = []
    for p in out.iterdir():
        if not (p.name.startswith(".build-") or p.name.startswith(".old-")) or not p.is_dir():
            continue
        m = _STAGING_RE.match(p.name)
        if m and m["ticks"] != "None" and holder_running({"pid": int(m["pid"]), "start_ticks": int(m["ticks"])}):
            continue
        if not m:  # named by an older reachqa (no owner): the folder lock makes a concurrent build impossible
            logger.info("removing %s, left by an earlier build", p)
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _disk_full(exc: BaseException, out: Path, free_before: int) -> OSError | None:
    """An ``ENOSPC`` anywhere in ``exc``'s chain as one ``OSError`` naming the folder and the space
    the build needs (more than was free when it started)."""
    seen, depth = exc, 0
    while seen is not None and depth < 20 and not (isinstance(seen, OSError) and seen.errno == errno.ENOSPC):
        seen, depth = seen.__cause__ or seen.__context__, depth + 1
    if seen is None or depth >= 20:
        return None
    where = Path(seen.filename).parent if seen.filename else out
    in_out = where == out or out in where.parents or not seen.filename
    need = (f"the build needs more than the {free_before / 1e6:.1f} MB that were free there" if in_out
            else "that disk is full (a cache, not the dataset folder)")
    err = OSError(errno.ENOSPC, "No space left on device", str(out if in_out else where))
    err.reachqa_hint = (f"{need}; free more space and run it again. The dataset already in {out} is unchanged; "
                        f"the partial build was removed")
    return err


def _build_into(config_name: str, out: Path, data_dir, cache_dir, max_shard_size, config_kwargs) -> BuildResult:
    builder = ReachQA(config_name=config_name, data_dir=data_dir, cache_dir=cache_dir, **config_kwargs)
    free_before = shutil.disk_usage(out).free
    with tempfile.TemporaryDirectory(prefix=f".build-{config_name}-{_owner_tag()}-", dir=out) as tmp:
        try:
            return _stage_and_swap(builder, config_name, out, Path(tmp), max_shard_size)
        except Exception as exc:
            full = _disk_full(exc, out, free_before)
            if full is not None:
                raise full from exc
            raise


def _stage_and_swap(builder, config_name: str, out: Path, tmp: Path, max_shard_size) -> BuildResult:
    staging = Path(tmp) / "prepared"
    builder.download_and_prepare(output_dir=str(staging), file_format="parquet", max_shard_size=max_shard_size)
    result = BuildResult(config_name, out, reports=dict(getattr(builder, "render_reports", {})))
    target = Path(tmp) / config_name
    target.mkdir()
    prefix = f"{builder.dataset_name}-"
    built: dict[str, list[Path]] = {}
    for split_name, split_info in builder.info.splits.items():
        shards = sorted(staging.glob(f"{prefix}{split_name}.parquet")) or sorted(
            staging.glob(f"{prefix}{split_name}-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9].parquet"))
        built[split_name] = []
        for i, shard in enumerate(shards):
            dest = target / f"{split_name}-{i:05d}-of-{len(shards):05d}.parquet"
            os.replace(shard, dest)
            built[split_name].append(dest)
        result.rows[split_name] = split_info.num_examples
    entries = [split_entry(config_name, split, shards,
                           build_record(builder, split, result.reports.get(split))) for split, shards in built.items()]
    card = out / CARD_NAME
    old_card = card.read_text(encoding="utf-8") if card.is_file() else None
    present = {f"{c}/{s}" for c, splits in list_configs(out).items() for s in splits} | {e.key for e in entries}
    missing = listed_splits(parse_meta(split_card(old_card)[0])) - present  # listed, but its files are gone
    text = merge_card(old_card, _unlisted_entries(out, old_card, exclude={e.key for e in entries}) + entries,
                      remove=sorted(missing))
    kept = {s: fs for s, fs in list_configs(out).get(config_name, {}).items() if s not in built}
    for shards in kept.values():
        for f in shards:
            _link_or_copy(f, target / f.name)
    _swap_dir(target, out / config_name)
    atomic_write(card, text.encode("utf-8"))
    return result


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


def split_entry(config: str, split: str, shards: list[Path], build: dict | None = None) -> SplitEntry:
    """The card entry of one split from its Parquet shards."""
    features = datasets.Features.from_arrow_schema(pq.read_schema(shards[0]))
    return SplitEntry(config, split, num_examples=sum(pq.ParquetFile(f).metadata.num_rows for f in shards),
                      num_bytes=sum(f.stat().st_size for f in shards), features=features._to_yaml_list(), build=build)


def folder_entries(dataset_dir: str | Path, card_text: str | None = None) -> list[SplitEntry]:
    """Card entries of every split in ``dataset_dir``, with the build records ``card_text`` holds."""
    builds = parse_meta(split_card(card_text)[0]).builds
    return [split_entry(config, split, shards, builds.get(f"{config}/{split}"))
            for config, splits in list_configs(dataset_dir).items() for split, shards in splits.items()]


def _unlisted_entries(out: Path, card_text: str | None, exclude: set[str]) -> list[SplitEntry]:
    """Entries of splits in the folder that its card does not list (a folder whose card was lost)."""
    listed = listed_splits(parse_meta(split_card(card_text)[0]))
    return [e for e in folder_entries(out, card_text) if e.key not in listed and e.key not in exclude]


def build_record(builder, split: str, report: RenderReport | None) -> dict:
    """How one split was built, for the card: reachqa version, render environment, source, counts."""
    from . import __version__
    from .provenance import render_record, synthesis_record

    cfg = builder.config
    record = {"reachqa_version": __version__, "render": render_record(cfg.render_settings(getattr(builder, "render_env", None)).env, cfg.dpi),
              "source": dict(getattr(builder, "source_info", {}))}
    root = getattr(builder, "split_roots", {}).get(split)
    if record["source"].get("kind") == "folder" and root is not None:
        record["source"]["folder"] = Path(root).name
    if report is not None:
        record["charts"] = {"total": report.total, "ok": report.ok, "failed": len(report.failed),
                            "dropped_qa": report.dropped_qa}
        if report.cluster is not None:
            record["cluster"] = report.cluster
    syn = synthesis_record(root) if root is not None else None
    if syn is not None:
        record["synthesis"] = syn
    return record


def _swap_dir(new: Path, dest: Path) -> None:
    """Replace ``dest`` by ``new`` (same file system): old files are removed only after the move."""
    old = None
    if dest.exists():
        old = dest.with_name(f".old-{dest.name}-{_owner_tag()}")
        os.replace(dest, old)
    os.replace(new, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def list_configs(dataset_dir: str | Path) -> dict[str, dict[str, list[Path]]]:
    """``{config: {split: [parquet shards]}}`` for the config folders in ``dataset_dir``."""
    root = Path(dataset_dir)
    found: dict[str, dict[str, list[Path]]] = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        splits: dict[str, list[Path]] = {}
        for f in sorted(sub.glob("*.parquet")):
            m = _SHARD_RE.match(f.name)
            if m:
                splits.setdefault(m["split"], []).append(f)
        if splits:
            found[sub.name] = splits
    return found


def built_configs(dataset_dir: str | Path) -> dict[str, dict[str, list[Path]]]:
    """:func:`list_configs` of a built folder; a missing folder or one with no config is an error."""
    root = Path(dataset_dir)
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: not a directory (build one with `reachqa build`)")
    configs = list_configs(root)
    for splits in configs.values():
        for shards in splits.values():
            for f in shards:
                check_parquet(f)
    if not configs:
        raise FileNotFoundError(f"{root}: no built config (no <config>/<split>-NNNNN-of-NNNNN.parquet)")
    return configs


def default_config(configs) -> str:
    configs = list(configs)
    return "qa" if "qa" in configs else configs[0]


def refresh_load_cache(dataset_dir: str | Path, configs) -> None:
    """Regenerate the ``datasets`` cache entries of ``load_dataset(<dataset_dir>, <config>)``.

    ``datasets`` (5.x) keys the cache of a local folder on the folder's name and its card's
    ``configs:``, not on the files, so after a rebuild ``load_dataset("reachqa")`` would still return
    the previous rows. Loading each rebuilt config once with ``force_redownload`` replaces the stale
    entry (whether the folder is later named by a relative or an absolute path).
    """
    root = str(Path(dataset_dir).resolve())
    for name in configs:
        datasets.load_dataset(root, name, download_mode="force_redownload", verification_mode="no_checks")
