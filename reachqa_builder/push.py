"""Publish a built ReachQA folder (or some of its splits) to the Hugging Face Hub.

A push is one commit, computed from the repository's current files and card
(:func:`plan_push`):

* each pushed split is re-sharded the way ``push_to_hub`` shards (one shard per ``max_shard_size``
  of estimated bytes) into ``<config>/<split>-NNNNN-of-NNNNN.parquet``;
* the repository files of the pushed splits (the card's ``data_files`` for them and our own shard
  names) that the new shards do not overwrite are deleted: nothing of another split or config;
* the card is merged (:func:`reachqa_builder.card.merge_card`): the repository's configs, splits,
  build records and prose stay, the pushed splits' entries are replaced.

Unlike ``DatasetDict.push_to_hub``, which deletes every data file of the config it did not upload,
pushing ``qa/synthetic`` alone leaves ``qa/test`` on the Hub as it was.

``reachqa push --dry-run DIR`` applies the same plan to a local folder that stands for the
repository (empty for a new one; a previous dry run, or a clone, for an existing one), and writes
the operations to ``DIR/.reachqa-push-plan.json``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import datasets
from datasets.utils.py_utils import convert_file_size_to_int

from .card import data_patterns, merge_card, parse_meta, shard_pattern, split_card
from .export import CARD_NAME, built_configs, list_configs, split_entry

logger = logging.getLogger(__name__)

PLAN_NAME = ".reachqa-push-plan.json"


@dataclass
class PushPlan:
    """The operations of one push: files to add (path in the repository -> local file), to delete, the card."""

    adds: dict[str, Path] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    card: str = ""
    splits: list[str] = field(default_factory=list)

    def operations(self) -> list:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        ops = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=str(f)) for p, f in self.adds.items()]
        ops.append(CommitOperationAdd(path_in_repo=CARD_NAME, path_or_fileobj=self.card.encode("utf-8")))
        return ops + [CommitOperationDelete(path_in_repo=p) for p in self.deletes]

    def to_json(self) -> dict:
        return {"splits": self.splits, "add": sorted(self.adds) + [CARD_NAME], "delete": sorted(self.deletes),
                "keep": sorted(self.kept)}

    def describe(self) -> str:
        lines = [f"  add    {p}" for p in sorted(self.adds)] + [f"  update {CARD_NAME} (merged card)"]
        lines += [f"  delete {p}" for p in sorted(self.deletes)]
        lines.append(f"  ({len(self.kept)} other files of the repository left as they are)")
        return "\n".join(lines)


def _glob_regex(pattern: str) -> re.Pattern:
    """A ``data_files`` pattern as a regex: ``*`` stays within a folder, ``**`` crosses folders."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _matches(path: str, patterns: list[str]) -> bool:
    return any(_glob_regex(p).match(path) for p in patterns)


def _num_shards(ds: datasets.Dataset, max_shard_size) -> int:
    # push_to_hub's rule: one shard per max_shard_size of estimated bytes, at most one per row
    n = int(ds._estimate_nbytes() / convert_file_size_to_int(max_shard_size)) + 1
    return max(1, min(n, len(ds)))


def load_config(dataset_dir: str | Path, config: str) -> datasets.DatasetDict:
    """One config of a built folder as a ``DatasetDict`` (features from the Parquet metadata)."""
    splits = list_configs(dataset_dir)[config]
    return datasets.load_dataset("parquet", data_files={s: [str(f) for f in fs] for s, fs in splits.items()})


def select(dataset_dir: str | Path, configs=None, split: str | None = None) -> dict[str, dict[str, list[Path]]]:
    """The splits of a built folder to push: all, or those of ``configs`` and/or the one ``split``."""
    src = Path(dataset_dir)
    found = built_configs(src)
    chosen = {}
    for config in configs or found:
        if config not in found:
            raise KeyError(f"{src}: config {config!r} is not built there; built: {', '.join(found)}")
        splits = {s: fs for s, fs in found[config].items() if split is None or s == split}
        if splits:
            chosen[config] = splits
        elif configs:  # a config named on purpose must have the split
            raise KeyError(f"{src}: no split {split!r} in config {config!r}; it has {', '.join(found[config])}")
    if not chosen:
        raise KeyError(f"{src}: no split {split!r} in {', '.join(configs or found)}")
    return chosen


