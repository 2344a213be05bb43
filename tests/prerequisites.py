"""What tests need from outside the checkout, found relative to it, and when a test may skip for it.

Two kinds:

* **What ``.ci/setup`` provides** (bubblewrap, the faithful render environment, ``.venv-ds3``, the
  InternVL2 oracle's virtualenv): a test needing it **fails** when it is missing or broken, saying
  what to run. It never skips: a skip would hide a broken install.
* **Shared read-only data** that no set-up script can download (the released ReachQA data, the
  InternVL2 oracle's files): beside the checkout in ``../shared`` (``$REACHQA_SHARED``; per item
  ``$REACHQA_SHARED_DATA``, ``$REACHQA_INTERNVL2_ORACLE``). A test skips, with the reason, only when
  it is absent and no variable names it; a variable naming a missing folder fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REACHQA_SHARED") or REPO_ROOT.parent / "shared")
SHARED_DATA = Path(os.environ.get("REACHQA_SHARED_DATA") or SHARED / "reachqa-data")
INTERNVL2_ORACLE = Path(os.environ.get("REACHQA_INTERNVL2_ORACLE") or SHARED / "oracles" / "internvl2")

_NAMED = {SHARED_DATA: ("REACHQA_SHARED", "REACHQA_SHARED_DATA"),
          INTERNVL2_ORACLE: ("REACHQA_SHARED", "REACHQA_INTERNVL2_ORACLE")}


def needs_shared(path: Path, what: str):
    """Skip mark for a test reading shared data at ``path`` (a folder below SHARED_DATA or INTERNVL2_ORACLE)."""
    named = [v for root, names in _NAMED.items() if path == root or root in path.parents
             for v in names if os.environ.get(v)]
    if named:  # asked for explicitly: a missing folder is a failure, not a skip
        assert path.exists(), f"{path} ({what}) does not exist, though ${named[0]} points there"
    return pytest.mark.skipif(not path.exists(), reason=f"{what} not at {path} (../shared beside the checkout; "
                                                        f"set REACHQA_SHARED to use another place)")


def require_ci_setup(ok: bool, what: str) -> None:
    """Fail (never skip) when something ``.ci/setup`` provides is missing or broken."""
    if not ok:
        pytest.fail(f"{what} is missing or broken: run `bash .ci/setup` (it provides it)", pytrace=False)
