"""Read predictions made by other tools into reachqa prediction records, never guessing silently.

Formats:

* ``swift``: the ReachQA authors' ms-swift JSON list (or JSONL) of ``{"question", "answer",
  "prediction", "split"}``; ms-swift's own ``infer`` JSONL (``response``, ``labels``,
  ``messages``/``query``) is read too.
* ``vlmevalkit``: a VLMEvalKit prediction file ``<model>_<dataset>.xlsx|.tsv|.csv|.json`` (every
  ``PRED_FORMAT``; columns ``index``, ``question``, ``answer``, ``prediction``, optionally
  ``split`` / ``category``), or its output folder (the model's folder or one of its timestamped run
  folders ``T<date>-<time>`` / ``T<date>_G<commit>``, whose parent names the model): judge and
  score files (``<model>_<dataset>_<judge>.xlsx``, ``..._acc.csv``) are recognised by their name
  and skipped; every other table must be a prediction file. The dataset is what follows the
  model's name, else the shortest ``_``-separated tail naming a benchmark (any model name works).
* ``lmms-eval``: samples of versions 0.2 to 0.7: the 0.2 log JSON (``{"logs": [...]}``), samples
  JSONL (``*samples_<task>*.jsonl``; ``filtered_resps`` a list or, since 0.7, a plain string), or an
  output folder holding results JSON + samples JSONL (searched recursively). The question comes
  from ``doc`` (``question`` / ``query`` / ``problem``), else ``input``, else the first text in
  ``arguments``; from 0.4 on ``doc`` is not logged, so the task's pre / post prompt (from the
  results file's ``configs``, else :data:`KNOWN_POST_PROMPTS`) is cut from ``input`` and the split
  comes from a per-split metric key (ChartQA's ``relaxed_human_split``).

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
PRED_SUFFIXES = TABLE_SUFFIXES + (".json",)  # VLMEvalKit's PRED_FORMAT: xlsx (default), tsv, json
# VLMEvalKit run folders: T<date>-<time> (current) or T<date>_G<commit> (older), inside the model's folder
_RUN_ID = re.compile(r"^T\d{8}(-\d{6}|_G[0-9a-fA-F]+)$")
_VLMEVALKIT_SKIP = ("status.json",)


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
    elif path.suffix == ".json":  # PRED_FORMAT=json: the DataFrame's records, a JSON list of objects
        data = _load_json_or_jsonl(path)
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise ValueError(f"{path}: a VLMEvalKit JSON prediction file is a list of records")
        header = list(dict.fromkeys(k for rec in data for k in rec))
        rows = [header] + [[None if _is_nan(rec.get(k)) else rec.get(k) for k in header] for rec in data]
    else:
        raise ValueError(f"{path}: not a VLMEvalKit prediction file (.xlsx, .tsv, .csv, .json)")
    if not rows:
        raise ValueError(f"{path}: empty table")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return header, rows[1:]


_NEED = ("index", "question", "answer", "prediction")


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _vlmevalkit_model(folder: Path) -> str:
    """The model a VLMEvalKit output folder belongs to: its name, or its parent's for a run folder."""
    return folder.parent.name if _RUN_ID.match(folder.name) else folder.name


def _dataset_of(stem: str, model: str | None) -> str:
    """The dataset part of ``<model>_<dataset>``: after the known model name, else the shortest
    ``_``-separated tail that names a benchmark (so a model called ``ReachQA-LLaVA-8B`` is no
    benchmark), else the whole stem."""
    if model and stem.startswith(model + "_"):
        return stem[len(model) + 1:]
    parts = stem.split("_")
    for k in range(len(parts) - 1, -1, -1):
        tail = "_".join(parts[k:])
        try:
            if canonical_benchmark(tail)[0]:
                return tail
        except ValueError:
            break
    return stem


