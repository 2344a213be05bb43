"""ReachQA as a ``datasets`` builder: chart code rendered into images at build time.

Example::

    from reachqa_builder import ReachQA
    builder = ReachQA(config_name="qa", render_env="current")  # no data_dir: the repository archive
    builder.download_and_prepare()
    ds = builder.as_dataset()          # DatasetDict({"train": 20k Q&A, "test": 2k Q&A})

    # a local data/ root or split folder (a split without a Q&A file is left out of ``qa``)
    ReachQA(config_name="qa", data_dir="../shared/reachqa-data", render_env="current")

Configs: ``qa`` (default, one row per question), ``charts`` (one row per chart), ``seed`` (our
own seed charts shipped in the package). Shared logic lives in :mod:`reachqa_builder.base`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import datasets

from . import archive, base
from .features import CONFIG_NAMES, DESCRIPTIONS, FEATURES

_HOMEPAGE = f"https://github.com/{base.REACHQA_REPO}"


@dataclass
class ReachQAConfig(datasets.BuilderConfig):
    """BuilderConfig for ReachQA.

    Args:
        render_env: Render environment: "faithful" (pinned matplotlib 3.9.2 virtualenv, byte-faithful
            to the release) or "current" (the installed matplotlib with a compatibility layer).
        render_cache_dir: Render cache folder (default: the renderer's own, shared by all configs).
        render_workers: Number of render workers (default: the renderer's choice).
        render_timeout: Seconds one script may run before it counts as failed.
        dpi: Resolution of the rendered JPEGs (the release used 200).
        split: For a single split folder, the split's name; for a data root, the one split to build.
        archive_url: Where to download the ReachQA repository archive when no ``data_dir`` is given
            (default: ``$REACHQA_ARCHIVE_URL``, else the GitHub archive at the pinned commit). The
            archive holds both splits: 3,249 train charts with the 20k train Q&A, 500 test charts with
            the 2k test Q&A.
        progress: Show render progress bars.
    """

    render_env: str = field(default="faithful", metadata={"help": "'faithful' or 'current'"})
    render_cache_dir: Optional[str] = field(default=None, metadata={"help": "render cache folder"})
    render_workers: Optional[int] = field(default=None, metadata={"help": "render workers"})
    render_timeout: float = field(default=60.0, metadata={"help": "seconds per script"})
    dpi: int = field(default=200, metadata={"help": "JPEG resolution"})
    split: Optional[str] = field(default=None, metadata={"help": "split name or the one split to build"})
    archive_url: Optional[str] = field(default=None, metadata={"help": "ReachQA repository archive (zip) to download"})
    progress: bool = field(default=True, metadata={"help": "show progress bars"})

    def __post_init__(self):
        super().__post_init__()
        if self.render_env not in ("faithful", "current"):
            raise ValueError(f"render_env must be 'faithful' or 'current', got {self.render_env!r}")


class ReachQA(datasets.GeneratorBasedBuilder):
    """ReachQA: reasoning-intensive charts rendered from code, with recognition and reasoning Q&A."""

    VERSION = datasets.Version("1.0.0")
    BUILDER_CONFIG_CLASS = ReachQAConfig
    BUILDER_CONFIGS = [ReachQAConfig(name=n, version=datasets.Version("1.0.0"), description=DESCRIPTIONS[n])
                       for n in CONFIG_NAMES]
    DEFAULT_CONFIG_NAME = "qa"

    def _info(self):
        return datasets.DatasetInfo(description=DESCRIPTIONS[self.config.name], features=FEATURES[self.config.name],
                                    homepage=_HOMEPAGE, citation=base.CITATION)

    def _split_generators(self, dl_manager):
        cfg = self.config
        if cfg.data_dir:
            root = Path(cfg.data_dir)
            self.source_info = {"kind": "folder"}
        elif cfg.name == "seed":
            root = base.SEED_DIR
            self.source_info = {"kind": "seed"}
        else:
            url = archive.archive_url(cfg.archive_url)
            cache = dl_manager.download_config.cache_dir or datasets.config.DOWNLOADED_DATASETS_PATH
            root = archive.fetch_release(url, cache)
            self.source_info = {"kind": "release", "url": url, "commit": base.REACHQA_COMMIT}
        splits = base.load_sources(cfg.name, root, cfg.split)
        self.split_roots = {s.name: s.root for s in splits}
        render_kwargs = dict(env=cfg.render_env, dpi=cfg.dpi, workers=cfg.render_workers, timeout=cfg.render_timeout,
                             cache_dir=cfg.render_cache_dir, progress=cfg.progress)
        self.render_reports = {}
        return [datasets.SplitGenerator(name=s.name, gen_kwargs={"split": s, "render_kwargs": render_kwargs})
                for s in splits]

    def _generate_examples(self, split, render_kwargs):
        yield from base.generate_rows(self.config.name, split, render_kwargs, self.render_reports)
