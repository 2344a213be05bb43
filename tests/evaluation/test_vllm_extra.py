"""The ``vllm`` extra: its pin, the recorded PyPI metadata of that release, the project's torch pin
and the README's install commands agree (the network check itself is ``.ci/check-vllm-env``)."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
RECORDED = json.loads((Path(__file__).parent / "data" / "vllm_metadata.json").read_text())


def _extra_pin() -> str:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    (req,) = [Requirement(x) for x in cfg["options.extras_require"]["vllm"].split() if x]
    assert req.name == "vllm" and len(req.specifier) == 1, "pin one vllm release"
    return next(iter(req.specifier)).version


def _ci_torch() -> str:
    return re.search(r"torch==([\d.]+)", (REPO / ".ci" / "setup").read_text()).group(1)


def _evaluation_readme() -> str:
    text = (REPO / "README.md").read_text()
    return text.split("<!-- BEGIN evaluation -->")[1].split("<!-- END evaluation -->")[0]


def test_extra_pin_matches_the_recorded_metadata():
    assert _extra_pin() == RECORDED["vllm"] == RECORDED["separate_env_resolution"]["pins"]["vllm"]


def test_readme_tells_how_to_install_vllm():
    torch_req = next(Requirement(r) for r in RECORDED["requires_dist"] if r.startswith("torch=="))
    beside = _ci_torch() in torch_req.specifier
    readme = _evaluation_readme()
    if beside:
        assert "pip install 'reachqa[vllm]'" in readme
    else:  # the release pins another torch: a separate environment, with exact commands
        pin = _extra_pin()
        assert "python3 -m venv .venv-vllm" in readme
        assert f".venv-vllm/bin/pip install 'vllm=={pin}' -e ." in readme
        assert f"torch {RECORDED['separate_env_resolution']['pins']['torch']}" in readme
        assert f"torch=={_ci_torch()}" in readme
