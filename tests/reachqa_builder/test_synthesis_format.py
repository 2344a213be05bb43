"""The synthesis output folder has one reader (``reachqa_builder.synthesis_format``): journals (last
record per id, a torn last line ignored, damage named, streamed), the summary, the run records and
the published protocol names; nothing else in the packages parses a journal or retypes the stages."""

from __future__ import annotations

import ast
import dataclasses
import json
import tracemalloc
from pathlib import Path

import pytest

from reachqa_builder import synthesis_format as sf
from reachqa_builder.cli import main
from reachqa_builder.layout import LayoutError
from reachqa_builder.provenance import synthesis_record
from synthesis.config import SynthesisConfig
from synthesis.journal import Journal
from synthesis.pipeline import run_settings

from .builder_fixtures import SCRIPTS, write_split

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("reachqa_builder", "synthesis", "training", "evaluation")
FORMAT_MODULE = "reachqa_builder/synthesis_format.py"


def _write_lines(path: Path, *lines: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(lines))
    return path


# -- journals -------------------------------------------------------------------------------

def test_the_last_record_of_an_id_wins_in_order_of_first_appearance(tmp_path):
    j = Journal(tmp_path / "work" / "rate.jsonl")
    j.append({"id": "c1", "status": "dropped", "reason": "api_timeout"})
    j.append({"id": "c2", "status": "ok", "score": 4})
    j.append({"id": "c1", "status": "ok", "score": 5})  # a later run finished c1
    j.close()
    path = sf.journal_path(tmp_path / "work", "rate")
    assert [(r["id"], r["status"]) for r in sf.iter_records(path)] == [("c1", "ok"), ("c2", "ok")]
    assert sf.read_records(path)["c1"]["score"] == 5
    with sf.JournalReader(path) as reader:
        assert reader.ids("dropped") == [] and reader.status("c1") == "ok" and reader.get("c3") is None
    assert list(sf.iter_records(tmp_path / "work" / "qa.jsonl")) == []  # no journal yet: no records


def test_a_torn_last_line_is_ignored_and_the_writer_starts_a_fresh_line(tmp_path):
    path = _write_lines(tmp_path / "check.jsonl", b'{"id": "c1", "status": "ok"}\n', b'{"id": "c2", "stat')
    assert [r["id"] for r in sf.iter_records(path)] == ["c1"]
    j = Journal(path)  # reopening cuts the torn tail off
    j.append({"id": "c2", "status": "ok"})
    j.close()
    assert path.read_bytes().count(b"\n") == 2 and [r["id"] for r in sf.iter_records(path)] == ["c1", "c2"]


@pytest.mark.parametrize("bad", [b'{"id": "c2", "status": \n', b'["c2", "ok"]\n', b'{"status": "ok"}\n'])
def test_a_damaged_line_inside_a_journal_is_an_error_naming_it_and_nothing_is_cut(tmp_path, bad):
    """Only a last line without its newline comes from a crash; a whole line that is not a record is
    damage, and the records after it are not silently dropped (nor truncated by the writer)."""
    lines = (b'{"id": "c1", "status": "ok"}\n', bad, b'{"id": "c3", "status": "ok"}\n')
    path = _write_lines(tmp_path / "work" / "execute.jsonl", *lines)
    with pytest.raises(sf.JournalFormatError, match=r"execute\.jsonl:2: "):
        list(sf.iter_records(path))
    with pytest.raises(sf.JournalFormatError, match=r"execute\.jsonl:2: "):
        Journal(path)
    assert path.read_bytes() == b"".join(lines)


