"""The dataset's names and build settings, declared once, in a module light enough for
``reachqa --help`` (no ``datasets`` import).

:class:`BuildSettings` is both the ``datasets`` builder config's own fields (``ReachQAConfig``
inherits them) and the source of ``reachqa build`` / ``reachqa push`` flags (through
:mod:`reachqa_builder.cli_flags`), so a setting is declared, documented and validated in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .render.envs import ENV_NAMES
from .render.settings import DEFAULT_DPI, DEFAULT_ENV, DEFAULT_TIMEOUT

__all__ = ["CONFIG_NAMES", "PROMPT_SUFFIX", "BuildSettings"]

# the dataset's configs: one row per question, one row per chart, our own seed charts
CONFIG_NAMES = ("qa", "charts", "seed")

# the paper's prompt suffix, used when training and when asking benchmark questions
PROMPT_SUFFIX = "Let's think step by step."


@dataclass
class BuildSettings:
    """How charts are rendered and which split is built.

    Args:
        render_env: Render environment: "faithful" (pinned matplotlib 3.9.2 virtualenv, byte-faithful
            to the release) or "current" (the installed matplotlib with a compatibility layer).
            Default: the environment a ``reachqa synthesize`` folder records (the images its raters
            judged), else "faithful"; naming another one than the folder records is refused.
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
        ray: Render on the Ray cluster at this address (``auto``, ``ray://host:port``, ``host:port``;
            needs ``reachqa[ray]``); rows are written while the cluster renders.
    """

    render_env: Optional[str] = field(default=None, metadata={
        "help": "render environment: faithful (the pinned matplotlib of the release) or current (default: the one "
                "a synthesized folder records, else faithful)",
        "choices": ENV_NAMES})
    render_cache_dir: Optional[str] = field(default=None, metadata={
        "help": "render cache folder (default: the renderer's own)"})
    render_workers: Optional[int] = field(default=None, metadata={
        "help": "render workers (default: the renderer's choice)", "flags": ("--workers",)})
    render_timeout: float = field(default=DEFAULT_TIMEOUT, metadata={"help": "seconds per script", "flags": ("--timeout",)})
    dpi: int = field(default=DEFAULT_DPI, metadata={"help": "JPEG resolution"})
    split: Optional[str] = field(default=None, metadata={
        "help": "name of a single split folder, or the one split of a data root to build"})
    archive_url: Optional[str] = field(default=None, metadata={
        "help": "ReachQA repository archive (zip) to download when no --data-dir is given (default: "
                "$REACHQA_ARCHIVE_URL, else the GitHub archive at the pinned commit)"})
    progress: bool = field(default=True, metadata={"help": "progress bars"})
    ray: Optional[str] = field(default=None, metadata={
        "help": "render on the Ray cluster at this address (auto, ray://host:port, host:port; needs reachqa[ray]); "
                "--workers is then per node"})

    def check(self) -> None:
        if self.render_env is not None and self.render_env not in ENV_NAMES:
            raise ValueError(f"render_env must be one of {', '.join(ENV_NAMES)}, got {self.render_env!r}")
