"""``reachqa.py`` is a real loading script: ``datasets==3.6.0`` runs it in a second virtualenv
(which also loads the Parquet folder ``reachqa build`` writes).

The virtualenv is ``$REACHQA_DS3_VENV`` or ``<repo>/.venv-ds3``. CI creates it beforehand; if it is
missing this session-scoped fixture creates it (needs the package registry) and fails, saying
why, if that fails (never a skip: it is part of the set-up).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import REPO_ROOT, SCRIPTS, write_split
from tests.prerequisites import require_ci_setup

DS3_VERSION = "3.6.0"
DS3_VENV = Path(os.environ.get("REACHQA_DS3_VENV", REPO_ROOT / ".venv-ds3"))
# what reachqa_builder and the seed charts import, without the training stack
DS3_PACKAGES = [f"datasets=={DS3_VERSION}", "matplotlib", "numpy", "pillow", "pyarrow", "pandas", "scipy", "seaborn",
                "networkx", "squarify", "pyyaml", "tqdm", "huggingface_hub"]
CHECK = "import datasets, reachqa_builder.builder; print(datasets.__version__)"


def _ready(python: Path) -> bool:
    if not python.exists():
        return False
    done = subprocess.run([str(python), "-c", CHECK], capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == DS3_VERSION


@pytest.fixture(scope="session")
def ds3_python() -> Path:
    python = DS3_VENV / "bin" / "python"
    if _ready(python):
        return python
    steps = [
        [sys.executable, "-m", "venv", str(DS3_VENV)],
        [str(python), "-m", "pip", "install", "-q", *DS3_PACKAGES],
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO_ROOT)],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            require_ci_setup(False, f"the datasets=={DS3_VERSION} virtualenv at {DS3_VENV} (creating it failed: "
                                    f"{' '.join(step[:4])} ...: {done.stderr.strip()[-400:]})")
    if not _ready(python):
        done = subprocess.run([str(python), "-c", CHECK], capture_output=True, text=True)
        require_ci_setup(False, f"the datasets=={DS3_VERSION} virtualenv at {DS3_VENV} (it cannot import datasets and "
                                f"reachqa_builder: {done.stderr.strip()[-600:]})")
    return python


_LOAD = r"""
import json, sys
import datasets
script, source, cache, render_cache, built = sys.argv[1:6]
kw = dict(trust_remote_code=True, cache_dir=cache, render_env="current", render_cache_dir=render_cache)
seed = datasets.load_dataset(script, "seed", **kw)
train = seed["train"]
raw = train.cast_column("image", datasets.Image(decode=False))
qa = datasets.load_dataset(script, "qa", data_dir=source, **kw)
parquet = {c: {s: d.num_rows for s, d in datasets.load_dataset(built, c, cache_dir=cache).items()}
           for c in ("qa", "charts")}
print(json.dumps({
    "version": datasets.__version__,
    "splits": list(seed), "rows": train.num_rows, "columns": train.column_names,
    "minor_types": sorted(set(train["minor_chart_type"])),
    "jpeg": all(r["image"]["bytes"][:3] == b"\xff\xd8\xff" for r in raw),
    "first_format": train[0]["image"].format,
    "qa": {s: qa[s].num_rows for s in qa}, "qa_types": sorted(set(qa["test"]["qa_type"])),
    "parquet": parquet,
}))
"""


@pytest.mark.slow
def test_loading_script_under_datasets_3(ds3_python, built_dataset, tmp_path):
    seed_info = REPO_ROOT / "reachqa_builder" / "seed_charts" / "plot_info.jsonl"
    assert seed_info.is_file(), f"{seed_info} is missing"
    n_seed = sum(1 for line in seed_info.read_text().splitlines() if line.strip())
    source = write_split(tmp_path / "reachqa_test", {"t3": SCRIPTS["t3"]}, split="test")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_DATASETS_CACHE=str(tmp_path / "hf"),
               HF_MODULES_CACHE=str(tmp_path / "modules"))
    done = subprocess.run(
        [str(ds3_python), "-c", _LOAD, str(REPO_ROOT / "reachqa.py"), str(source), str(tmp_path / "hf"),
         str(tmp_path / "rc"), str(built_dataset[0])],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["version"] == "3.6.0"
    assert result["splits"] == ["train"] and result["rows"] == n_seed
    assert {"chart_id", "image", "minor_chart_type", "major_chart_type", "code"} <= set(result["columns"])
    assert len(result["minor_types"]) >= 32
    assert result["jpeg"] and result["first_format"] == "JPEG"
    assert result["qa"] == {"test": 2} and result["qa_types"] == ["Reasoning", "Recognizing"]
    # the Parquet folder `reachqa build` writes loads with datasets 3.6 as well
    assert result["parquet"] == {"qa": {"test": 6}, "charts": {"test": 3, "train": 2}}


def test_loading_script_exposes_the_builder():
    import importlib.util

    spec = importlib.util.spec_from_file_location("reachqa_script", REPO_ROOT / "reachqa.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from reachqa_builder.builder import ReachQA

    assert issubclass(module.ReachQA, ReachQA)
    assert [c.name for c in module.ReachQA.BUILDER_CONFIGS] == ["qa", "charts", "seed"]
