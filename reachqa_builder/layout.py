"""Reading and checking a ReachQA source folder.

The ReachQA repository keeps its data as one folder per split::

    data/
      reachqa_train/  code/00001.py ...  plot_info.jsonl  [instruction_data*.json]
      reachqa_test/   code/00001.py ...  plot_info.jsonl  instruction_data_2k.json

``plot_info.jsonl`` holds one chart per line (``id``, ``code``, ``image``, ``level``,
``plot_model``, ``major_chart_type``, ``minor_chart_type``; further provenance fields are kept
as JSON in ``extra``). The Q&A file is a JSON array (or JSON Lines) of records with ``plot_id``,
``question``, ``answer`` and ``QA_type``. The synthesis pipeline writes the same layout.

``find_splits`` accepts the ``data/`` root or one split folder. ``read_qa_folder`` reads one split
for evaluation, also without ``plot_info`` (the published test archive ships the Q&A file and the
images; each Q&A record repeats its chart's fields). Every reader reports bad input as a
:class:`LayoutError` naming the file and line.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

logger = logging.getLogger(__name__)

PLOT_INFO_NAMES = ("plot_info.jsonl", "plot_info.json")
QA_GLOBS = ("instruction_data*.json", "instruction_data*.jsonl")
SPLIT_PREFIX = "reachqa_"
CHART_FIELDS = ("level", "plot_model", "major_chart_type", "minor_chart_type")


class LayoutError(ValueError):
    """Bad source data; the message names the file (and line where there is one)."""


@dataclass
class Chart:
    """One chart of ``plot_info``: its script and metadata."""

    id: str
    code_path: Path
    level: str = ""
    plot_model: str = ""
    major_chart_type: str = ""
    minor_chart_type: str = ""
    extra: dict = field(default_factory=dict)
    where: str = ""  # "file:line" of its plot_info record, for error messages
    image: str = ""  # the released image's path relative to the split folder ("images/00001.jpg"), if listed
    code: str | None = None  # filled by ``read_code``


@dataclass
class QA:
    """One question about a chart."""

    id: str
    chart_id: str
    question: str
    answer: str
    qa_type: str = ""
    qa_model: str = ""
    concise_answer: str | None = None   # synthesis output only; the released data has none
    check_verdicts: str | None = None   # synthesis: the raters' verdicts and reasons, as JSON
    extra: dict = field(default_factory=dict)  # the record's other fields (e.g. the released "steps")


@dataclass
class SourceSplit:
    """One split folder: its charts and, where present, its Q&A file."""

    name: str
    root: Path
    plot_info: Path
    qa_file: Path | None


def iter_json_records(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, record)`` from a JSON Lines file or a JSON array of objects.

    Raises :class:`LayoutError` naming ``path`` and the line of the first bad record.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise LayoutError(f"{path}:{line}: not valid UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise LayoutError(f"{path}: cannot read: {exc.strerror or exc}") from None
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from _iter_json_array(path, text)
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LayoutError(f"{path}:{lineno}: malformed JSON line ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise LayoutError(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
        yield lineno, record


def _iter_json_array(path: Path, text: str) -> Iterator[tuple[int, dict]]:
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    ws = re.compile(r"\s*")

    def line_at(p: int) -> int:
        return text.count("\n", 0, p) + 1

    pos = ws.match(text, pos).end()
    if text.startswith("]", pos):
        return
    while True:
        try:
            record, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise LayoutError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise LayoutError(f"{path}:{line_at(pos)}: expected a JSON object, got {type(record).__name__}")
        yield line_at(pos), record
        pos = ws.match(text, end).end()
        if text.startswith(",", pos):
            pos = ws.match(text, pos + 1).end()
        elif text.startswith("]", pos):
            return
        else:
            raise LayoutError(f"{path}:{line_at(pos)}: malformed JSON array (expected ',' or ']')")


def _require_str(record: dict, key: str, path: Path, line: int, *, default: str | None = None) -> str:
    value = record.get(key, default)
    if value is None:
        raise LayoutError(f"{path}:{line}: missing field {key!r}")
    if not isinstance(value, str):
        raise LayoutError(f"{path}:{line}: field {key!r} must be a string, got {type(value).__name__}")
    return value


def read_charts(split: SourceSplit, require_scripts: bool = True) -> list[Chart]:
    """Read and check ``plot_info`` of one split: ids unique, every script present (unless not
    ``require_scripts``: evaluation reads the released images, and their code may be gone)."""
    charts: list[Chart] = []
    seen: dict[str, int] = {}
    for line, record in iter_json_records(split.plot_info):
        chart_id = _require_str(record, "id", split.plot_info, line)
        code_rel = _require_str(record, "code", split.plot_info, line)
        if chart_id in seen:
            raise LayoutError(f"{split.plot_info}:{line}: duplicate chart id {chart_id!r} (first on line {seen[chart_id]})")
        seen[chart_id] = line
        code_path = (split.root / code_rel).resolve()
        if require_scripts and not code_path.is_file():
            raise LayoutError(f"{split.plot_info}:{line}: chart {chart_id!r}: script {code_rel!r} not found in {split.root}")
        meta = {k: _require_str(record, k, split.plot_info, line, default="") for k in CHART_FIELDS}
        extra = {k: v for k, v in record.items() if k not in ("id", "code", "image", *CHART_FIELDS)}
        image = "" if record.get("image") is None else _require_str(record, "image", split.plot_info, line)
        charts.append(Chart(chart_id, code_path, extra=extra, where=f"{split.plot_info}:{line}", image=image, **meta))
    if not charts:
        raise LayoutError(f"{split.plot_info}: no charts listed")
    return charts


def read_code(chart: Chart) -> str:
    """The chart's script as text; a script that is not UTF-8 is a :class:`LayoutError`."""
    data = chart.code_path.read_bytes()
    try:
        chart.code = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LayoutError(
            f"{chart.code_path}:{line}: chart {chart.id!r} (listed at {chart.where}): script is not valid UTF-8 ({exc.reason})"
        ) from None
    return chart.code