def test_the_viewer_names_a_damaged_journal_in_one_line(tmp_path, capsys):
    out = write_split(tmp_path / "run", {"t1": SCRIPTS["t1"]}, split="synthetic")
    _write_lines(out / "work" / "rate.jsonl", b'{"id": "c1", "status": "dropped", "reason": "low_rating"}\n',
                 b"not json\n", b'{"id": "c2", "status": "ok"}\n')
    assert main(["view", str(out), "--out", str(tmp_path / "site")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rate.jsonl:2: damaged journal line" in err[0], err


def test_readers_stream_a_journal_instead_of_loading_it(tmp_path):
    """Memory holds ids and offsets: reading a 6 MB journal peaks far below its size."""
    j = Journal(tmp_path / "qa.jsonl")
    for i in range(600):
        j.append({"id": f"c{i:05d}", "status": "ok", "qa": [{"question": "x" * 10_000}]})
    j.close()
    size = (tmp_path / "qa.jsonl").stat().st_size
    tracemalloc.start()
    try:
        n = sum(len(r["qa"][0]["question"]) > 0 for r in sf.iter_records(tmp_path / "qa.jsonl", "ok"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 600 and peak < size / 10, (peak, size)


def test_journal_paths_follow_the_stage_names(tmp_path):
    assert [sf.journal_path(tmp_path, s).name for s in sf.STAGES] == [
        "self_instruct.jsonl", "evol_instruct.jsonl", "execute.jsonl", "rate.jsonl", "qa.jsonl", "check.jsonl"]
    with pytest.raises(ValueError, match="unknown synthesis stage 'output'.*self-instruct"):
        sf.journal_path(tmp_path, "output")


# -- summary and run records ----------------------------------------------------------------

def test_a_summary_that_is_not_what_synthesis_writes_is_named(tmp_path):
    assert sf.read_summary(tmp_path) is None
    (tmp_path / "summary.json").write_text("[1, 2]")
    with pytest.raises(sf.JournalFormatError, match="summary.json: not a synthesis summary"):
        sf.read_summary(tmp_path)
    with pytest.raises(LayoutError, match="summary.json: not a synthesis summary"):  # the card's error type
        synthesis_record(tmp_path)
    (tmp_path / "summary.json").write_text('{"stages": {"rate": {"ok": 1, "dropped": {}}, "rating": {}}}')
    with pytest.raises(sf.JournalFormatError, match="summary.json: unknown stage.s. 'rating' .stages: self-instruct"):
        sf.read_summary(tmp_path)


def _non_protocol() -> set[str]:
    return {name for names in sf.NOT_PROTOCOL.values() for name in names}


def _dataclass_fields_flattened(cls) -> set[str]:
    """A settings dataclass's names as its run record spells them: an embedded dataclass by its own
    field names (``client``: ``timeout``; a ``render`` block: ``render_env``, however it is prefixed)."""
    names = set()
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            names |= _dataclass_fields_flattened(type(default))
        else:
            names.add(f.name)
    return names


def test_every_run_setting_is_a_protocol_key_or_listed_as_not_protocol():
    """A setting added to SynthesisConfig must be classified here: shown on the card as protocol
    (``PROTOCOL_KEYS``) or listed, with its reason, in ``NOT_PROTOCOL``."""
    record = run_settings(SynthesisConfig(), "full")  # what work/run-full.json holds
    classified = set(sf.PROTOCOL_KEYS) | set(sf.MODEL_KEYS) | _non_protocol()
    assert sorted(set(record) - classified) == []
    # and the names the record leaves out are keys (never written) or the client's run-set fields
    from synthesis.config import RUN_SET_CLIENT_FIELDS, RUN_SET_RENDER_FIELDS

    left_out = {n for n in _dataclass_fields_flattened(SynthesisConfig)
                if n not in record and not any(k.endswith(f"_{n}") for k in record)}
    # the render fields synthesis never sets (dpi: the release's; progress: its own bars) are left out too
    allowed = set(RUN_SET_CLIENT_FIELDS) | set(RUN_SET_RENDER_FIELDS)
    assert {n for n in left_out if not n.endswith("api_key")} <= allowed, left_out
    # nothing is both, and no listed name is stale (the render group follows RenderSettings' fields)
    assert not set(sf.PROTOCOL_KEYS) & _non_protocol()
    stale = {n for g, names in sf.NOT_PROTOCOL.items() if "render" not in g for n in names} - set(record)
    assert stale == set()


def test_the_writer_refuses_a_record_without_a_published_protocol_key(tmp_path):
    settings = run_settings(SynthesisConfig(), "full")
    del settings["render_env"]  # e.g. a setting renamed in SynthesisConfig
    with pytest.raises(ValueError, match="without the protocol setting.*render_env"):
        sf.write_run_record(tmp_path, "full", settings)
    assert not (tmp_path / "run-full.json").exists()


def test_the_card_shows_the_protocol_the_pipeline_recorded(tmp_path):
    cfg = SynthesisConfig(model="code-writer", rater_model=["rater-a"], min_rating=4.0, api_key="sk-secret",
                          drop_near_duplicates=0.8)
    sf.write_run_record(tmp_path / "work", "full", run_settings(cfg, "full"))
    sf.write_summary(tmp_path, {"stages": {}, "qa_pairs_dropped": {}})
    protocol = synthesis_record(tmp_path)["protocol"]
    assert list(protocol)[:3] == ["prompt_version", "mode", "protocol"]
    assert protocol["min_rating"] == 4.0 and protocol["drop_near_duplicates"] == 0.8 and protocol["mode"] == "full"
    assert protocol["model"] == "code-writer" and protocol["rater_model"] == ["rater-a"]
    assert "drop_near_duplicate_questions" not in protocol  # unset: not shown
    assert not set(protocol) & _non_protocol()
    assert "sk-secret" not in (tmp_path / "work" / "run-full.json").read_text()


# -- one reader: the guard ------------------------------------------------------------------

JOURNAL_API = {"journal_path", "JOURNAL_NAMES", "scan_index", "read_at", "JournalReader", "Journal", "iter_records",
               "read_records", "USAGE_FILE", "SUMMARY_FILE"}
PARSERS = {"loads", "load", "iter_jsonl", "iter_json_records", "read_json", "raw_decode"}


def _names(node: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, ast.alias):
            out.add(n.asname or n.name)
    return out


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _parses_json(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and (getattr(n.func, "attr", None) or getattr(n.func, "id", None)) in PARSERS
               for n in ast.walk(node))


def _torn_line_rule(node: ast.AST) -> bool:
    """``x.endswith(b"\\n")`` / ``("\\n")``: the signature of a JSON-lines reader tolerating a torn tail."""
    return any(isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "endswith" and n.args
               and isinstance(n.args[0], ast.Constant) and n.args[0].value in (b"\n", "\n") for n in ast.walk(node))


def _format_file(text: str) -> bool:
    """``text`` names a file of the format (a journal, the summary, the usage log, a run record)."""
    name = text.rsplit("/", 1)[-1]
    return (name in set(sf.JOURNAL_NAMES.values()) | {sf.SUMMARY_FILE, Path(sf.USAGE_FILE).name}
            or name.startswith("run-") and name.endswith(".json"))


def journal_readers(root: Path) -> list[str]:
    """Places outside the format module that parse synthesis journals or retype the stage list:

    * a function that parses JSON and reaches a journal, the summary, a run record or the usage log
      (the format's names for them, or one of those file names spelled out),
    * a function that parses JSON lines with the torn-last-line rule (a second journal parser;
      ``fileio.iter_jsonl`` is the generic reader of prediction and judged files),
    * a sequence literal holding four or more stage names (the stage list typed again; a mapping
      from some stages to their own values is fine), or a file name of the format spelled out.
    """
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel == FORMAT_MODULE:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _parses_json(node):
                    if (_names(node) & JOURNAL_API) or any(_format_file(s) for s in _strings(node)):
                        found.append(f"{rel}:{node.lineno} {node.name} parses a journal")
                    elif _torn_line_rule(node) and (rel, node.name) != ("reachqa_builder/fileio.py", "iter_jsonl"):
                        found.append(f"{rel}:{node.lineno} {node.name} parses JSON lines with the torn-line rule")
                elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                    stages = {n.value for n in node.elts if isinstance(n, ast.Constant) and n.value in sf.STAGES}
                    if len(stages) >= 4:
                        found.append(f"{rel}:{node.lineno} spells the stage list")
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _format_file(node.value):
                    found.append(f"{rel}:{node.lineno} spells a file name of the format")
    return sorted(found)


def test_nothing_outside_the_format_module_parses_a_journal_or_retypes_the_stages():
    assert journal_readers(ROOT) == []


def test_the_guard_finds_second_readers(tmp_path):
    """The guard fails on the readers the format replaced: the viewer's own line parser, a layout
    writer seeking into an index with json.loads, a journal read through a generic JSON-lines reader,
    and a stage list typed again."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "reachqa_builder" / "report.py").write_text(
        "import json\nSTAGE_ORDER = ('self-instruct', 'evol-instruct', 'execute', 'rate', 'qa', 'check')\n"
        "def _records(path):\n    out = {}\n    for line in path.read_bytes().splitlines(keepends=True):\n"
        "        if not line.endswith(b'\\n'):\n            break\n        rec = json.loads(line)\n"
        "        out[rec['id']] = rec\n    return out\n")
    (tmp_path / "synthesis" / "out.py").write_text(
        "import json\nfrom .journal import scan_index\ndef write(fh):\n    index, _ = scan_index(fh)\n"
        "    return [json.loads(fh.read(n)) for _, n, _ in index.values()]\n")
    (tmp_path / "evaluation" / "peek.py").write_text(
        "from reachqa_builder.fileio import iter_jsonl\ndef kept(work):\n"
        "    return [r for r in iter_jsonl(work / 'check.jsonl') if r['status'] == 'ok']\n"
        "NAMES = {'rate': 'rate.jsonl'}\nCOST = {'self-instruct': 2, 'evol-instruct': 2, 'rate': 1, 'qa': 4}\n")
    (tmp_path / "training" / "fine.py").write_text(  # other JSON files and other .jsonl files are fine
        "import json\ndef f(p):\n    return json.loads((p / 'config.json').read_text()), p / 'preds.jsonl'\n"
        "def g(p):\n    return json.loads((p / 'summary.json').read_text())\n")
    assert journal_readers(tmp_path) == ["evaluation/peek.py:2 kept parses a journal",
                                         "evaluation/peek.py:3 spells a file name of the format",
                                         "evaluation/peek.py:4 spells a file name of the format",
                                         "reachqa_builder/report.py:2 spells the stage list",
                                         "reachqa_builder/report.py:3 _records parses JSON lines with the torn-line rule",
                                         "synthesis/out.py:3 write parses a journal",
                                         "training/fine.py:4 g parses a journal",
                                         "training/fine.py:5 spells a file name of the format"]


@pytest.mark.parametrize("old, name", [("synthesis.journal", "iter_records"), ("synthesis.journal", "scan_index"),
                                       ("synthesis.journal", "read_records"), ("synthesis.stages", "JOURNAL_NAMES"),
                                       ("synthesis.usage_log", "usage_by_stage"),
                                       ("reachqa_builder.provenance", "PROTOCOL_KEYS")])
def test_the_old_names_still_import_with_a_deprecation_warning(old, name):
    import importlib

    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=f"{old}.{name} moved to reachqa_builder.synthesis_format"):
        assert getattr(module, name) is getattr(sf, name)
