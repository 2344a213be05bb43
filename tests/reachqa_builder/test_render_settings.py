"""One declaration per render setting: :class:`reachqa_builder.render.settings.RenderSettings`.

Every command that renders gets its render flags, their defaults and help from it; the configs that
render (build, synthesis, training, Ray, the benchmark loader) take their defaults from it; changing
a default there changes it everywhere; and no other module re-types the default numbers.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from reachqa_builder.cli import build_parser
from reachqa_builder.render.settings import (DEFAULT_DPI, DEFAULT_ENV, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT,
                                             RenderSettings)

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {f.name: f for f in dataclasses.fields(RenderSettings)}
ALL = tuple(FIELDS)

# per command: its arguments besides the render flags, and {args dest: RenderSettings field} of its render flags
COMMANDS = {
    "render": (["code", "out"], {name: name for name in ALL}),
    "build": ([], {"render_env": "env", "render_cache_dir": "cache_dir", "render_workers": "workers",
                   "render_timeout": "timeout", "dpi": "dpi", "progress": "progress"}),
    "push": (["user/reachqa"], {"render_env": "env", "render_cache_dir": "cache_dir", "render_workers": "workers",
                                "render_timeout": "timeout", "dpi": "dpi", "progress": "progress"}),
    "synthesize": ([], {f"render_{n}": n for n in ("env", "workers", "timeout", "memory_mb", "cache_dir", "cache")}),
    "lint": (["data"], {f"render_{name}": name for name in ALL}),
    "verify": (["data"], {f"render_{name}": name for name in ALL}),
    "decontaminate": (["data"], {f"render_{name}": name for name in ALL}),
    "infer": (["--model", "m", "--benchmarks", "reachqa", "--out", "o"], {"render_env": "env"}),
    "evaluate": (["--model", "m", "--benchmarks", "reachqa", "--out", "o"], {"render_env": "env"}),
}
# the one flag whose default is not RenderSettings': build's env is the one a synthesized folder
# records, else RenderSettings' (BuildSettings.render_settings / generation.resolve_render_env)
RESOLVED_LATER = {("build", "render_env"), ("push", "render_env")}


def subparser(name: str):
    action = next(a for a in build_parser()._actions if a.dest == "command")
    return action.choices[name]


def test_render_settings_defaults_are_the_named_ones():
    s = RenderSettings()
    assert (s.env, s.dpi, s.timeout, s.memory_mb, s.workers, s.cache, s.progress) == (
        DEFAULT_ENV, DEFAULT_DPI, DEFAULT_TIMEOUT, DEFAULT_MEMORY_MB, None, True, True)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_rendering_command_takes_its_render_flags_from_render_settings(command):
    positional, flags = COMMANDS[command]
    parser = subparser(command)
    got = vars(parser.parse_args(positional))
    actions = {a.dest: a for a in parser._actions}
    for dest, name in flags.items():
        field = FIELDS[name]
        if (command, dest) not in RESOLVED_LATER:
            assert got[dest] == field.default, f"reachqa {command}: {dest} defaults to {got[dest]!r}"
        assert field.metadata["help"] in actions[dest].help, f"reachqa {command}: {dest} has its own help"
        if "choices" in field.metadata:
            assert tuple(actions[dest].choices) == tuple(field.metadata["choices"])


def test_training_render_env_is_render_settings_env():
    from training.config import DataArguments

    field, env = DataArguments.__dataclass_fields__["render_env"], FIELDS["env"]
    assert field.default == env.default and tuple(field.metadata["choices"]) == tuple(env.metadata["choices"])
    assert env.metadata["help"] in field.metadata["help"]


def test_old_flag_spellings_keep_working():
    lint = vars(subparser("lint").parse_args(["d", "--render-env", "current", "--workers", "3", "--timeout", "9",
                                               "--render-cache-dir", "c", "--no-progress"]))
    assert (lint["render_env"], lint["render_workers"], lint["render_timeout"], lint["render_cache_dir"],
            lint["render_progress"]) == ("current", 3, 9.0, "c", False)
    synth = vars(subparser("synthesize").parse_args(["--render-timeout", "5", "--render-workers", "2"]))
    assert (synth["render_timeout"], synth["render_workers"]) == (5.0, 2)
    build = vars(subparser("build").parse_args(["--timeout", "7", "--workers", "4", "--dpi", "100"]))
    assert (build["render_timeout"], build["render_workers"], build["dpi"]) == (7.0, 4, 100)
    decon = vars(subparser("decontaminate").parse_args(["d", "--render-env", "current", "--no-progress"]))
    assert (decon["render_env"], decon["render_progress"]) == ("current", False)


def test_checking_commands_read_their_flags_back_as_render_settings():
    from reachqa_builder.render.settings import render_settings_from_args

    args = subparser("verify").parse_args(["d", "--render-env", "current", "--workers", "2", "--timeout", "8",
                                           "--render-memory-mb", "512", "--no-render-cache", "--no-progress"])
    assert render_settings_from_args(args) == RenderSettings(env="current", workers=2, timeout=8.0, memory_mb=512,
                                                             cache=False, progress=False)


def test_synthesis_embeds_render_settings_and_maps_the_old_flat_keys():
    from synthesis.cli import config_from_args
    from synthesis.config import SynthesisConfig

    cfg = config_from_args(subparser("synthesize").parse_args(["--render-env", "current", "--render-timeout", "5"]))
    assert cfg.render == RenderSettings(env="current", timeout=5.0)
    record = cfg.settings_record()
    assert (record["render_env"], record["render_timeout"], record["render_workers"]) == ("current", 5.0, None)
    with pytest.warns(DeprecationWarning, match="render_env, render_timeout"):
        old = SynthesisConfig(render_env="current", render_timeout=3.0)
    assert old.render == RenderSettings(env="current", timeout=3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert SynthesisConfig().render == RenderSettings()


def test_build_settings_mean_one_render_settings():
    from reachqa_builder.generation import resolve_render_env
    from reachqa_builder.settings import BuildSettings

    assert BuildSettings().render_settings() == RenderSettings()
    assert resolve_render_env(None, []) == RenderSettings().env
    s = BuildSettings(render_env="current", dpi=100, render_timeout=5.0, render_workers=2, render_cache_dir="c",
                      render_memory_mb=512, render_cache=False, progress=False)
    assert s.render_settings() == RenderSettings(env="current", dpi=100, timeout=5.0, workers=2, cache_dir="c",
                                                 memory_mb=512, cache=False, progress=False)
    assert s.render_settings("faithful").env == "faithful"  # the build's resolved environment wins


def test_every_render_setting_is_a_build_setting():
    """A field added to RenderSettings must reach `reachqa build` / `load_dataset` too: each has its flat
    BuildSettings field (``render_<name>``, or its own name), with RenderSettings' default."""
    import dataclasses

    from reachqa_builder.settings import BuildSettings

    build = {f.name: f for f in dataclasses.fields(BuildSettings)}
    for f in dataclasses.fields(RenderSettings):
        flat = build.get(f"render_{f.name}") or build.get(f.name)
        assert flat is not None, f"RenderSettings.{f.name} has no BuildSettings field"
        if f.name != "env":  # render_env defaults to None: the environment a synthesized folder records
            assert flat.default == f.default, f.name