def _vlmevalkit_file(path: Path, benchmark: str | None, model: str | None) -> list[dict]:
    header, rows = _read_table(path)
    missing = [c for c in _NEED if c not in header]
    if missing:
        raise ValueError(f"{path}: VLMEvalKit sheet lacks columns {missing} (has {header})")
    dataset = _dataset_of(path.stem, model)
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
        return _vlmevalkit_file(path, benchmark, _vlmevalkit_model(path.parent))
    tables = sorted(p for p in path.iterdir()
                    if p.suffix in PRED_SUFFIXES and p.is_file() and p.name not in _VLMEVALKIT_SKIP)
    stems = {p.stem for p in tables}
    # a judge / score file is named after the prediction file it scored: <stem>_<judge or metric>
    derived = {p for p in tables if any(p.stem.startswith(s + "_") for s in stems if s != p.stem)}
    roots = [p for p in tables if p not in derived]
    if not roots:
        raise ValueError(f"no VLMEvalKit prediction file (.xlsx, .tsv, .csv, .json) in {path}")
    by_dataset: dict[str, Path] = {}
    for p in roots:  # the same predictions saved as .json, .tsv and .xlsx count once (alphabetical: json first)
        by_dataset.setdefault(p.stem, p)
    if benchmark and len(by_dataset) > 1:
        raise ValueError(f"{path} holds predictions for {len(by_dataset)} datasets "
                         f"({', '.join(sorted(by_dataset))}); --benchmark names one: pass one file instead")
    out = []
    for p in by_dataset.values():
        out.extend(_vlmevalkit_file(p, benchmark, _vlmevalkit_model(path)))
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


# answer-format instructions lmms-eval's task configs append to questions (``post_prompt``); the
# results file's ``configs`` name the exact ones a run used, these cover runs without it
KNOWN_POST_PROMPTS = ("\nAnswer the question with a single word.", "\nAnswer the question using a single word or phrase.",
                      "\nAnswer the question using a single word, number, or short phrase.")
_SPLIT_KEY = re.compile(r"^(?:\w+?_)?([a-z]+)_split$")


def _strip_prompts(question: str, prompts: tuple[str, str]) -> str:
    """The question without the task's pre / post prompt (lmms-eval >= 0.4 logs only the full prompt)."""
    pre, post = prompts
    if pre and question.startswith(pre):
        question = question[len(pre):]
    for suffix in ([post] if post else []) + list(KNOWN_POST_PROMPTS):
        if suffix.strip() and question.rstrip().endswith(suffix.strip()):
            return question.rstrip()[:-len(suffix.strip())].rstrip()
    return question


def _subset_from_metrics(sample: dict, bench: str) -> str | None:
    """lmms-eval >= 0.4 drops ``doc``; a per-split metric key (ChartQA's ``relaxed_human_split`` /
    ``relaxed_augmented_split``) still names the item's split."""
    from .benchmarks import get_benchmark
    from .benchmarks.registry import UnknownBenchmarkError

    try:
        valid = set(get_benchmark(bench).subsets)
    except UnknownBenchmarkError:
        return None
    for key, value in sample.items():
        m = _SPLIT_KEY.match(key)
        if m and isinstance(value, (int, float)) and canonical_subset(bench, m.group(1)) in valid:
            return canonical_subset(bench, m.group(1))
    return None


def _lmms_sample(sample: Any, n: int, where: str, bench: str, task_subset: str | None, model: str | None,
                 prompts: tuple[str, str] = ("", "")) -> dict:
    if not isinstance(sample, dict):
        raise ValueError(f"{where}: sample {n} is a {type(sample).__name__}, expected an object")
    where = f"{where} sample {n}"
    doc = sample.get("doc") or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: doc is a {type(doc).__name__}, expected an object")
    question = next((doc[k] for k in ("question", "query", "problem") if doc.get(k)), None)
    if question is None:
        question = sample.get("input") if isinstance(sample.get("input"), str) else _first_text(sample.get("arguments"))
        if question is not None:
            question = _strip_prompts(question, prompts)
    if question is None:
        raise ValueError(f"{where}: no question in doc, input or arguments")
    answer = doc.get("answer", sample.get("target"))
    if isinstance(answer, list):
        if len(answer) != 1:
            raise ValueError(f"{where}: the target holds {len(answer)} answers; reachqa scores against one")
        answer = answer[0]
    subset = task_subset or next((doc[k] for k in ("type", "question_type", "split", "category") if doc.get(k)), None) \
        or _subset_from_metrics(sample, bench)
    doc_id = sample.get("doc_id", n)
    return _record(f"{task_subset}-{doc_id}" if task_subset else doc_id, bench, subset, question, answer,
                   _response(sample, where), "lmms-eval", where, model=model)