# the keys of a Q&A record that QA's own fields hold as they are (QA.extra keeps every other one)
QA_RECORD_KEYS = ("data_id", "plot_id", "question", "answer", "QA_type", "QA_model")


def read_qa(split: SourceSplit, chart_ids: set[str]) -> list[QA]:
    """Read and check the split's Q&A file: every record names a chart of ``plot_info``."""
    assert split.qa_file is not None
    return _read_qa_file(split.qa_file, chart_ids, split.plot_info)


def _read_qa_file(path: Path, chart_ids: set[str], charts_from: Path) -> list[QA]:
    qas: list[QA] = []
    counts: dict[str, int] = {}
    seen: dict[str, int] = {}
    for line, record in iter_json_records(path):
        chart_id = _require_str(record, "plot_id", path, line)
        if chart_id not in chart_ids:
            raise LayoutError(f"{path}:{line}: Q&A names chart {chart_id!r}, which is not in {charts_from}")
        counts[chart_id] = counts.get(chart_id, 0) + 1
        qa_id = str(record.get("data_id") or f"{chart_id}-qa-{counts[chart_id]:02d}")
        if qa_id in seen:
            raise LayoutError(f"{path}:{line}: duplicate Q&A id {qa_id!r} (first on line {seen[qa_id]})")
        seen[qa_id] = line
        qas.append(
            QA(
                id=qa_id,
                chart_id=chart_id,
                question=_require_str(record, "question", path, line),
                answer=_require_str(record, "answer", path, line),
                qa_type=_require_str(record, "QA_type", path, line, default=""),
                qa_model=_require_str(record, "QA_model", path, line, default=""),
                concise_answer=record.get("concise_answer") if isinstance(record.get("concise_answer"), str) else None,
                check_verdicts=json.dumps(record["checks"], ensure_ascii=False, sort_keys=True)
                if record.get("checks") else None,
                extra={k: v for k, v in record.items() if k not in QA_RECORD_KEYS},
            )
        )
    return qas


