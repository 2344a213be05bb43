"""ReachQA as a ``datasets`` builder: chart code rendered into images at build time.

Example::

    from reachqa_builder import ReachQA
    builder = ReachQA(config_name="qa", data_dir="../shared/reachqa-data", render_env="current")
    builder.download_and_prepare()
    ds = builder.as_dataset()          # DatasetDict({"test": ...}) offline: no train Q&A

Configs: ``qa`` (default, one row per question), ``charts`` (one row per chart), ``seed`` (our
own seed charts shipped in the package). Shared logic lives in :mod:`reachqa_builder.base`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import datasets

from . import base
from .features import CONFIG_NAMES, DESCRIPTIONS, FEATURES

_CITATION = """\
@misc{he2024distill,
  title={Distill Visual Chart Reasoning Ability from LLMs to MLLMs},
  author={Wei He and Zhiheng Xi and Wanxu Zhao and Xiaoran Fan and Yiwen Ding and Zifei Shan and Tao Gui and Qi Zhang and Xuanjing Huang},
  year={2024}, eprint={2410.18798}, archivePrefix={arXiv}, primaryClass={cs.CL}
}
"""
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
        train_qa_url: Where to download the train Q&A (instruction-data JSON) when no ``data_dir``
            is given; the repository archive holds only the test Q&A.
        progress: Show render progress bars.
    """

    render_env: str = field(default="faithful", metadata={"help": "'faithful' or 'current'"})
    render_cache_dir: Optional[str] = field(default=None, metadata={"help": "render cache folder"})
    render_workers: Optional[int] = field(default=None, metadata={"help": "render workers"})
    render_timeout: float = field(default=60.0, metadata={"help": "seconds per script"})
    dpi: int = field(default=200, metadata={"help": "JPEG resolution"})
    split: Optional[str] = field(default=None, metadata={"help": "split name or the one split to build"})
    train_qa_url: Optional[str] = field(default=None, metadata={"help": "train Q&A JSON to download"})
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
                                    homepage=_HOMEPAGE, citation=_CITATION)

    def _split_generators(self, dl_manager):
        cfg = self.config
        qa_overrides = {}
        if cfg.data_dir:
            root = Path(cfg.data_dir)
        elif cfg.name == "seed":
            root = base.SEED_DIR
        else:
            extracted = Path(dl_manager.download_and_extract(base.REACHQA_ARCHIVE_URL))
            root = extracted / f"ReachQA-{base.REACHQA_COMMIT}" / "data"
            if cfg.train_qa_url:
                qa_overrides["train"] = Path(dl_manager.download(cfg.train_qa_url))
        splits = base.load_sources(cfg.name, root, cfg.split, qa_overrides)
        render_kwargs = dict(env=cfg.render_env, dpi=cfg.dpi, workers=cfg.render_workers, timeout=cfg.render_timeout,
                             cache_dir=cfg.render_cache_dir, progress=cfg.progress)
        self.render_reports = {}
        return [datasets.SplitGenerator(name=s.name, gen_kwargs={"split": s, "render_kwargs": render_kwargs})
                for s in splits]

    def _generate_examples(self, split, render_kwargs):
        yield from base.generate_rows(self.config.name, split, render_kwargs, self.render_reports)
