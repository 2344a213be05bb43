"""The evaluation report (``report.json`` of ``reachqa judge`` / ``reachqa evaluate``): its one reader.

``evaluation.report`` writes the file; everything else that shows or compares reports (the viewer)
reads it here, as typed records, so the file's keys are spelled in two places only (the writer and
this reader) and a file that does not fit is one error naming the file and the key::

    from reachqa_builder.eval_report import read_report
    report = read_report("report/report.json")        # or the folder that holds it
    cell = report.benchmarks["reachqa"].all
    cell.scores["judge"].accuracy, cell.scores["judge"].ci95    # 0.62, (0.51, 0.73)

A cell's scores are those of the metrics it has (``judge``: the paper's LLM judge, invalid verdicts
counting as not correct; ``relaxed``: the relaxed-accuracy rule; ``official``: the benchmark's own
grading, e.g. CharXiv's), each with its 95% interval clustered by chart (None with fewer than two
clusters, and in reports written before intervals existed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fileio import read_json

__all__ = ["METRICS", "REPORT_FILE", "ReportFormatError", "Score", "Cell", "AccPlus", "BenchmarkReport", "JudgeUsage",
           "EvalReport", "read_report", "parse_report"]

METRICS = ("judge", "relaxed", "official")
REPORT_FILE = "report.json"  # in the folder of `reachqa judge --out` / `reachqa evaluate --out`


class ReportFormatError(ValueError):
    """``report.json`` does not have the layout ``evaluation.report`` writes; the message names the key."""


@dataclass(frozen=True)
class Score:
    """One accuracy: ``accuracy`` in [0, 1] (None: nothing scored), its 95% interval, items scored."""

    accuracy: float | None
    ci95: tuple[float, float] | None
    n: int


@dataclass(frozen=True)
class Cell:
    """Accuracy of one slice (a benchmark, a subset or a category)."""

    n: int
    scores: dict[str, Score]
    judge_accuracy_scored: float | None = None  # correct over the items with a verdict (invalid left out)
    judge_invalid: int = 0
    official_invalid: int = 0
    agreement: float | None = None  # judge and rule agree, over items both scored
    agreement_n: int = 0
    clusters: int = 0
    clustered_by: str = ""  # "chart", "item" or "mixed"


@dataclass(frozen=True)
class AccPlus:
    """ChartBench Acc+: a statement pair counts when both statements are right."""

    pairs: int
    scores: dict[str, Score]


@dataclass(frozen=True)
class BenchmarkReport:
    name: str
    all: Cell
    subsets: dict[str, Cell] = field(default_factory=dict)
    categories: dict[str, Cell] = field(default_factory=dict)
    acc_plus: AccPlus | None = None


@dataclass(frozen=True)
class JudgeUsage:
    requests: int
    cache_hits: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None  # None when no price was given


@dataclass(frozen=True)
class EvalReport:
    source: str
    meta: dict[str, Any]
    judge: dict[str, Any] | None  # the judge's fingerprint (model, prompt hash, sampling)
    judge_usage: JudgeUsage | None
    benchmarks: dict[str, BenchmarkReport]


def _num(value: Any, where: str, *, integer: bool = False) -> Any:
    if value is None and not integer:
        return None
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if not ok or isinstance(value, bool):
        raise ReportFormatError(f"{where}: expected {'an integer' if integer else 'a number or null'}, got {value!r}")
    return value


def _interval(value: Any, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2):
        raise ReportFormatError(f"{where}: expected [low, high] or null, got {value!r}")
    return (_num(value[0], where), _num(value[1], where))


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ReportFormatError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _cell(raw: Any, where: str) -> Cell:
    c = _obj(raw, where)
    scores = {}
    for m in METRICS:
        n = _num(c.get(f"{m}_n", 0), f"{where}.{m}_n", integer=True)
        if n:
            scores[m] = Score(_num(c.get(f"{m}_accuracy"), f"{where}.{m}_accuracy"),
                              _interval(c.get(f"{m}_ci95"), f"{where}.{m}_ci95"), n)
    if "n" not in c:
        raise ReportFormatError(f"{where}: no n")
    return Cell(n=_num(c["n"], f"{where}.n", integer=True), scores=scores,
                judge_accuracy_scored=_num(c.get("judge_accuracy_scored"), f"{where}.judge_accuracy_scored"),
                judge_invalid=_num(c.get("judge_invalid", 0), f"{where}.judge_invalid", integer=True),
                official_invalid=_num(c.get("official_invalid", 0), f"{where}.official_invalid", integer=True),
                agreement=_num(c.get("agreement"), f"{where}.agreement"),
                agreement_n=_num(c.get("agreement_n", 0), f"{where}.agreement_n", integer=True),
                clusters=_num(c.get("clusters", 0), f"{where}.clusters", integer=True),
                clustered_by=str(c.get("clustered_by") or ""))


def _cells(raw: Any, where: str) -> dict[str, Cell]:
    return {str(k): _cell(v, f"{where}.{k}") for k, v in _obj(raw if raw is not None else {}, where).items()}


def _acc_plus(raw: Any, where: str) -> AccPlus | None:
    if raw is None:
        return None
    a = _obj(raw, where)
    scores = {}
    for m in METRICS:
        s = a.get(m)
        if s is not None:
            s = _obj(s, f"{where}.{m}")
            scores[m] = Score(_num(s.get("accuracy"), f"{where}.{m}.accuracy"),
                              _interval(s.get("ci95"), f"{where}.{m}.ci95"),
                              _num(s.get("n", 0), f"{where}.{m}.n", integer=True))
    return AccPlus(pairs=_num(a.get("pairs", 0), f"{where}.pairs", integer=True), scores=scores)


def _usage(raw: Any, where: str) -> JudgeUsage | None:
    if raw is None:
        return None
    u = _obj(raw, where)
    return JudgeUsage(*(_num(u.get(k, 0), f"{where}.{k}", integer=True)
                        for k in ("requests", "cache_hits", "prompt_tokens", "completion_tokens")),
                      cost=_num(u.get("cost"), f"{where}.cost"))


def parse_report(data: Any, source: str = REPORT_FILE) -> EvalReport:
    """The report in ``data`` (the parsed JSON); :class:`ReportFormatError` names the key that does not fit."""
    top = _obj(data, source)
    if "benchmarks" not in top:
        raise ReportFormatError(f"{source}: no benchmarks (not a report.json of reachqa judge / evaluate)")
    benchmarks = {}
    for name, raw in _obj(top["benchmarks"], f"{source}: benchmarks").items():
        where = f"{source}: benchmarks.{name}"
        b = _obj(raw, where)
        benchmarks[str(name)] = BenchmarkReport(
            name=str(name), all=_cell(b.get("all"), f"{where}.all"), subsets=_cells(b.get("subsets"), f"{where}.subsets"),
            categories=_cells(b.get("categories"), f"{where}.categories"),
            acc_plus=_acc_plus(b.get("acc_plus"), f"{where}.acc_plus"))
    judge = top.get("judge")
    return EvalReport(source=source, meta=dict(_obj(top.get("meta") or {}, f"{source}: meta")),
                      judge=_obj(judge, f"{source}: judge") if judge is not None else None,
                      judge_usage=_usage(top.get("judge_usage"), f"{source}: judge_usage"), benchmarks=benchmarks)


def read_report(path: str | Path) -> EvalReport:
    """Read ``report.json`` (or ``FOLDER/report.json``); one error naming the file when it does not fit."""
    p = Path(path)
    p = p / REPORT_FILE if p.is_dir() else p
    return parse_report(read_json(p, what="evaluation report"), str(p))