def test_ray_renderer_embeds_render_settings():
    from reachqa_builder.ray_render import RayRenderer

    assert RayRenderer("auto").settings == RenderSettings()
    r = RayRenderer("auto", RenderSettings(dpi=100), env="current", use_cache=False)
    assert r.settings == RenderSettings(env="current", dpi=100, cache=False)


# Changing a default in render/settings.py, and nowhere else, must change every command's default.
PATCHES = {'DEFAULT_ENV = "faithful"': 'DEFAULT_ENV = "current"', "DEFAULT_DPI = 200": "DEFAULT_DPI = 123",
           "DEFAULT_TIMEOUT = 60.0": "DEFAULT_TIMEOUT = 7.5", "DEFAULT_MEMORY_MB = 4096": "DEFAULT_MEMORY_MB = 777"}
PATCHED = {"env": "current", "dpi": 123, "timeout": 7.5, "memory_mb": 777}

PROBE = textwrap.dedent('''
    import importlib.machinery, inspect, json, sys
    from pathlib import Path

    PATCHES, COMMANDS = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    NAME = "reachqa_builder.render.settings"

    class Loader(importlib.machinery.SourceFileLoader):
        def get_code(self, fullname):
            src = Path(self.path).read_text(encoding="utf-8")
            for old, new in PATCHES.items():
                assert old in src, old
                src = src.replace(old, new)
            return compile(src, self.path, "exec")

    class Finder:
        def find_spec(self, name, path=None, target=None):
            if name != NAME:
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            spec.loader = Loader(name, spec.origin)
            return spec

    sys.meta_path.insert(0, Finder())
    from reachqa_builder.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    out = {c: {d: vars(sub[c].parse_args(pos))[d] for d in dests} for c, (pos, dests) in COMMANDS.items()}

    from transformers import HfArgumentParser
    from evaluation.benchmarks.reachqa import load_reachqa
    from reachqa_builder.checks.program import run_programs
    from reachqa_builder.generation import resolve_render_env
    from reachqa_builder.ray_render import RayRenderer
    from reachqa_builder.render import render_scripts
    from reachqa_builder.settings import BuildSettings
    from synthesis.config import SynthesisConfig
    from synthesis.render_service import RenderService
    from training.config import DataArguments

    params = inspect.signature(render_scripts).parameters
    ray, build, service = RayRenderer("auto").settings, BuildSettings().render_settings(), RenderService(".").settings
    out["api"] = {
        "render_scripts": [params[k].default for k in ("env", "dpi", "timeout", "memory_mb")],
        "ray": [ray.env, ray.dpi, ray.timeout, ray.memory_mb],
        "build": [build.env, build.dpi, build.timeout, build.memory_mb],
        "build_env": resolve_render_env(None, []),
        "synthesis": [SynthesisConfig().render.env, SynthesisConfig().render.timeout, SynthesisConfig().render.memory_mb],
        "service": [service.env, service.dpi, service.timeout, service.memory_mb],
        "train": HfArgumentParser(DataArguments).parse_args_into_dataclasses(["--dataset", "d"])[0].render_env,
        "benchmark": inspect.signature(load_reachqa).parameters["render_env"].default,
        "programs": inspect.signature(run_programs).parameters["env"].default,
    }
    print(json.dumps(out))
''')


