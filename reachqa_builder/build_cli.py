"""``reachqa build``, ``reachqa stats`` and ``reachqa push``.

Examples::

    reachqa build --config seed                                   # our seed charts -> ./reachqa
    reachqa build --config qa charts --data-dir ../shared/reachqa-data
    reachqa build --config qa --data-dir my-charts --split synthetic
    reachqa stats reachqa --json stats.json
    reachqa push USER/reachqa --dry-run staged/                    # apply the push to a local folder
    reachqa push USER/reachqa --config qa --split synthetic         # push one split, keep the others
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
import json
import logging
import sys
from pathlib import Path

from .cli_flags import add_dataclass_flags, dataclass_from_args
from .settings import CONFIG_NAMES, BuildSettings

logging_configured = False


def _setup_logging() -> None:
    global logging_configured
    if not logging_configured:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        logging_configured = True


def _add_build_args(parser: argparse.ArgumentParser, *, out_default: str | None = "reachqa") -> None:
    g = parser.add_argument_group("building")
    g.add_argument("--config", nargs="+", choices=CONFIG_NAMES, default=None,
                   help="config(s) to build (default: qa with --data-dir, else seed)")
    g.add_argument("--data-dir", help="ReachQA data/ root or one split folder (default: download the ReachQA "
                                      "archive for qa/charts, the packaged seed charts for seed)")
    g.add_argument("--out", default=out_default, help="dataset folder to write (default: ./reachqa)")
    add_dataclass_flags(g, BuildSettings)
    g.add_argument("--cache-dir", help="datasets cache folder (downloads)")
    g.add_argument("--max-shard-size", default="500MB", help="Parquet shard size (default 500MB)")
    g.add_argument("--writer-batch-size", type=int, default=None,
                   help="rows per Parquet row group, the step in which shards grow (default: datasets' 100 for images)")


def _build(args) -> list:
    from .export import build_config

    configs = args.config or (["qa"] if args.data_dir else ["seed"])
    settings = dataclass_from_args(BuildSettings, args)
    settings.check()
    results = []
    for config in configs:
        print(f"building config {config!r} into {args.out}", file=sys.stderr)
        results.append(build_config(config, args.out, data_dir=args.data_dir, cache_dir=args.cache_dir,
                                    max_shard_size=args.max_shard_size, writer_batch_size=args.writer_batch_size,
                                    **asdict(settings)))
    return results


def summary(results) -> str:
    """The end-of-build summary: rows per split, charts rendered / from cache / failed, failed ids."""
    lines = []
    for r in results:
        lines.append(f"config {r.config} -> {r.out_dir / r.config}")
        for split, rows in r.rows.items():
            rep = r.reports.get(split)
            if rep is None:
                lines.append(f"  {split}: {rows} rows")
                continue
            dropped = f", {rep.dropped_qa} Q&A of failed charts left out" if rep.dropped_qa else ""
            lines.append(f"  {split}: {rows} rows; charts: {rep.total} total, {rep.rendered} rendered, "
                         f"{rep.cached} from cache, {len(rep.failed)} failed{dropped}")
            for cid, err in sorted(rep.failed.items()):
                lines.append(f"    failed {cid}: {err}")
    return "\n".join(lines)


def _errors():
    from .layout import LayoutError

    from .archive import DownloadError

    return (LayoutError, DownloadError, FileNotFoundError, NotADirectoryError, FileExistsError, KeyError, ValueError)


def run_build(args) -> int:
    _setup_logging()
    try:
        results = _build(args)
    except _errors() as exc:
        print(f"reachqa build: error: {exc}", file=sys.stderr)
        return 2
    print(summary(results))
    from .export import refresh_load_cache

    refresh_load_cache(args.out, [r.config for r in results])
    print(f"load it with: datasets.load_dataset({str(Path(args.out))!r}, <config>)")
    return 0


def configure_build(parser: argparse.ArgumentParser) -> None:
    """Build the ReachQA dataset (render chart code) into a Parquet dataset folder with a card."""
    _add_build_args(parser)
    parser.set_defaults(run=run_build)


def run_stats(args) -> int:
    from .stats import dataset_stats, format_table

    try:
        stats = dataset_stats(args.dataset, args.config, duplicates=args.duplicates)
    except _errors() as exc:
        print(f"reachqa stats: error: {exc}", file=sys.stderr)
        return 2
    if args.json == "-":
        print(json.dumps(stats, indent=2))
        return 0
    print(format_table(stats))
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return 0


def configure_stats(parser: argparse.ArgumentParser) -> None:
    """Print the paper's statistics table for a built dataset folder (and write it as JSON)."""
    parser.add_argument("dataset", nargs="?", default="reachqa", help="built dataset folder (default ./reachqa)")
    parser.add_argument("--config", help="config to describe (default: qa if built, else the first)")
    parser.add_argument("--json", metavar="FILE", help="also write the statistics as JSON to FILE ('-': print JSON only)")
    parser.add_argument("--duplicates", action="store_true",
                        help="also find near-duplicate charts (code MinHash, image perceptual hash) and questions "
                             "inside each split (decodes every image: about 0.03 s per chart)")
    parser.set_defaults(run=run_stats)


def run_push(args) -> int:
    from .push import PLAN_NAME, dry_run, push

    _setup_logging()
    configs = args.config or (["qa"] if args.data_dir else None)  # what a build with --data-dir made
    try:
        if args.data_dir:
            print(summary(_build(args)))
        if args.dry_run:
            plan = dry_run(args.out, args.dry_run, configs=configs, split=args.split,
                           max_shard_size=args.max_shard_size)
            print(f"dry run: the commit that would push {', '.join(plan.splits)} to {args.repo_id}, applied to "
                  f"{args.dry_run} (operations in {Path(args.dry_run) / PLAN_NAME}):")
            print(plan.describe())
            return 0
        url, plan = push(args.out, args.repo_id, configs=configs, split=args.split, private=args.private,
                         token=args.token, max_shard_size=args.max_shard_size)
    except _errors() as exc:
        print(f"reachqa push: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the Hub: no network, no token, no permission
        print(f"reachqa push: could not push to {args.repo_id}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"pushed {', '.join(plan.splits)} of {args.out} to {url}:")
    print(plan.describe())
    return 0


def configure_push(parser: argparse.ArgumentParser) -> None:
    """Publish a built dataset folder, or some of its splits, to the Hugging Face Hub in one commit.

    Only the pushed splits' files are replaced; the repository's other splits, configs and card
    prose stay, and the card is merged. --config and --split choose what to push (default: all);
    with --data-dir the selection is built first.
    """
    parser.add_argument("repo_id", help="dataset repository, e.g. USER/reachqa")
    parser.add_argument("--private", action="store_true", default=None, help="create the repository private")
    parser.add_argument("--token", help="Hub token (default: the logged-in one)")
    parser.add_argument("--dry-run", metavar="DIR", help="apply the push to DIR, a local folder standing for the "
                                                         "repository (empty: a new one), instead of the Hub")
    _add_build_args(parser)
    parser.set_defaults(run=run_push)
