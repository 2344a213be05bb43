"""ReachQA as a ``datasets`` builder: chart code rendered into images at build time.

Example::

    from reachqa_builder import ReachQA
    builder = ReachQA(config_name="qa", render_env="current")  # no data_dir: the repository archive
    builder.download_and_prepare()
    ds = builder.as_dataset()          # DatasetDict({"train": 20k Q&A, "test": 2k Q&A})

    # a local data/ root or split folder (a split without a Q&A file is left out of ``qa``)
    ReachQA(config_name="qa", data_dir="../shared/reachqa-data", render_env="current")

Configs: ``qa`` (default, one row per question), ``charts`` (one row per chart), ``seed`` (our
own seed charts shipped in the package). The steps live in :mod:`reachqa_builder.generation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import datasets

from . import archive, generation, release
from .features import DESCRIPTIONS, FEATURES
from .settings import CONFIG_NAMES, BuildSettings

_HOMEPAGE = f"https://github.com/{release.REACHQA_REPO}"


@dataclass
class ReachQAConfig(datasets.BuilderConfig, BuildSettings):
    # datasets' own fields plus BuildSettings', whose documentation is this class's too
    __doc__ = "BuilderConfig for ReachQA.\n\n" + BuildSettings.__doc__.split("\n\n", 1)[1]

    def __post_init__(self):
        super().__post_init__()
        self.check()


class ReachQA(datasets.GeneratorBasedBuilder):
    """ReachQA: reasoning-intensive charts rendered from code, with recognition and reasoning Q&A."""

    VERSION = datasets.Version("1.0.0")
    BUILDER_CONFIG_CLASS = ReachQAConfig
    BUILDER_CONFIGS = [ReachQAConfig(name=n, version=datasets.Version("1.0.0"), description=DESCRIPTIONS[n])
                       for n in CONFIG_NAMES]
    DEFAULT_CONFIG_NAME = "qa"

    def _info(self):
        return datasets.DatasetInfo(description=DESCRIPTIONS[self.config.name], features=FEATURES[self.config.name],
                                    homepage=_HOMEPAGE, citation=release.CITATION)

    def _split_generators(self, dl_manager):
        cfg = self.config
        if cfg.data_dir:
            root = Path(cfg.data_dir)
            self.source_info = {"kind": "folder"}
        elif cfg.name == "seed":
            root = release.SEED_DIR
            self.source_info = {"kind": "seed"}
        else:
            url = archive.archive_url(cfg.archive_url)
            cache = dl_manager.download_config.cache_dir or datasets.config.DOWNLOADED_DATASETS_PATH
            root = archive.fetch_release(url, cache)
            self.source_info = {"kind": "release", "url": url, "commit": release.REACHQA_COMMIT}
        splits = generation.load_sources(cfg.name, root, cfg.split)
        self.split_roots = {s.name: s.root for s in splits}
        self.render_env = generation.resolve_render_env(cfg.render_env, splits)
        render_kwargs = dict(settings=cfg.render_settings(self.render_env), ray=cfg.ray)
        self.render_reports = {}
        return [datasets.SplitGenerator(name=s.name, gen_kwargs={"split": s, "render_kwargs": render_kwargs})
                for s in splits]

    def _generate_examples(self, split, render_kwargs):
        yield from generation.generate_rows(self.config.name, split, render_kwargs, self.render_reports)
