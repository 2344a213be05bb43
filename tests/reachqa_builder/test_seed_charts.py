"""Our own seed chart scripts (reachqa_builder/seed_charts/): coverage, metadata, rendering.

The seeds are the demonstrations the Self-Instruct step samples from and the offline ``seed``
dataset config. Each is a hand-written matplotlib script for one minor chart type; these tests
check that ``plot_info.jsonl`` matches the files and the taxonomy, that every minor type has a
seed, that the scripts keep to the APIs shared by matplotlib 3.9 (the faithful environment) and
the installed version, and that they render through the sandboxed renderer.
"""

import ast
import json
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from reachqa_builder.layout import find_splits, read_charts, read_code
from reachqa_builder.render import RenderEnvironmentError, render_scripts
from reachqa_builder.render.envs import get_environment
from reachqa_builder.taxonomy import MINOR_TYPES, normalize_minor_type
from tests.prerequisites import require_ci_setup

SEED_DIR = Path(__file__).resolve().parents[2] / "reachqa_builder" / "seed_charts"
SCRIPTS = sorted(SEED_DIR.glob("*.py"))
ALLOWED_IMPORTS = {"matplotlib", "numpy", "networkx", "squarify", "seaborn"}


def _plot_info():
    with open(SEED_DIR / "plot_info.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_there_are_about_forty_seeds():
    assert 32 <= len(SCRIPTS) <= 64
    assert [p.stem for p in SCRIPTS] == [f"{i:03d}" for i in range(1, len(SCRIPTS) + 1)]


def test_plot_info_matches_files_and_taxonomy():
    records = _plot_info()
    assert [r["code"] for r in records] == [p.name for p in SCRIPTS]
    for rec in records:
        stem = Path(rec["code"]).stem
        assert rec["id"] == f"reachqa-seed-plot-{stem}"
        assert rec["level"] == "Easy"
        assert rec["plot_model"] == "reachqa-authors"
        assert normalize_minor_type(rec["minor_chart_type"]) == rec["minor_chart_type"]
        assert MINOR_TYPES[rec["minor_chart_type"]] == rec["major_chart_type"]
    assert len({r["id"] for r in records}) == len(records)


def test_every_minor_type_has_a_seed():
    counts = Counter(r["minor_chart_type"] for r in _plot_info())
    missing = [m for m in MINOR_TYPES if counts[m] == 0]
    assert not missing, f"minor types without a seed: {missing}"
    assert max(counts.values()) <= 3


def test_layout_reader_accepts_the_seed_folder():
    (split,) = find_splits(SEED_DIR)
    charts = read_charts(split)
    assert len(charts) == len(SCRIPTS)
    for chart in charts:
        assert chart.code_path.parent == SEED_DIR
        assert "plt.show()" in read_code(chart)


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name, node


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_shape_and_portable_apis(path):
    code = path.read_text(encoding="utf-8")
    lines = code.splitlines()
    assert 20 <= len(lines) <= 120, f"{path.name}: {len(lines)} lines"
    assert lines[-1] == "plt.show()"
    assert lines[-2].startswith(("plt.tight_layout(", "fig.subplots_adjust("))
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots = {node.module.split(".")[0]}
        else:
            continue
        assert roots <= ALLOWED_IMPORTS, f"{path.name} imports {roots - ALLOWED_IMPORTS}"
    for name, call in _calls(tree):
        keywords = {k.arg for k in call.keywords}
        assert name != "get_cmap", f"{path.name}: matplotlib.cm.get_cmap was removed in 3.9"
        assert name != "savefig", f"{path.name}: the renderer saves the figure"
        if name in ("boxplot", "bxp"):
            assert not keywords & {"labels", "tick_labels"}, f"{path.name}: use set_xticks/set_xticklabels"
        if name == "use":
            assert "seaborn" not in ast.unparse(call), f"{path.name}: seaborn style names differ by version"
    uses_rng = re.search(r"np\.random\.(?!seed|default_rng)\w+\(|rng\.\w+\(", code)
    seeded = re.search(r"np\.random\.seed\(\d+\)|default_rng\(\d+\)", code)
    if uses_rng:
        assert seeded, f"{path.name}: draws random numbers without a fixed seed"


# Runs every seed in one interpreter with warnings turned into errors, so deprecations of either
# matplotlib version are caught. Seeds are our own code, so this runs outside the sandbox.
_STRICT_RUNNER = textwrap.dedent(
    """
    import runpy, sys, traceback, warnings
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    failures = []
    for path in sys.argv[1:]:
        plt.show = lambda *a, **k: plt.gcf().canvas.draw()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                runpy.run_path(path, run_name="__main__")
            except Exception as exc:
                failures.append(f"{path}: {type(exc).__name__}: {exc}")
        plt.close("all")
        matplotlib.rcdefaults()
    print("\\n".join(failures))
    sys.exit(1 if failures else 0)
    """
)


def _run_strict(python):
    proc = subprocess.run([python, "-c", _STRICT_RUNNER, *map(str, SCRIPTS)], capture_output=True,
                          text=True, timeout=600, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
                          cwd=SEED_DIR)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]


