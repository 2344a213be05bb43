"""A benchmark is one module that calls ``@register``: nothing else is edited to add one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from evaluation.benchmarks import list_benchmarks
from evaluation.benchmarks.registry import REGISTRY, benchmark_modules

ROOT = Path(__file__).resolve().parents[2]

MODULE = '''
from evaluation.benchmarks.spec import Sample, register


@register("tinybench", subsets=("easy",), relaxed=True, aliases=("tiny_bench",),
          subset_aliases={"simple": "easy"}, description="a benchmark kept outside reachqa")
def load_tinybench(source, **_):
    yield Sample(id="t1", image=b"", question="How many?", answer="3", subset="easy")
'''

PROBE = '''
import json, sys
from reachqa_builder.cli import main
from evaluation.benchmarks import load_benchmark
from evaluation.benchmarks.names import canonical_benchmark, canonical_subset
code = main(["infer", "--model", "x", "--benchmarks", "nope", "--out", sys.argv[1]])
print(json.dumps({"code": code, "ids": [s.id for s in load_benchmark("tinybench")],
                  "name": canonical_benchmark("TinyBench_val"), "subset": canonical_subset("tinybench", "Simple")}))
'''


def test_every_module_of_the_package_registers_and_every_benchmark_is_found():
    list_benchmarks()
    modules = set(benchmark_modules())
    assert {spec.loader.__module__ for spec in REGISTRY.values()} == modules
    assert {"chartqa", "charxiv", "reachqa", "mathvista", "mathvision", "chartbench", "chartx"} <= set(REGISTRY)


def test_a_benchmark_in_its_own_module_reaches_the_cli_and_the_name_mapping(tmp_path):
    (tmp_path / "my_bench.py").write_text(MODULE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
           "REACHQA_BENCHMARK_MODULES": "my_bench"}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "out")], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "tinybench" in proc.stderr and "valid names" in proc.stderr  # `reachqa infer` lists it
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"code": 2, "ids": ["t1"], "name": ["tinybench", None], "subset": "easy"}


def test_a_missing_extra_module_is_one_clear_error(tmp_path):
    env = {**os.environ, "REACHQA_BENCHMARK_MODULES": "no_such_bench_module"}
    code = "from evaluation.benchmarks import list_benchmarks; list_benchmarks()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode != 0
    assert "REACHQA_BENCHMARK_MODULES names 'no_such_bench_module'" in proc.stderr
