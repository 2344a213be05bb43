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
from .render.settings import DEFAULT_ENV, RenderSettings, render_field

__all__ = ["CONFIG_NAMES", "PROMPT_SUFFIX", "BuildSettings"]

# the dataset's configs: one row per question, one row per chart, our own seed charts
CONFIG_NAMES = ("qa", "charts", "seed")

# the paper's prompt suffix, used when training and when asking benchmark questions
PROMPT_SUFFIX = "Let's think step by step."


@dataclass
class BuildSettings:
    """How charts are rendered and which split is built.

    The render fields are flat (``load_dataset(..., render_env="current", dpi=...)``) and take their
    defaults and help from :class:`~reachqa_builder.render.settings.RenderSettings`
    (:meth:`render_settings` builds the one they mean).

    Args:
        render_env: ``RenderSettings.env``; default: the environment a ``reachqa synthesize`` folder
            records (the images its raters judged), else ``RenderSettings.env``; naming another one
            than the folder records is refused.
        render_cache_dir: ``RenderSettings.cache_dir``.
        render_workers: ``RenderSettings.workers``.
        render_timeout: ``RenderSettings.timeout``.
        render_memory_mb: ``RenderSettings.memory_mb``.
        render_cache: ``RenderSettings.cache``.
        dpi: ``RenderSettings.dpi``.
        split: For a single split folder, the split's name; for a data root, the one split to build.
        archive_url: Where to download the ReachQA repository archive when no ``data_dir`` is given
            (default: ``$REACHQA_ARCHIVE_URL``, else the GitHub archive at the pinned commit). The
            archive holds both splits: 3,249 train charts with the 20k train Q&A, 500 test charts with
            the 2k test Q&A.
        progress: ``RenderSettings.progress``.
        ray: Render on the Ray cluster at this address (``auto``, ``ray://host:port``, ``host:port``;
            needs ``reachqa[ray]``); rows are written while the cluster renders.
    """

    render_env: Optional[str] = render_field("env", default=None,
                                             note=f"(default: the one a synthesized folder records, else {DEFAULT_ENV})")
    render_cache_dir: Optional[str] = render_field("cache_dir")
    render_workers: Optional[int] = render_field("workers", flags=("--workers",))
    render_timeout: float = render_field("timeout", flags=("--timeout",))
    render_memory_mb: int = render_field("memory_mb")
    render_cache: bool = render_field("cache")
    dpi: int = render_field("dpi")
    split: Optional[str] = field(default=None, metadata={
        "help": "name of a single split folder, or the one split of a data root to build"})
    archive_url: Optional[str] = field(default=None, metadata={
        "help": "ReachQA repository archive (zip) to download when no --data-dir is given (default: "
                "$REACHQA_ARCHIVE_URL, else the GitHub archive at the pinned commit)"})
    progress: bool = render_field("progress")
    ray: Optional[str] = field(default=None, metadata={
        "help": "render on the Ray cluster at this address (auto, ray://host:port, host:port; needs reachqa[ray]); "
                "--workers is then per node"})

    def render_settings(self, env: str | None = None) -> RenderSettings:
        """The :class:`RenderSettings` these fields mean; ``env``: the build's resolved environment
        (default: :attr:`render_env`, else ``RenderSettings``' own)."""
        chosen = {"env": env or self.render_env} if env or self.render_env else {}
        return RenderSettings(dpi=self.dpi, workers=self.render_workers, timeout=self.render_timeout,
                              memory_mb=self.render_memory_mb, cache_dir=self.render_cache_dir,
                              cache=self.render_cache, progress=self.progress, **chosen)

    def check(self) -> None:
        if self.render_env is not None and self.render_env not in ENV_NAMES:
            raise ValueError(f"render_env must be one of {', '.join(ENV_NAMES)}, got {self.render_env!r}")