@pytest.mark.slow
def test_seeds_draw_without_warnings_on_installed_matplotlib():
    _run_strict(sys.executable)


@pytest.mark.slow
def test_seeds_draw_without_warnings_in_faithful_env():
    try:
        env = get_environment("faithful", create=False)
    except RenderEnvironmentError as exc:
        require_ci_setup(False, f"the faithful render environment ({exc})")
    _run_strict(env.python)


def _check_jpeg(image):
    with Image.open(image) as im:
        assert im.format == "JPEG"
        assert im.width >= 300 and im.height >= 200
        # a real chart, not a blank canvas: many distinct colours
        assert len(im.convert("RGB").getcolors(maxcolors=1 << 20)) > 50


def test_seeds_with_extra_libraries_render(tmp_path):
    """Node charts (networkx), tree map (squarify) and a 3D chart render in the sandbox."""
    chosen = {r["minor_chart_type"]: SEED_DIR / r["code"] for r in _plot_info()}
    paths = [chosen[m] for m in ("directed node chart", "tree map", "stacked 3D bar chart")]
    records = render_scripts(paths, tmp_path / "img", env="current", dpi=50, use_cache=False, progress=False)
    assert [r.id for r in records] == [p.stem for p in paths]
    for record in records:
        assert record.status == "ok", f"{record.id}: {record.error}"
        _check_jpeg(record.image)


@pytest.mark.slow
def test_every_seed_renders_through_the_cli_and_is_deterministic(tmp_path):
    """``reachqa render <seed folder> <out>`` draws every seed; seeded data gives the same image."""
    reachqa = Path(sys.executable).parent / "reachqa"
    out = tmp_path / "a"
    proc = subprocess.run([str(reachqa), "render", str(SEED_DIR), str(out), "--env", "current", "--dpi", "60",
                           "--no-cache", "--no-progress"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert f"{len(SCRIPTS)}/{len(SCRIPTS)}" in proc.stdout
    with open(out / "render_report.jsonl", encoding="utf-8") as fh:
        report = [json.loads(line) for line in fh]
    assert sorted(r["id"] for r in report) == [p.stem for p in SCRIPTS]
    for rec in report:
        assert rec["status"] == "ok", f"{rec['id']}: {rec['error']}"
        _check_jpeg(out / f"{rec['id']}.jpg")
    hashes = {r["id"]: r["sha256"] for r in report}
    assert len(set(hashes.values())) == len(hashes), "two seeds draw the same image"
    # the seeds that draw random data give the same image again
    random_seeds = [p for p in SCRIPTS if "random" in p.read_text(encoding="utf-8")][:4]
    again = render_scripts(random_seeds, tmp_path / "b", env="current", dpi=60, use_cache=False, progress=False)
    for record in again:
        assert record.sha256 == hashes[record.id], f"{record.id} renders differently each time"
