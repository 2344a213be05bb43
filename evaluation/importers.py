"""Read predictions made by other tools into reachqa prediction records, never guessing silently.

Formats:

* ``swift``: the ReachQA authors' ms-swift JSON list (or JSONL) of ``{"question", "answer",
  "prediction", "split"}``; ms-swift's own ``infer`` JSONL (``response``, ``labels``,
  ``messages``/``query``) is read too.
* ``vlmevalkit``: a VLMEvalKit prediction file ``<model>_<dataset>.xlsx|.tsv|.csv`` (columns
  ``index``, ``question``, ``answer``, ``prediction``, optionally ``split`` / ``category``), or its
  output folder: judge and score files (``<model>_<dataset>_<judge>.xlsx``, ``..._acc.csv``) are
  recognised by their name and skipped; every other table must be a prediction file.
* ``lmms-eval``: samples of versions 0.2 to 0.7: the 0.2 log JSON (``{"logs": [...]}``), samples
  JSONL (``*samples_<task>*.jsonl``; ``filtered_resps`` a list or, since 0.7, a plain string), or an
  output folder holding results JSON + samples JSONL (searched recursively). The question comes
  from ``doc`` (``question`` / ``query`` / ``problem``), else ``input``, else the first text in
  ``arguments``.

The benchmark comes from ``benchmark`` when given, else from where the tool records it (lmms-eval:
the task in the results file or the samples file name; VLMEvalKit: the dataset in the file name;
swift: the file name), mapped onto reachqa's names (:mod:`evaluation.benchmarks.names`); subsets
too. Anything of an unexpected shape is a ``ValueError`` naming the file, the item and the field.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

from .benchmarks.names import canonical_benchmark, canonical_subset

__all__ = ["FORMATS", "import_predictions", "detect_format"]

TABLE_SUFFIXES = (".xlsx", ".tsv", ".csv")


def _load_json_or_jsonl(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".jsonl":  # one line is still a list of one record
            raise json.JSONDecodeError("lines", text, 0)
        return json.loads(text)
    except json.JSONDecodeError:
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    raise ValueError(f"{path}:{n}: neither a JSON document nor JSON lines") from None
        return rows


def _text(value: Any, where: str, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{where}: field {field!r} is a {type(value).__name__}, expected text")


def _benchmark_of(name: str, given: str | None, fallback: str) -> tuple[str, str | None]:
    if given:
        bench, _ = canonical_benchmark(given)
        return bench or given.strip().lower(), None
    bench, subset = canonical_benchmark(name)
    return (bench, subset) if bench else (fallback.lower(), None)


def _record(n: Any, benchmark: str, subset: Any, question: Any, answer: Any, prediction: Any, fmt: str,
            where: str, **extra: Any) -> dict:
    return {"id": _text(n, where, "id"), "benchmark": benchmark, "subset": canonical_subset(benchmark, subset),
            "question": _text(question, where, "question"), "answer": _text(answer, where, "answer"),
            "prediction": _text(prediction, where, "prediction"), "source_format": fmt,
            **{k: v for k, v in extra.items() if v is not None}}


def _last_user_text(messages: list[dict]) -> str:
    for msg in reversed(messages or []):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if p.get("type") == "text")
            return re.sub(r"<image>", "", str(content or "")).strip()
    return ""


# -- swift ----------------------------------------------------------------------------------------

def import_swift(path: Path, benchmark: str | None) -> list[dict]:
    bench, _ = _benchmark_of(path.stem, benchmark, path.stem)
    data = _load_json_or_jsonl(path)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of predictions, got a {type(data).__name__}")
    out = []
    for n, item in enumerate(data):
        where = f"{path} item {n}"
        if not isinstance(item, dict):
            raise ValueError(f"{where} is not an object")
        if "prediction" in item:
            question, answer, pred = item.get("question"), item.get("answer"), item["prediction"]
        elif "response" in item:  # ms-swift infer output
            question = item.get("query") or _last_user_text(item.get("messages", []))
            answer = item.get("labels", item.get("label", item.get("answer")))
            pred = item["response"]
        else:
            raise ValueError(f"{where} has neither 'prediction' nor 'response' (keys: {sorted(item)})")
        out.append(_record(item.get("id", n), bench, item.get("split"), question, answer, pred, "swift", where))
    return out


# -- VLMEvalKit -----------------------------------------------------------------------------------

def _read_table(path: Path) -> tuple[list[str], list[list[Any]]]:
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [list(r) for r in book.active.iter_rows(values_only=True)]
        finally:
            book.close()
    elif path.suffix in (".tsv", ".csv"):
        csv.field_size_limit(sys.maxsize)  # VLMEvalKit TSVs hold base64 images
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t" if path.suffix == ".tsv" else ","))
    else:
        raise ValueError(f"{path}: not a VLMEvalKit table (.xlsx, .tsv, .csv)")
    if not rows:
        raise ValueError(f"{path}: empty table")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return header, rows[1:]


_NEED = ("index", "question", "answer", "prediction")


def _vlmevalkit_file(path: Path, benchmark: str | None, model: str | None) -> list[dict]:
    header, rows = _read_table(path)
    missing = [c for c in _NEED if c not in header]
    if missing:
        raise ValueError(f"{path}: VLMEvalKit sheet lacks columns {missing} (has {header})")
    dataset = path.stem[len(model) + 1:] if model and path.stem.startswith(model + "_") else path.stem
    bench, name_subset = _benchmark_of(dataset, benchmark, dataset)
    col = {name: header.index(name) for name in header if name}
    subset_col = next((c for c in ("split", "category", "subset", "question_type") if c in col), None)
    out = []
    for n, row in enumerate(rows, 2):
        if row is None or all(v in (None, "") for v in row):
            continue
        get = lambda name: row[col[name]] if col[name] < len(row) else None  # noqa: E731
        subset = get(subset_col) if subset_col else name_subset
        out.append(_record(get("index"), bench, subset, get("question"), get("answer"), get("prediction"),
                           "vlmevalkit", f"{path} row {n}", model=model))
    return out


def import_vlmevalkit(path: Path, benchmark: str | None) -> list[dict]:
    if path.is_file():
        return _vlmevalkit_file(path, benchmark, path.parent.name)
    tables = sorted(p for p in path.iterdir() if p.suffix in TABLE_SUFFIXES and p.is_file())
    stems = {p.stem for p in tables}
    # a judge / score file is named after the prediction file it scored: <stem>_<judge or metric>
    derived = {p for p in tables if any(p.stem.startswith(s + "_") for s in stems if s != p.stem)}
    roots = [p for p in tables if p not in derived]
    if not roots:
        raise ValueError(f"no VLMEvalKit prediction file (.xlsx, .tsv, .csv) in {path}")
    by_dataset: dict[str, Path] = {}
    for p in roots:  # the same predictions saved as .xlsx and .tsv count once (xlsx first)
        by_dataset.setdefault(p.stem, p)
    if benchmark and len(by_dataset) > 1:
        raise ValueError(f"{path} holds predictions for {len(by_dataset)} datasets "
                         f"({', '.join(sorted(by_dataset))}); --benchmark names one: pass one file instead")
    out = []
    for p in by_dataset.values():
        out.extend(_vlmevalkit_file(p, benchmark, path.name))
    return out


# -- lmms-eval ------------------------------------------------------------------------------------

def _first_text(value: Any) -> str | None:
    """The first string in nested lists / dicts (lmms-eval ``arguments`` in any version)."""
    if isinstance(value, str):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for v in items:
        found = _first_text(v)
        if found is not None:
            return found
    return None


def _response(sample: dict, where: str) -> str:
    for field in ("filtered_resps", "resps"):
        value = sample.get(field)
        if value is None:
            continue
        while isinstance(value, list):
            if len(value) != 1:
                raise ValueError(f"{where}: {field} holds {len(value)} responses; reachqa scores one per item")
            value = value[0]
        if not isinstance(value, str):
            raise ValueError(f"{where}: {field} is a {type(value).__name__}, expected text or a list of text")
        return value
    raise ValueError(f"{where}: no filtered_resps or resps (keys: {sorted(sample)})")


def _lmms_sample(sample: Any, n: int, where: str, bench: str, task_subset: str | None, model: str | None) -> dict:
    if not isinstance(sample, dict):
        raise ValueError(f"{where}: sample {n} is a {type(sample).__name__}, expected an object")
    where = f"{where} sample {n}"
    doc = sample.get("doc") or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: doc is a {type(doc).__name__}, expected an object")
    question = next((doc[k] for k in ("question", "query", "problem") if doc.get(k)), None)
    if question is None:
        question = sample.get("input") if isinstance(sample.get("input"), str) else _first_text(sample.get("arguments"))
    if question is None:
        raise ValueError(f"{where}: no question in doc, input or arguments")
    answer = doc.get("answer", sample.get("target"))
    if isinstance(answer, list):
        if len(answer) != 1:
            raise ValueError(f"{where}: the target holds {len(answer)} answers; reachqa scores against one")
        answer = answer[0]
    subset = task_subset or next((doc[k] for k in ("type", "question_type", "split", "category") if doc.get(k)), None)
    doc_id = sample.get("doc_id", n)
    return _record(f"{task_subset}-{doc_id}" if task_subset else doc_id, bench, subset, question, answer,
                   _response(sample, where), "lmms-eval", where, model=model)


_TIMESTAMP = re.compile(r"_?\d{4}-?\d\d-?\d\d[T_][\d\-:.]+$")


def _task_of_samples_file(path: Path) -> str:
    stem = path.stem
    if "samples_" in stem:
        stem = stem.split("samples_", 1)[1]
    return _TIMESTAMP.sub("", stem)


def _lmms_results(folder: Path) -> tuple[list[str], str | None]:
    """Tasks and model named by the results JSON files of an lmms-eval output folder."""
    tasks: list[str] = []
    model = None
    for f in sorted(folder.rglob("*results*.json")):
        data = _load_json_or_jsonl(f)
        if not isinstance(data, dict) or "results" not in data:
            continue
        tasks += [t for t in (data.get("configs") or data["results"]) if t not in tasks]
        cfg = data.get("config") or {}
        args = str(cfg.get("model_args") or "")
        m = re.search(r"pretrained=([^,]+)", args)
        model = model or data.get("model_name") or (m.group(1) if m else None) or cfg.get("model")
    return tasks, model


def import_lmms_eval(path: Path, benchmark: str | None) -> list[dict]:
    model = None
    if path.is_dir():
        tasks, model = _lmms_results(path)
        files = sorted(f for f in path.rglob("*.jsonl") if "samples" in f.name)
        if not files:
            files = sorted(f for f in path.rglob("*.json") if "results" not in f.name)
        if not files:
            raise ValueError(f"no lmms-eval samples (*samples*.jsonl or a log JSON) under {path}")
        out = []
        for f in files:
            task = _task_of_samples_file(f)
            if tasks and task not in tasks:  # name the task the results file records, when the file name differs
                match = [t for t in tasks if t in f.stem]
                task = max(match, key=len) if match else task
            out.extend(_lmms_file(f, benchmark, task, model))
        return out
    return _lmms_file(path, benchmark, None, None)


def _lmms_file(path: Path, benchmark: str | None, task: str | None, model: str | None) -> list[dict]:
    data = _load_json_or_jsonl(path)
    if isinstance(data, dict):
        logs = data.get("logs")
        cfg = data.get("model_configs") or data.get("config") or {}
        task = task or (cfg.get("task") if isinstance(cfg, dict) else None)
    else:
        logs = data
    if not isinstance(logs, list):
        raise ValueError(f"{path}: no samples (an lmms-eval log JSON has {{'logs': [...]}}, a samples file "
                         f"one JSON object per line)")
    task = task or _task_of_samples_file(path)
    bench, subset = _benchmark_of(task, benchmark, task)
    return [_lmms_sample(s, n, str(path), bench, subset, model) for n, s in enumerate(logs)]


FORMATS: dict[str, Callable[[Path, str | None], list[dict]]] = {
    "swift": import_swift, "vlmevalkit": import_vlmevalkit, "lmms-eval": import_lmms_eval}


def detect_format(path: Path) -> str:
    if path.suffix in TABLE_SUFFIXES or (path.is_dir() and any(p.suffix in TABLE_SUFFIXES for p in path.iterdir())):
        return "vlmevalkit"
    if path.is_dir():
        if any(path.rglob("*samples*.jsonl")) or any(path.rglob("*results*.json")):
            return "lmms-eval"
    elif path.is_file() and path.suffix in (".json", ".jsonl"):
        data = _load_json_or_jsonl(path)
        if isinstance(data, dict) and "logs" in data:
            return "lmms-eval"
        first = data[0] if isinstance(data, list) and data else {}
        if isinstance(first, dict) and "doc_id" in first and ("filtered_resps" in first or "resps" in first):
            return "lmms-eval"
        if isinstance(first, dict) and ("prediction" in first or "response" in first):
            return "swift"
    raise ValueError(f"cannot tell the prediction format of {path}; pass --format {' | '.join(FORMATS)}")


def import_predictions(path: str | Path, fmt: str | None = None, benchmark: str | None = None) -> list[dict]:
    """Prediction records from another tool's output (``fmt`` detected when None)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no prediction file or folder at {path}")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown prediction format {fmt!r}; choose from {', '.join(FORMATS)}")
    return FORMATS[fmt](path, benchmark)
