"""Compatibility layer for the "current" render environment.

Chart scripts in the ReachQA data were written against matplotlib 3.9. Newer matplotlib removed a
few APIs they use. ``install()`` puts thin shims back, inside the forked render child only, so
those scripts run unchanged. Every shim maps an old call onto its documented replacement; none
changes what a script that already works draws.

Executed inside the render worker (stdlib + matplotlib only; reachqa is not importable there).
"""

from __future__ import annotations

import functools
import warnings


def _shim_get_cmap() -> None:
    import matplotlib
    import matplotlib.cm as cm

    if hasattr(cm, "get_cmap"):
        return

    def get_cmap(name=None, lut=None):
        if name is None:
            name = matplotlib.rcParams["image.cmap"]
        if isinstance(name, matplotlib.colors.Colormap):
            cmap = name
        else:
            cmap = matplotlib.colormaps[name]
        return cmap.resampled(lut) if lut is not None else cmap

    cm.get_cmap = get_cmap
    if not hasattr(cm, "register_cmap"):
        def register_cmap(name=None, cmap=None, *, override_builtin=False):
            matplotlib.colormaps.register(cmap, name=name, force=override_builtin)

        cm.register_cmap = register_cmap


def _rename_kwarg(owner, name: str, old: str, new: str) -> None:
    """Accept keyword ``old`` again on ``owner.name`` (a method or a module function) as ``new``."""
    import inspect

    original = getattr(owner, name)
    try:
        params = inspect.signature(original).parameters
    except (TypeError, ValueError):
        return
    if old in params or new not in params:
        return  # nothing removed in this version

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if old in kwargs and new not in kwargs:
            kwargs[new] = kwargs.pop(old)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def _shim_renamed_kwargs() -> None:
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    for owner, name in ((Axes, "boxplot"), (Axes, "bxp"), (plt, "boxplot")):
        _rename_kwarg(owner, name, "labels", "tick_labels")


def _shim_style_names() -> None:
    """``plt.style.use('seaborn-whitegrid')``: the seaborn styles were renamed ``seaborn-v0_8-*``."""
    import matplotlib.style as mstyle

    original = mstyle.use

    def fix(name):
        if isinstance(name, str) and name.startswith("seaborn") and name not in mstyle.available:
            candidate = name.replace("seaborn", "seaborn-v0_8", 1)
            if candidate in mstyle.available:
                return candidate
        return name

    @functools.wraps(original)
    def use(style):
        if isinstance(style, (list, tuple)):
            style = [fix(s) for s in style]
        else:
            style = fix(style)
        return original(style)

    mstyle.use = use
    import matplotlib.pyplot as plt

    plt.style.use = use


def _scalar(value):
    import numpy as np

    if isinstance(value, np.ndarray) and value.ndim > 0 and value.size == 1:
        return value.reshape(()).item()
    return value


def _shim_size1_positions() -> None:
    """numpy 2.4 refuses ``float(array([x]))``; old scripts pass 1-element arrays as text positions."""
    from matplotlib.text import Text

    for name in ("convert_xunits", "convert_yunits"):
        original = getattr(Text, name)

        def convert(self, value, _original=original):
            return _scalar(_original(self, value))

        setattr(Text, name, functools.wraps(original)(convert))


def _shim_list_hatch() -> None:
    """``hatch=[...]``: matplotlib <= 3.10 accepted a list and drew only its 1-character items."""
    from matplotlib.patches import Patch

    original = Patch.set_hatch

    @functools.wraps(original)
    def set_hatch(self, hatch):
        if isinstance(hatch, (list, tuple)):
            hatch = "".join(h for h in hatch if isinstance(h, str) and len(h) == 1) or None
        return original(self, hatch)

    Patch.set_hatch = set_hatch


SHIMS = (_shim_get_cmap, _shim_renamed_kwargs, _shim_style_names, _shim_size1_positions,
         _shim_list_hatch)


def install() -> None:
    """Install every shim that the running matplotlib needs."""
    warnings.filterwarnings("ignore")
    for shim in SHIMS:
        try:
            shim()
        except Exception:  # a shim that does not apply to this version must not break rendering
            pass
