"""Publish a built ReachQA folder to the Hugging Face Hub with ``push_to_hub``.

Each config is loaded from its Parquet shards and pushed with
``DatasetDict.push_to_hub(repo_id, config_name=...)`` (files land in ``<config>/<split>-*.parquet``),
then the folder's card (``configs:`` and ``dataset_info`` metadata for every config, and prose)
replaces the card ``push_to_hub`` wrote. ``stage`` writes the same files to a local folder instead
(``reachqa push --dry-run DIR``), sharded the way ``push_to_hub`` shards them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import datasets
from datasets.utils.py_utils import convert_file_size_to_int

from .export import CARD_NAME, card_text, default_config, list_configs

logger = logging.getLogger(__name__)


def load_config(dataset_dir: str | Path, config: str) -> datasets.DatasetDict:
    """One config of a built folder as a ``DatasetDict`` (features from the Parquet metadata)."""
    splits = list_configs(dataset_dir)[config]
    return datasets.load_dataset("parquet", data_files={s: [str(f) for f in fs] for s, fs in splits.items()})


def _num_shards(ds: datasets.Dataset, max_shard_size) -> int:
    # push_to_hub's rule: one shard per max_shard_size of estimated bytes, at most one per row
    n = int(ds._estimate_nbytes() / convert_file_size_to_int(max_shard_size)) + 1
    return max(1, min(n, len(ds)))


def _check(dataset_dir: Path) -> dict:
    if not dataset_dir.is_dir():
        raise NotADirectoryError(f"{dataset_dir}: not a directory (build one with `reachqa build`)")
    configs = list_configs(dataset_dir)
    if not configs:
        raise FileNotFoundError(f"{dataset_dir}: no built config to push")
    return configs


def stage(dataset_dir: str | Path, target: str | Path, *, max_shard_size: str | int = "500MB") -> list[Path]:
    """Write to ``target`` the files that :func:`push` would upload; returns their paths."""
    src, dst = Path(dataset_dir), Path(target)
    configs = _check(src)
    if dst.exists():
        if any(dst.iterdir()):
            raise FileExistsError(f"{dst}: exists and is not empty")
    dst.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for config in configs:
        for split, ds in load_config(src, config).items():
            n = _num_shards(ds, max_shard_size)
            (dst / config).mkdir(exist_ok=True)
            for i in range(n):
                path = dst / config / f"{split}-{i:05d}-of-{n:05d}.parquet"
                ds.shard(num_shards=n, index=i, contiguous=True).to_parquet(str(path))
                written.append(path)
    card = dst / CARD_NAME
    card.write_text(card_text(dst), encoding="utf-8")
    written.append(card)
    return written


def push(dataset_dir: str | Path, repo_id: str, *, private: bool | None = None, token: str | None = None,
         max_shard_size: str | int = "500MB") -> str:
    """Push every config of ``dataset_dir`` to the dataset repo ``repo_id``; returns its URL."""
    from huggingface_hub import HfApi

    src = Path(dataset_dir)
    configs = _check(src)
    default = default_config(configs)
    for config in configs:
        logger.info("pushing config %r", config)
        load_config(src, config).push_to_hub(repo_id, config_name=config, set_default=config == default,
                                             private=private, token=token, max_shard_size=max_shard_size)
    staged_card = src / CARD_NAME
    text = staged_card.read_text(encoding="utf-8") if staged_card.is_file() else card_text(src)
    api = HfApi(token=token)
    api.upload_file(path_or_fileobj=text.encode("utf-8"), path_in_repo=CARD_NAME, repo_id=repo_id,
                    repo_type="dataset", commit_message="Dataset card written by reachqa build")
    return f"https://huggingface.co/datasets/{repo_id}"