def test_changing_a_default_in_render_settings_changes_every_command():
    commands = {c: (pos, [d for d, n in flags.items() if n in PATCHED and (c, d) not in RESOLVED_LATER])
                for c, (pos, flags) in COMMANDS.items()}
    res = subprocess.run([sys.executable, "-c", PROBE, json.dumps(PATCHES), json.dumps(commands)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    for command, (_, dests) in commands.items():
        for dest in dests:
            name = COMMANDS[command][1][dest]
            assert got[command][dest] == PATCHED[name], f"reachqa {command}: {dest} kept {got[command][dest]!r}"
    api = got.pop("api")
    e, d, t, m = (PATCHED[k] for k in ("env", "dpi", "timeout", "memory_mb"))
    assert api == {"render_scripts": [e, d, t, m], "ray": [e, d, t, m], "build": [e, d, t, m], "build_env": e,
                   "synthesis": [e, t, m], "service": [e, d, t, m], "train": e, "benchmark": e, "programs": e}


# -- no second declaration: the default numbers are typed in render/settings.py only -------------------

LITERALS = {"dpi": {200}, "timeout": {60}, "memory_mb": {4096}}  # 60 == 60.0
PACKAGES = ("reachqa_builder", "synthesis", "training", "evaluation")
# runs inside the render environment's own interpreter and cannot import reachqa; every job the
# parent sends carries its dpi and timeout
EXEMPT = {"reachqa_builder/render/settings.py", "reachqa_builder/render/_worker.py"}


def _setting(name: str | None) -> str | None:
    name = (name or "").lstrip("-").replace("-", "_")
    name = name[len("render_"):] if name.startswith("render_") else name
    return name if name in LITERALS else None


def _literal(node, setting: str | None) -> bool:
    return (setting is not None and isinstance(node, ast.Constant) and not isinstance(node.value, bool)
            and node.value in LITERALS[setting])


def render_default_literals(tree: ast.AST) -> list[int]:
    """Lines that give a render setting (dpi, timeout, memory_mb, also as render_*) its default number."""
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            pairs = list(zip(a.args[len(a.args) - len(a.defaults):], a.defaults)) + list(zip(a.kwonlyargs, a.kw_defaults))
            hits += [d.lineno for arg, d in pairs if d is not None and _literal(d, _setting(arg.arg))]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                setting = _setting(t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None)
                value = node.value
                if isinstance(value, ast.Call):  # field(default=60.0, ...)
                    value = next((k.value for k in value.keywords if k.arg == "default"), None)
                if value is not None and _literal(value, setting):
                    hits.append(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func == "add_argument":
                flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                setting = next((s for s in map(_setting, flags) if s), None)
                hits += [k.value.lineno for k in node.keywords if k.arg == "default" and _literal(k.value, setting)]
            elif func == "get" and len(node.args) == 2 and isinstance(node.args[0], ast.Constant):
                if _literal(node.args[1], _setting(str(node.args[0].value))):
                    hits.append(node.lineno)
            hits += [k.value.lineno for k in node.keywords if k.arg in ("dpi", "memory_mb", "render_timeout")
                     and _literal(k.value, _setting(k.arg))]
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
            read, fallback = node.values  # job.get("timeout") or 60
            if (isinstance(read, ast.Call) and getattr(read.func, "attr", "") == "get" and read.args
                    and isinstance(read.args[0], ast.Constant) and _literal(fallback, _setting(str(read.args[0].value)))):
                hits.append(node.lineno)
    return hits


def test_the_scan_finds_a_second_declaration():
    src = textwrap.dedent('''
        from dataclasses import dataclass, field
        @dataclass
        class Ray:
            dpi: int = 200
            timeout: float = field(default=60.0, metadata={})
        def render(code, *, memory_mb=4096, timeout=30.0): ...
        parser.add_argument("--render-timeout", type=float, default=60)
        job.get("dpi", 200)
        render_scripts(code, dpi=200)
        sqlite3.connect(path, timeout=60.0)  # not a render setting
        grace = float(job.get("timeout") or 60) + 5
    ''')
    assert sorted(render_default_literals(ast.parse(src))) == [5, 6, 7, 8, 9, 10, 12]


def test_no_module_but_render_settings_types_the_render_defaults():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in EXEMPT:
                found += [f"{rel}:{line}" for line in render_default_literals(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, "render defaults typed outside reachqa_builder/render/settings.py: " + ", ".join(found)
