"""Old import paths of modules that moved into the foundation: each old module is this alias.

``alias("evaluation.inference.api", "reachqa_builder.llm.api")`` warns once (DeprecationWarning, with
the new path) and makes the old name the very same module object as the new one, so attribute
reads and monkeypatches through either name reach the same code. The aliases are kept one release.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType


def alias(old: str, new: str) -> ModuleType:
    """Install module ``new`` under the name ``old`` and warn that ``old`` is deprecated."""
    warnings.warn(f"{old} moved to {new}; import it from there (the old path goes in the next release)",
                  DeprecationWarning, stacklevel=3)
    module = importlib.import_module(new)
    sys.modules[old] = module
    return module


def moved_name(old_module: str, name: str, new_module: str, new_name: str | None = None):
    """One attribute of a module that moved (for a package ``__getattr__``), with the same warning;
    ``new_name`` when it was renamed on the way."""
    target = f"{new_module}.{new_name}" if new_name else new_module
    warnings.warn(f"{old_module}.{name} moved to {target}; import it from there "
                  "(the old path goes in the next release)", DeprecationWarning, stacklevel=3)
    return getattr(importlib.import_module(new_module), new_name or name)
