"""Write a built config as a Parquet dataset folder with a dataset card.

The folder has the Hub's layout, the same that ``push_to_hub`` writes::

    reachqa/
      README.md                          card; its YAML ``configs:`` lists every config and split
      qa/test-00000-of-00001.parquet
      charts/train-00000-of-00002.parquet ...

so ``datasets.load_dataset("reachqa", "charts")`` loads it with any ``datasets`` version, and
``reachqa push`` can publish it unchanged. Building a second config into the same folder keeps the
first; rebuilding a config replaces only that config's files.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import pyarrow.parquet as pq
from huggingface_hub import DatasetCardData

from .base import RenderReport
from .builder import ReachQA
from .features import CONFIG_NAMES, DESCRIPTIONS

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
                 max_shard_size: str | int = "500MB", **config_kwargs) -> BuildResult:
    """Build ``config_name`` with :class:`ReachQA` and write it as Parquet under ``out_dir/<config>``.

    ``config_kwargs`` are :class:`ReachQAConfig` fields (``render_env``, ``split``, ...).
    The card in ``out_dir`` is rewritten to list every config found there.
    """
    if config_name not in CONFIG_NAMES:
        raise ValueError(f"unknown config {config_name!r}; choose one of {', '.join(CONFIG_NAMES)}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    builder = ReachQA(config_name=config_name, data_dir=data_dir, cache_dir=cache_dir, **config_kwargs)
    with tempfile.TemporaryDirectory(prefix=f".build-{config_name}-", dir=out) as tmp:
        staging = Path(tmp) / "prepared"
        builder.download_and_prepare(output_dir=str(staging), file_format="parquet", max_shard_size=max_shard_size)
        result = BuildResult(config_name, out, reports=dict(getattr(builder, "render_reports", {})))
        target = Path(tmp) / config_name
        target.mkdir()
        prefix = f"{builder.dataset_name}-"
        for split_name, split_info in builder.info.splits.items():
            shards = sorted(staging.glob(f"{prefix}{split_name}.parquet")) or sorted(
                staging.glob(f"{prefix}{split_name}-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9].parquet"))
            for i, shard in enumerate(shards):
                os.replace(shard, target / f"{split_name}-{i:05d}-of-{len(shards):05d}.parquet")
            result.rows[split_name] = split_info.num_examples
        _swap_dir(target, out / config_name)
    write_card(out)
    return result


def _swap_dir(new: Path, dest: Path) -> None:
    """Replace ``dest`` by ``new`` (same file system): old files are removed only after the move."""
    old = None
    if dest.exists():
        old = dest.with_name(f".old-{dest.name}-{os.getpid()}")
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


def default_config(configs) -> str:
    configs = list(configs)
    return "qa" if "qa" in configs else configs[0]


def card_text(dataset_dir: str | Path) -> str:
    """The dataset card for the configs in ``dataset_dir``: ``configs:`` and ``dataset_info`` metadata, and prose."""
    root = Path(dataset_dir)
    configs = list_configs(root)
    if not configs:
        raise FileNotFoundError(f"{root}: no config folders with Parquet shards")
    default = default_config(configs)
    card_data = DatasetCardData(pretty_name="ReachQA", task_categories=["visual-question-answering"],
                                language=["en"], tags=["charts", "reasoning", "synthetic"])
    metadata_configs = {}
    infos = {}
    lines = ["| config | split | rows |", "| --- | --- | --- |"]
    for name, splits in configs.items():
        metadata_configs[name] = {"data_files": [{"split": s, "path": f"{name}/{s}-*"} for s in splits]}
        if name == default:
            metadata_configs[name]["default"] = True
        split_infos = {}
        features = None
        for split, shards in splits.items():
            n = sum(pq.ParquetFile(f).metadata.num_rows for f in shards)
            nbytes = sum(f.stat().st_size for f in shards)
            split_infos[split] = datasets.SplitInfo(name=split, num_bytes=nbytes, num_examples=n)
            features = features or datasets.Features.from_arrow_schema(pq.read_schema(shards[0]))
            lines.append(f"| {name} | {split} | {n} |")
        infos[name] = datasets.DatasetInfo(features=features, splits=datasets.SplitDict(split_infos),
                                           config_name=name)
    datasets.utils.metadata.MetadataConfigs(metadata_configs).to_dataset_card_data(card_data)
    datasets.info.DatasetInfosDict(infos).to_dataset_card_data(card_data)
    described = "\n".join(f"- `{n}`: {DESCRIPTIONS.get(n, 'custom config')}" for n in configs)
    body = f"""
# ReachQA

Reasoning-intensive charts rendered from matplotlib code, with recognition and reasoning
questions, after "Distill Visual Chart Reasoning Ability from LLMs to MLLMs" (He et al., 2024,
arXiv:2410.18798). Built with `reachqa build`; images are the JPEG bytes produced by the renderer.

Configs (default: `{default}`):

{described}

{chr(10).join(lines)}

```python
import datasets
ds = datasets.load_dataset("<this folder or repo id>", "{default}")
```
"""
    return f"---\n{card_data.to_yaml()}\n---\n{body}"


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


def write_card(dataset_dir: str | Path) -> Path:
    """Write (atomically) the card of ``dataset_dir``."""
    root = Path(dataset_dir)
    path = root / CARD_NAME
    text = card_text(root)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=root, prefix=".card-", delete=False) as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, path)
    return path
