"""What a newcomer touches to add a benchmark, a chart type or a model family, measured.

Each task is done for real in a fresh clone: only the files of the touch-point table (README,
"Developing") are written, then a probe asks the clone's own code whether the new thing is live
through its public surface:

- benchmark: ``evaluation/benchmarks/toybench.py`` with ``@register``; live when
  ``list_benchmarks()`` and ``load_benchmark("toybench")`` have it;
- chart type: a row of ``reachqa_builder/chart_types.json`` plus a seed script and its
  ``plot_info.jsonl`` line; live when the taxonomy, its normalizer and the notes synthesis sends
  the code-writing model know the type, and the seed folder lists the seed under it;
- model family: a preset ``training/configs/toyfamily.yaml``; live when ``--config toyfamily``
  resolves to its checkpoint;
- remote-code family: also ``training/convert_toyfamily.py``; live when ``reachqa convert``
  (the command the clone's ``setup.cfg`` names) offers ``toyfamily``.

Baseline, in the same run: the same edits in a clone of the commit before the architecture work
(``--base``, default 6148ce3), where they were not enough. Prints, per task and tree, the files
touched and whether the addition is live.

    .venv/bin/python bench/touch_points.py [--base 6148ce3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BENCHMARK = '''
from evaluation.benchmarks.spec import Sample, register


@register("toybench", subsets=("all",), relaxed=True, description="a benchmark added by one module")
def load_toybench(source, **_):
    yield Sample(id="toy-1", image=b"", question="How many bars?", answer="3", subset="all")
'''

SEED = '''import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 4))
ax.barh(["coal", "gas", "solar"], [40, 35, 25])
ax.set_title("Where the grid's energy flows (share, %)")
plt.tight_layout()
plt.savefig("chart.png")
'''

CONVERTER = '''
"""A toy converter: copies SRC to OUT."""
import shutil

FORMAT = "toyfamily"
HELP = "a toy remote-code family -> its native class"


def configure_format(parser):
    parser.add_argument("src")
    parser.add_argument("out")
    parser.set_defaults(run=lambda args: shutil.copytree(args.src, args.out) and 0)
'''

NEW_TYPE = "sankey chart"

PROBES = {
    "benchmark": '''
from evaluation.benchmarks import list_benchmarks, load_benchmark
ok = "toybench" in list_benchmarks() and [s.id for s in load_benchmark("toybench")] == ["toy-1"]
''',
    "chart type": '''
import json
from pathlib import Path
from reachqa_builder import taxonomy
from synthesis.prompts import chart_note
seeds = [json.loads(l) for l in (Path("reachqa_builder/seed_charts/plot_info.jsonl")).read_text().splitlines() if l]
ok = (taxonomy.MINOR_TYPES.get("sankey chart") == "Specific Charts"
      and taxonomy.normalize_minor_type("Sankey Diagram") == "sankey chart"
      and "proportional to the quantity" in chart_note("sankey chart")
      and any(s["minor_chart_type"] == "sankey chart" for s in seeds))
''',
    "model family": '''
from training.config import resolve_config_path, load_yaml_defaults
path = resolve_config_path("toyfamily")
ok = "toy-org/ToyVLM-2B" in path.read_text()
''',
    "remote-code family": '''
import argparse, configparser, importlib
cfg = configparser.ConfigParser(); cfg.read("setup.cfg")
lines = [l.strip() for l in cfg["options.entry_points"]["reachqa.commands"].splitlines() if l.strip()]
target = [l.split("=", 1)[1].strip() for l in lines if l.split("=", 1)[0].strip() == "convert"][0]
module, attr = target.split(":")
parser = argparse.ArgumentParser()
getattr(importlib.import_module(module), attr)(parser)
args = parser.parse_args(["toyfamily", "a", "b"])
ok = getattr(args, "format", None) == "toyfamily"
''',
}


def _edit(task: str, tree: Path) -> None:
    """The edits of the touch-point table for ``task``, written into ``tree``."""
    if task == "benchmark":
        (tree / "evaluation/benchmarks/toybench.py").write_text(BENCHMARK)
    elif task == "chart type":
        table = tree / "reachqa_builder/chart_types.json"
        rows = json.loads(table.read_text()) if table.exists() else []
        rows.append({"minor": NEW_TYPE, "major": "Specific Charts",
                     "notes": ["Draw each flow as a band whose width is proportional to the quantity it carries."]})
        table.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
        seeds = tree / "reachqa_builder/seed_charts"
        (seeds / "099.py").write_text(SEED)
        with open(seeds / "plot_info.jsonl", "a") as fh:
            fh.write(json.dumps({"id": "reachqa-seed-plot-099", "code": "099.py", "level": "Easy",
                                 "plot_model": "reachqa-authors", "major_chart_type": "Specific Charts",
                                 "minor_chart_type": NEW_TYPE}) + "\n")
    elif task == "model family":
        (tree / "training/configs/toyfamily.yaml").write_text("model_name_or_path: toy-org/ToyVLM-2B\n")
    elif task == "remote-code family":
        (tree / "training/configs/toyfamily.yaml").write_text("model_name_or_path: toy-org/ToyVLM-2B\n")
        (tree / "training/convert_toyfamily.py").write_text(textwrap.dedent(CONVERTER))


def _run(task: str, rev: str, work: Path) -> tuple[int, bool, str]:
    tree = work / f"{rev[:7]}-{task.replace(' ', '-')}"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "checkout", "-q", rev], check=True)
    _edit(task, tree)
    status = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    probe = PROBES[task] + "\nprint('LIVE' if ok else 'NOT LIVE')\n"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tree, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "HOME": str(work)})
    live = proc.returncode == 0 and proc.stdout.strip().endswith("LIVE") and "NOT LIVE" not in proc.stdout
    why = "" if live else (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["?"])[-1][:110]
    return len(status), live, why


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="6148ce3", help="the commit to compare with (before the architecture work)")
    args = ap.parse_args()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    base = subprocess.run(["git", "-C", str(ROOT), "rev-parse", args.base], capture_output=True, text=True,
                          check=True).stdout.strip()
    print(f"{'task':<20} {'tree':<8} {'files':>5}  live")
    with tempfile.TemporaryDirectory(prefix="touch-points-") as tmp:
        work = Path(tmp)
        totals = {}
        for task in PROBES:
            for name, rev in (("base", base), ("HEAD", head)):
                files, live, why = _run(task, rev, work)
                totals.setdefault(name, 0)
                totals[name] += live
                print(f"{task:<20} {name:<8} {files:>5}  {'yes' if live else 'no: ' + why}")
    print(f"live with only the touch-point files: base {totals['base']}/{len(PROBES)}, "
          f"HEAD {totals['HEAD']}/{len(PROBES)}")
    return 0 if totals["HEAD"] == len(PROBES) else 1


if __name__ == "__main__":
    sys.exit(main())
