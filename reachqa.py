"""ReachQA: reasoning-intensive charts rendered from matplotlib code, with recognition and reasoning Q&A.

The loading script for ``datasets`` versions that still run scripts (3.x and earlier)::

    import datasets   # datasets==3.6.0
    ds = datasets.load_dataset("reachqa.py", "seed", trust_remote_code=True)
    ds = datasets.load_dataset("reachqa.py", "qa", data_dir="path/to/ReachQA/data",
                               render_env="current", trust_remote_code=True)

Charts are rendered from their code while the dataset is prepared, by the ``reachqa`` package
(``pip install reachqa``): its sandboxed renderer and render cache, and its builder
(:class:`reachqa_builder.builder.ReachQA`), which this script exposes unchanged. With ``datasets``
4 and later, which no longer run scripts, use ``reachqa build`` (a Parquet folder any version
loads) or the builder class directly.

Configs: ``qa`` (default, one row per question), ``charts`` (one row per chart), ``seed`` (the
project's own seed charts). Config fields (``render_env``, ``split``, ``dpi``, ...) are passed as
keyword arguments of ``load_dataset``; see :class:`reachqa_builder.builder.ReachQAConfig`.
"""

from reachqa_builder.builder import ReachQA as _ReachQABuilder
from reachqa_builder.builder import ReachQAConfig

__all__ = ["ReachQA", "ReachQAConfig"]


class ReachQA(_ReachQABuilder):
    """ReachQA, as built by :mod:`reachqa_builder` (configs ``qa``, ``charts``, ``seed``)."""
