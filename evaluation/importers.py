"""Read predictions made by other tools into reachqa prediction records.

Formats (the ones the ReachQA authors' judge script read):

* ``swift``: a JSON list (or JSONL) of ``{"question", "answer", "prediction", "split"}`` as their
  ms-swift inference script wrote it; ms-swift's own ``infer`` JSONL (``response``, ``labels``,
  ``messages``/``query``) is read too.
* ``vlmevalkit``: a VLMEvalKit result ``.xlsx`` (columns ``index``, ``question``, ``answer``,
  ``prediction``, optionally ``split`` / ``category``), or a folder holding exactly one.
* ``lmms-eval``: an lmms-eval log JSON (``{"logs": [{"doc_id", "doc", "target", "resps",
  "filtered_resps"}]}``) or its per-sample JSONL.

Each record gets ``id, benchmark, subset, question, answer, prediction`` (``source_format`` too).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

__all__ = ["FORMATS", "import_predictions", "detect_format"]


def _load_json_or_jsonl(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
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


def _record(n: Any, benchmark: str, subset: Any, question: Any, answer: Any, prediction: Any, fmt: str) -> dict:
    return {"id": str(n), "benchmark": benchmark, "subset": str(subset or "all").lower(),
            "question": "" if question is None else str(question),
            "answer": "" if answer is None else str(answer),
            "prediction": "" if prediction is None else str(prediction), "source_format": fmt}


def _last_user_text(messages: list[dict]) -> str:
    for msg in reversed(messages or []):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if p.get("type") == "text")
            return re.sub(r"<image>", "", str(content or "")).strip()
    return ""


def import_swift(path: Path, benchmark: str) -> list[dict]:
    data = _load_json_or_jsonl(path)
    if isinstance(data, dict):
        data = [data]
    out = []
    for n, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: item {n} is not an object")
        if "prediction" in item:
            question, answer, pred = item.get("question"), item.get("answer"), item["prediction"]
        elif "response" in item:  # ms-swift infer output
            question = item.get("query") or _last_user_text(item.get("messages", []))
            answer = item.get("labels", item.get("label", item.get("answer")))
            pred = item["response"]
        else:
            raise ValueError(f"{path}: item {n} has neither 'prediction' nor 'response' (keys: {sorted(item)})")
        out.append(_record(item.get("id", n), benchmark, item.get("split"), question, answer, pred, "swift"))
    return out


def import_vlmevalkit(path: Path, benchmark: str) -> list[dict]:
    import openpyxl

    if path.is_dir():
        files = sorted(path.glob("*.xlsx"))
        if len(files) != 1:
            raise ValueError(f"expected exactly one .xlsx in {path}, found {len(files)}")
        path = files[0]
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = book.active
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    need = ["index", "question", "answer", "prediction"]
    missing = [c for c in need if c not in header]
    if missing:
        raise ValueError(f"{path}: VLMEvalKit sheet lacks columns {missing} (has {header})")
    col = {name: header.index(name) for name in header if name}
    subset_col = next((c for c in ("split", "category", "subset") if c in col), None)
    out = []
    for row in rows:
        if row is None or all(v is None for v in row):
            continue
        get = lambda name: row[col[name]] if col[name] < len(row) else None  # noqa: E731
        out.append(_record(get("index"), benchmark, get(subset_col) if subset_col else None, get("question"),
                           get("answer"), get("prediction"), "vlmevalkit"))
    book.close()
    return out


def import_lmms_eval(path: Path, benchmark: str) -> list[dict]:
    if path.is_dir():
        files = sorted(path.glob("*.json")) + sorted(path.glob("*samples*.jsonl"))
        if len(files) != 1:
            raise ValueError(f"expected exactly one lmms-eval log (.json or *samples*.jsonl) in {path}, found {len(files)}")
        path = files[0]
    data = _load_json_or_jsonl(path)
    logs = data.get("logs") if isinstance(data, dict) else data
    if not isinstance(logs, list):
        raise ValueError(f"{path}: no 'logs' list (an lmms-eval log has {{'logs': [...]}})")
    out = []
    for n, log in enumerate(logs):
        doc = log.get("doc", {}) or {}
        resps = log.get("filtered_resps") or log.get("resps") or [[""]]
        pred = resps[0]
        while isinstance(pred, list):
            pred = pred[0] if pred else ""
        question = doc.get("question", doc.get("query", doc.get("problem")))
        answer = doc.get("answer", log.get("target"))
        if isinstance(answer, list):
            answer = answer[0] if answer else ""
        subset = doc.get("split") or doc.get("type") or doc.get("category")
        out.append(_record(log.get("doc_id", n), benchmark, subset, question, answer, pred, "lmms-eval"))
    return out


FORMATS: dict[str, Callable[[Path, str], list[dict]]] = {
    "swift": import_swift, "vlmevalkit": import_vlmevalkit, "lmms-eval": import_lmms_eval}


def detect_format(path: Path) -> str:
    if path.suffix == ".xlsx" or (path.is_dir() and any(path.glob("*.xlsx"))):
        return "vlmevalkit"
    if path.is_file():
        data = _load_json_or_jsonl(path)
        if isinstance(data, dict) and "logs" in data:
            return "lmms-eval"
        first = data[0] if isinstance(data, list) and data else {}
        if isinstance(first, dict) and ("doc" in first and "resps" in first):
            return "lmms-eval"
        if isinstance(first, dict) and ("prediction" in first or "response" in first):
            return "swift"
    raise ValueError(f"cannot tell the prediction format of {path}; pass one of {', '.join(FORMATS)}")


def import_predictions(path: str | Path, fmt: str | None = None, benchmark: str | None = None) -> list[dict]:
    """Prediction records from another tool's output (``fmt`` detected when None)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no prediction file or folder at {path}")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown prediction format {fmt!r}; choose from {', '.join(FORMATS)}")
    return FORMATS[fmt](path, benchmark or path.stem.lower())