_TIMESTAMP = re.compile(r"_?\d{4}-?\d\d-?\d\d[T_][\d\-:.]+$")


def _task_of_samples_file(path: Path) -> str:
    stem = path.stem
    if "samples_" in stem:
        stem = stem.split("samples_", 1)[1]
    return _TIMESTAMP.sub("", stem)


def _task_prompts(cfg: Any) -> tuple[str, str]:
    """(pre_prompt, post_prompt) of a task config in a results file (``lmms_eval_specific_kwargs``)."""
    kw = cfg.get("lmms_eval_specific_kwargs") if isinstance(cfg, dict) else None
    kw = kw.get("default", kw) if isinstance(kw, dict) else None
    if not isinstance(kw, dict):
        return "", ""
    return str(kw.get("pre_prompt") or ""), str(kw.get("post_prompt") or "")


def _lmms_results(folder: Path) -> tuple[list[str], str | None, dict[str, tuple[str, str]]]:
    """Tasks, model and each task's prompts named by the results JSON files of an lmms-eval output folder."""
    tasks: list[str] = []
    prompts: dict[str, tuple[str, str]] = {}
    model = None
    for f in sorted(folder.rglob("*results*.json")):
        data = _load_json_or_jsonl(f)
        if not isinstance(data, dict) or "results" not in data:
            continue
        tasks += [t for t in (data.get("configs") or data["results"]) if t not in tasks]
        for t, cfg in (data.get("configs") or {}).items():
            prompts[t] = _task_prompts(cfg)
        cfg = data.get("config") or {}
        args = str(cfg.get("model_args") or "")
        m = re.search(r"pretrained=([^,]+)", args)
        model = model or data.get("model_name") or (m.group(1) if m else None) or cfg.get("model")
    return tasks, model, prompts


def import_lmms_eval(path: Path, benchmark: str | None) -> list[dict]:
    model = None
    if path.is_dir():
        tasks, model, prompts = _lmms_results(path)
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
            out.extend(_lmms_file(f, benchmark, task, model, prompts.get(task, ("", ""))))
        return out
    return _lmms_file(path, benchmark, None, None)


def _lmms_file(path: Path, benchmark: str | None, task: str | None, model: str | None,
               prompts: tuple[str, str] = ("", "")) -> list[dict]:
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
    return [_lmms_sample(s, n, str(path), bench, subset, model, prompts) for n, s in enumerate(logs)]


FORMATS: dict[str, Callable[[Path, str | None], list[dict]]] = {
    "swift": import_swift, "vlmevalkit": import_vlmevalkit, "lmms-eval": import_lmms_eval}


def _vlmevalkit_json(path: Path) -> bool:
    try:
        data = _load_json_or_jsonl(path)
    except (ValueError, UnicodeDecodeError):
        return False
    first = data[0] if isinstance(data, list) and data else None
    return isinstance(first, dict) and "index" in first and "prediction" in first


def detect_format(path: Path) -> str:
    if path.suffix in TABLE_SUFFIXES or (path.is_dir() and any(p.suffix in TABLE_SUFFIXES for p in path.iterdir())):
        return "vlmevalkit"
    if path.is_file() and path.suffix == ".json" and _vlmevalkit_json(path):
        return "vlmevalkit"
    if path.is_dir() and any(p.suffix == ".json" and p.name not in _VLMEVALKIT_SKIP and _vlmevalkit_json(p)
                             for p in path.iterdir() if p.is_file()):
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