def _plot_info_in(folder: Path) -> Path | None:
    for name in PLOT_INFO_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def qa_file_in(folder: Path) -> Path | None:
    """The folder's Q&A file (``instruction_data*.json[l]``), or None; several are an error."""
    found = sorted({p for pattern in QA_GLOBS for p in folder.glob(pattern) if p.is_file()})
    if len(found) > 1:
        # The released test split ships a 2k subset beside the full file; prefer the file whose
        # name says how many records it has only when it is the unique such file.
        sized = [p for p in found if re.search(r"_\d+k?\.jsonl?$", p.name)]
        if len(sized) == 1:
            return sized[0]
        raise LayoutError(f"{folder}: several Q&A files ({', '.join(p.name for p in found)}); keep one")
    return found[0] if found else None


def split_name_of(folder: Path) -> str:
    name = folder.name
    return name[len(SPLIT_PREFIX):] if name.startswith(SPLIT_PREFIX) else "train"


def find_splits(data_dir: str | Path, split: str | None = None) -> list[SourceSplit]:
    """The split folders under ``data_dir``.

    ``data_dir`` is either a ReachQA ``data/`` root (subfolders ``reachqa_<split>/`` with a
    ``plot_info.jsonl``) or one split folder. For a root, ``split`` selects one split; for a split
    folder it names the split (default: the folder name without ``reachqa_``, else ``train``).
    """
    root = Path(data_dir).expanduser()
    if not root.exists():
        raise LayoutError(f"{root}: no such directory")
    if not root.is_dir():
        raise LayoutError(f"{root}: not a directory")
    own = _plot_info_in(root)
    if own is not None:
        name = split or split_name_of(root.resolve())
        return [SourceSplit(name, root, own, qa_file_in(root))]
    splits = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(SPLIT_PREFIX)):
        info = sub / "plot_info.jsonl"  # the seed folder's plot_info.json is a different kind of list
        if info.is_file():
            splits.append(SourceSplit(split_name_of(sub), sub, info, qa_file_in(sub)))
    if not splits:
        raise LayoutError(
            f"{root}: neither a split folder (no plot_info.jsonl) nor a ReachQA data root (no reachqa_<split>/plot_info.jsonl)"
        )
    if split is not None:
        chosen = [s for s in splits if s.name == split]
        if not chosen:
            raise LayoutError(f"{root}: no split {split!r}; found {', '.join(s.name for s in splits)}")
        return chosen
    return splits


# the chart fields each released Q&A record repeats, and their names in plot_info
_QA_CHART_FIELDS = {"plot_level": "level", "plot_model": "plot_model", "major_chart_type": "major_chart_type",
                    "minor_chart_type": "minor_chart_type", "image": "image"}


def read_qa_folder(folder: str | Path) -> tuple[SourceSplit, dict[str, Chart], list[QA]]:
    """One split folder read for evaluation: ``(split, charts by id, Q&A)``.

    The charts come from ``plot_info.jsonl`` when the folder has one (their scripts need not be
    there), else from the chart fields each released Q&A record repeats (``plot_id``, ``code``,
    ``image``, ``plot_level``, ``plot_model``, ``major_chart_type``, ``minor_chart_type``); then
    ``split.plot_info`` is the Q&A file itself. A folder without a Q&A file is a :class:`LayoutError`.
    """
    root = Path(folder).expanduser()
    qa_file = qa_file_in(root) if root.is_dir() else None
    if qa_file is None:
        raise LayoutError(f"{root}: no Q&A file ({' or '.join(QA_GLOBS)})")
    name = split_name_of(root.resolve())
    info = _plot_info_in(root)
    if info is not None:
        split = SourceSplit(name, root, info, qa_file)
        charts = {c.id: c for c in read_charts(split, require_scripts=False)}
    else:
        split = SourceSplit(name, root, qa_file, qa_file)
        charts = {}
        for line, record in iter_json_records(qa_file):
            chart_id = _require_str(record, "plot_id", qa_file, line)
            if chart_id not in charts:
                meta = {field_name: _require_str(record, key, qa_file, line, default="")
                        for key, field_name in _QA_CHART_FIELDS.items()}
                code = _require_str(record, "code", qa_file, line, default="")
                charts[chart_id] = Chart(chart_id, (root / code).resolve() if code else root / "",
                                         where=f"{qa_file}:{line}", **meta)
    return split, charts, _read_qa_file(qa_file, set(charts), split.plot_info)