def plan_push(dataset_dir: str | Path, repo_files: list[str], repo_card: str | None, staging: str | Path, *,
              configs=None, split: str | None = None, max_shard_size: str | int = "500MB") -> PushPlan:
    """The commit that pushes the selected splits of ``dataset_dir`` onto a repository holding
    ``repo_files`` and ``repo_card``; the new shards are written under ``staging``."""
    src, staging = Path(dataset_dir), Path(staging)
    chosen = select(src, configs, split)
    local_card = src / CARD_NAME
    builds = parse_meta(split_card(local_card.read_text(encoding="utf-8") if local_card.is_file() else None)[0]).builds
    repo_meta = parse_meta(split_card(repo_card)[0])
    plan, entries, owned = PushPlan(), [], []
    for config, splits in chosen.items():
        for split_name, files in splits.items():
            ds = datasets.load_dataset("parquet", data_files={split_name: [str(f) for f in files]}, split=split_name)
            n = _num_shards(ds, max_shard_size)
            (staging / config).mkdir(parents=True, exist_ok=True)
            shards = []
            for i in range(n):
                path_in_repo = f"{config}/{split_name}-{i:05d}-of-{n:05d}.parquet"
                local = staging / path_in_repo
                ds.shard(num_shards=n, index=i, contiguous=True).to_parquet(str(local))
                plan.adds[path_in_repo] = local
                shards.append(local)
            entries.append(split_entry(config, split_name, shards, builds.get(f"{config}/{split_name}")))
            owned.append((data_patterns(repo_meta, config, split_name) + [shard_pattern(config, split_name)]))
            plan.splits.append(f"{config}/{split_name}")
    pushed = set(plan.splits)
    others = [p for c in repo_meta.configs for f in repo_meta.configs[c]["data_files"] if f"{c}/{f.get('split')}" not in pushed
              for p in ([f["path"]] if isinstance(f.get("path"), str) else list(f.get("path") or []))]
    for path in repo_files:
        if path == CARD_NAME or path in plan.adds:
            continue
        if any(_matches(path, pats) for pats in owned) and not _matches(path, others):
            plan.deletes.append(path)
        else:
            plan.kept.append(path)
    plan.card = merge_card(repo_card, entries)
    return plan


def _repo_state(folder: Path) -> tuple[list[str], str | None]:
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    card = folder / CARD_NAME
    return files, card.read_text(encoding="utf-8") if card.is_file() else None


def dry_run(dataset_dir: str | Path, target: str | Path, *, configs=None, split: str | None = None,
            max_shard_size: str | int = "500MB") -> PushPlan:
    """Apply the push to ``target``, a local folder standing for the repository; returns the plan."""
    dst = Path(target)
    if dst.exists() and not dst.is_dir():
        raise NotADirectoryError(f"{dst}: exists and is not a directory")
    dst.mkdir(parents=True, exist_ok=True)
    files, card = _repo_state(dst)
    if files and card is None:
        raise FileExistsError(f"{dst}: exists, is not empty and has no dataset card ({CARD_NAME}); "
                              "a dry run needs an empty folder or a previous dry run / clone of the repository")
    with tempfile.TemporaryDirectory(prefix=".push-staging-", dir=dst) as tmp:
        plan = plan_push(dataset_dir, files, card, tmp, configs=configs, split=split, max_shard_size=max_shard_size)
        for path in plan.deletes:
            (dst / path).unlink()
        for path, local in plan.adds.items():
            (dst / path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(local, dst / path)
            plan.adds[path] = dst / path
    from .fileio import atomic_write

    atomic_write(dst / CARD_NAME, plan.card.encode("utf-8"))
    atomic_write(dst / PLAN_NAME, (json.dumps(plan.to_json(), indent=1) + "\n").encode("utf-8"))
    return plan


def push(dataset_dir: str | Path, repo_id: str, *, configs=None, split: str | None = None, private: bool | None = None,
         token: str | None = None, max_shard_size: str | int = "500MB", api=None) -> tuple[str, PushPlan]:
    """Push the selected splits of ``dataset_dir`` to the dataset repository ``repo_id`` in one commit.

    ``api`` is a :class:`huggingface_hub.HfApi` (default: one with ``token``). Returns the
    repository's URL and the plan that was committed.
    """
    from huggingface_hub import HfApi

    api = api or HfApi(token=token)
    select(dataset_dir, configs, split)  # bad selections fail before the Hub is contacted
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    head = api.repo_info(repo_id, repo_type="dataset").sha
    files = api.list_repo_files(repo_id, repo_type="dataset", revision=head)
    card = None
    if CARD_NAME in files:
        card = Path(api.hf_hub_download(repo_id, CARD_NAME, repo_type="dataset", revision=head)).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="reachqa-push-") as tmp:
        plan = plan_push(dataset_dir, files, card, tmp, configs=configs, split=split, max_shard_size=max_shard_size)
        logger.info("pushing %s to %s:\n%s", ", ".join(plan.splits), repo_id, plan.describe())
        api.create_commit(repo_id, operations=plan.operations(), repo_type="dataset", parent_commit=head,
                          commit_message=f"reachqa push: {', '.join(plan.splits)}")
    return f"https://huggingface.co/datasets/{repo_id}", plan
