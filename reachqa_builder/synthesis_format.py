"""The synthesis output folder (what ``reachqa synthesize`` writes): its one reader.

A synthesis output folder holds, beside the ReachQA layout (``plot_info.jsonl``, ``code/``,
``images/``, the Q&A file; read by :mod:`reachqa_builder.layout`)::

    summary.json              kept and dropped items per stage and reason, Q&A pairs dropped, output counts, API use
    work/<stage>.jsonl        one journal per stage (``self_instruct.jsonl`` ... ``check.jsonl``)
    work/run-<mode>.json      the settings of each run (mode: ``full`` or the stage run alone)
    work/api/usage.jsonl      one line per model call a run really made: stage, model, tokens

A **journal** is append-only JSON Lines, one whole line per finished item
(``{"id", "status": "ok" | "dropped", "reason", "detail", ...}``). The last record of an id wins. A
last line without its newline is a write cut off by a crash and is ignored; any other line that is
not a record is damage, and reading stops with :class:`JournalFormatError` naming the file and line
(nothing is skipped silently). Readers stream: memory holds ids and offsets, never the records.

``synthesis`` is the writer (``synthesis.journal.Journal`` appends with :func:`encode_record`,
``synthesis.pipeline`` writes the summary and run records with :func:`write_summary` and
:func:`write_run_record`); the viewer, the dataset card and synthesis's own resume, output and cost
estimate read through this module::

    from reachqa_builder import synthesis_format as sf
    for rec in sf.iter_records(sf.journal_path(out / "work", "check"), "ok"):
        ...
    sf.read_summary(out)["stages"]["rate"]["dropped"]      # {"low_rating": 3}
    sf.read_protocol(out)["min_rating"]                       # 3.75

**Protocol keys** (:data:`PROTOCOL_KEYS`) are the run settings that define how the data was made; the
dataset card shows them. Every other setting of a run record is listed, with the reason it is
not protocol, in :data:`NOT_PROTOCOL` (``tests/reachqa_builder/test_synthesis_format.py`` fails on a
setting that is in neither).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from .fileio import atomic_write_text, iter_jsonl
from .render.settings import RenderSettings

__all__ = ["STAGES", "JOURNAL_NAMES", "SUMMARY_FILE", "WORK_DIR", "JournalFormatError", "journal_path",
           "encode_record", "scan_index", "read_at", "iter_records", "read_records", "JournalReader", "record_code",
           "is_synthesis_output", "read_summary", "write_summary", "run_record_path", "write_run_record",
           "read_run_records", "read_protocol", "USAGE_FILE", "usage_by_stage", "PROTOCOL_KEYS", "MODEL_KEYS",
           "NOT_PROTOCOL", "Provenance", "pairs_dropped"]

# the journaled stages, in pipeline order (``output`` writes the layout and has no journal)
STAGES = ("self-instruct", "evol-instruct", "execute", "rate", "qa", "check")
JOURNAL_NAMES = {stage: f"{stage.replace('-', '_')}.jsonl" for stage in STAGES}
WORK_DIR = "work"
SUMMARY_FILE = "summary.json"
RUN_RECORD_GLOB = "run-*.json"
USAGE_FILE = "api/usage.jsonl"  # under work/, beside the Batch API's own journals

Index = dict[str, tuple[int, int, str]]  # id -> (offset, length, status) of its last record


class JournalFormatError(ValueError):
    """A journal, summary or run record that is not what synthesis writes; the message names the file."""


def journal_path(work: str | os.PathLike, stage: str) -> Path:
    """``work/<stage>.jsonl``: the journal of ``stage`` in a run's ``work`` folder."""
    if stage not in JOURNAL_NAMES:
        raise ValueError(f"unknown synthesis stage {stage!r}; journaled stages: {', '.join(STAGES)}")
    return Path(work) / JOURNAL_NAMES[stage]


# -- journals ------------------------------------------------------------------------------

def encode_record(record: dict[str, Any]) -> bytes:
    """One journal line (UTF-8 JSON and its newline); a record needs an ``id``."""
    if "id" not in record:
        raise ValueError("journal records need an 'id'")
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def _where(fh: BinaryIO, lineno: int) -> str:
    return f"{getattr(fh, 'name', 'journal')}:{lineno}"


def scan_index(fh: BinaryIO) -> tuple[Index, int]:
    """``({id: (offset, length, status)}, good bytes)`` of a journal opened in binary mode, streamed
    line by line. ``good bytes`` ends before a torn last line (one without its newline); a whole
    line that is not a JSON object with an ``id`` raises :class:`JournalFormatError`."""
    index: Index = {}
    good = 0
    for lineno, line in enumerate(fh, 1):
        if not line.endswith(b"\n"):
            break  # torn last line from a killed writer
        if line.strip():
            try:
                rec = json.loads(line)
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                raise JournalFormatError(f"{_where(fh, lineno)}: damaged journal line ({exc}); the records after "
                                         f"it were not read: repair or remove the line and run again") from None
            if not isinstance(rec, dict) or "id" not in rec:
                raise JournalFormatError(f"{_where(fh, lineno)}: not a journal record (a JSON object with an 'id')")
            index[str(rec["id"])] = (good, len(line), str(rec.get("status", "")))
        good += len(line)
    return index, good


def read_at(fh: BinaryIO, entry: tuple[int, int, str]) -> dict[str, Any]:
    """The record an index entry points at (``fh`` open in binary mode)."""
    fh.seek(entry[0])
    return json.loads(fh.read(entry[1]))


def iter_records(path: str | os.PathLike, status: str | None = None) -> Iterator[dict[str, Any]]:
    """The last record of every id in file order of first appearance (optionally only those with
    ``status``), read one at a time; a missing journal has none."""
    with JournalReader(path) as reader:
        for item_id in reader.ids(status):
            yield reader.get(item_id)


def read_records(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """``{id: last record}`` of a journal; for small journals (prefer :func:`iter_records`)."""
    return {str(r["id"]): r for r in iter_records(path)}


class JournalReader:
    """A journal opened for reading: its index in memory, each record read from the file when asked
    for. A missing file is an empty journal. Use as a context manager (it holds the file open)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fh: BinaryIO | None = open(self.path, "rb") if self.path.exists() else None
        self.index: Index = scan_index(self._fh)[0] if self._fh is not None else {}

    def ids(self, status: str | None = None) -> list[str]:
        return [i for i, e in self.index.items() if status is None or e[2] == status]

    def status(self, item_id: str) -> str | None:
        """The status of an id's last record (None: not in the journal), without reading the record."""
        entry = self.index.get(item_id)
        return None if entry is None else entry[2]

    def get(self, item_id: str) -> dict[str, Any] | None:
        entry = self.index.get(item_id)
        return None if entry is None else read_at(self._fh, entry)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self.index

    def __len__(self) -> int:
        return len(self.index)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()

    def __enter__(self) -> "JournalReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def record_code(record: dict[str, Any], root: str | os.PathLike) -> str | None:
    """The chart script of a journal record: its ``code``, or the file its ``code_file`` names
    (relative to the output folder ``root``; journals store code this way since scripts are
    content-addressed under ``work/code/``). ``None`` when the record has neither; a named file
    that is missing is an error naming it."""
    if "code" in record:
        return record["code"]
    if "code_file" not in record:
        return None
    path = Path(root) / record["code_file"]
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JournalFormatError(f"{path}: the chart script of {record.get('id', '?')!r} cannot be read "
                                 f"({exc.strerror or exc})") from None


# -- the folder, its summary and run records --------------------------------------------------

def is_synthesis_output(folder: str | os.PathLike) -> bool:
    """A folder with ``summary.json``, or a ``work/`` folder holding a stage journal."""
    folder = Path(folder)
    return (folder / SUMMARY_FILE).is_file() or any((folder / WORK_DIR / n).is_file() for n in JOURNAL_NAMES.values())


def _read_object(path: Path, what: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JournalFormatError(f"{path}: not a synthesis {what} ({exc})") from None
    if not isinstance(value, dict):
        raise JournalFormatError(f"{path}: not a synthesis {what} (expected a JSON object)")
    return value


def read_summary(folder: str | os.PathLike) -> dict[str, Any] | None:
    """``summary.json`` of a synthesis output folder (``stages``: ``{stage: {"ok", "dropped": {reason:
    n}}}``, ``qa_pairs_dropped``, ``output``, ``target_charts``, ``api``, ...); ``None`` without one."""
    path = Path(folder) / SUMMARY_FILE
    if not path.is_file():
        return None
    summary = _read_object(path, "summary")
    unknown = [s for s in summary.get("stages") or {} if s not in STAGES]
    if unknown:
        raise JournalFormatError(f"{path}: unknown stage(s) {', '.join(map(repr, unknown))} (stages: {', '.join(STAGES)})")
    return summary


def write_summary(folder: str | os.PathLike, summary: dict[str, Any]) -> Path:
    return atomic_write_text(Path(folder) / SUMMARY_FILE, json.dumps(summary, indent=1) + "\n")


def run_record_path(work: str | os.PathLike, mode: str) -> Path:
    return Path(work) / f"run-{mode}.json"


def write_run_record(work: str | os.PathLike, mode: str, settings: dict[str, Any]) -> Path:
    """``work/run-<mode>.json``: the settings of a run. Every protocol key must be there (a renamed
    setting would otherwise vanish from every card)."""
    missing = [k for k in PROTOCOL_KEYS if k not in settings]
    if missing:
        raise ValueError(f"run record without the protocol setting(s) {', '.join(missing)}: the record format "
                         f"(reachqa_builder.synthesis_format.PROTOCOL_KEYS) and the settings disagree")
    return atomic_write_text(run_record_path(work, mode), json.dumps(settings, indent=1, default=str) + "\n")


def read_run_records(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """The run records of an output folder (``work/run-*.json``), in name order."""
    return [_read_object(p, "run record") for p in sorted((Path(folder) / WORK_DIR).glob(RUN_RECORD_GLOB))]


def read_protocol(folder: str | os.PathLike) -> dict[str, Any]:
    """The protocol settings and models of the runs that made a folder (later runs win; a setting
    left unset, None, is not shown)."""
    protocol: dict[str, Any] = {}
    for settings in read_run_records(folder):
        protocol.update({k: settings[k] for k in PROTOCOL_KEYS if settings.get(k) is not None})
        protocol.update({k: settings[k] for k in MODEL_KEYS if settings.get(k)})
    return protocol


def usage_by_stage(work: str | os.PathLike) -> dict[tuple[str, str], dict[str, int]]:
    """``{(stage, model): {"requests", "prompt_tokens", "completion_tokens"}}`` of the usage log in
    ``work`` (cached replies cost nothing and are not logged); a torn last line is ignored."""
    path = Path(work) / USAGE_FILE
    totals: dict[tuple[str, str], dict[str, int]] = {}
    if not path.exists():
        return totals
    for rec in iter_jsonl(path, what="usage log", torn_tail_ok=True):
        t = totals.setdefault((rec["stage"], rec["model"]), {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0})
        t["requests"] += 1
        t["prompt_tokens"] += int(rec.get("prompt_tokens") or 0)
        t["completion_tokens"] += int(rec.get("completion_tokens") or 0)
    return totals


# -- the published names of a run record ------------------------------------------------------

# settings that define how the data was made (shown on the dataset card, in this order)
PROTOCOL_KEYS = ("prompt_version", "mode", "protocol", "num_charts", "max_attempts_factor", "num_demos", "evolve_ratio",
                 "temperature", "top_p", "max_tokens", "rater_temperature", "max_fixes", "min_rating", "qa_per_type",
                 "dedup_threshold", "reject_threshold", "reject_rule", "replies", "failed_rater", "unextracted",
                 "schema_retries", "structured", "lint_action", "drop_contradicted", "drop_near_duplicates",
                 "drop_near_duplicate_questions", "near_duplicate_question_scope", "seed", "render_env")
# the models, shown with the protocol (the Q&A model is read per chart, from its provenance)
MODEL_KEYS = ("model", "rater_model")

# every other setting a run record holds, and why it does not change what a run makes
_RENDER_RESOURCES = tuple(f"render_{f.name}" for f in dataclasses.fields(RenderSettings) if f.name not in ("env", "dpi"))
NOT_PROTOCOL: dict[str, tuple[str, ...]] = {
    "where data and seeds are": ("out", "data_dir", "seed_dir", "pilot", "id_prefix"),
    "servers (keys are never recorded)": ("base_url", "qa_base_url", "rater_base_url"),
    "the Q&A model, recorded per chart": ("qa_model",),
    "throughput and patience: requests in flight, limits, retries, timeouts, the reply cache":
        ("concurrency", "rpm", "tpm", "timeout", "max_retries", "timeout_retries", "notice_after", "backoff_base",
         "backoff_max", "no_cache"),
    "the Batch API (same requests, sent in batches)": ("batch", "batch_window", "batch_max_requests", "batch_poll"),
    "the renderer's resources (workers, time and memory limits, cache)": _RENDER_RESOURCES,
    "the terminal and the cost estimate (nothing is sent)": ("progress", "estimate", "price"),
}


# -- a chart's provenance -------------------------------------------------------------------

class Provenance:
    """Keys of a chart's ``provenance`` (journal records and ``plot_info.jsonl``) that readers use."""

    PLOT_MODEL = "plot_model"              # the model that wrote the code (also a plot_info column)
    QA_MODEL = "qa_model"                  # the model that wrote the Q&A
    RATER_SCORES = "rater_scores"          # {rater model: score}
    RENDER_ENV = "render_env"              # the render environment of the image
    QA_DUPLICATES = "qa_duplicates_dropped"            # questions dropped by ROUGE-L (qa stage)
    QA_NEAR_DUPLICATES = "qa_near_duplicates_dropped"  # ... by --drop-near-duplicate-questions (qa stage)
    QA_REJECTED = "qa_rejected"            # pairs the raters rejected (check stage)


_PAIR_DROPS = {"qa": {"qa:duplicate": Provenance.QA_DUPLICATES, "qa:near_duplicate": Provenance.QA_NEAR_DUPLICATES},
               "check": {"check:rejected": Provenance.QA_REJECTED}}


def pairs_dropped(stage: str, record: dict[str, Any]) -> dict[str, int]:
    """The Q&A pairs an ok record of ``stage`` dropped, by ``stage:reason`` (a count the record
    does not have is absent; a zero is kept)."""
    prov = record.get("provenance") or {}
    return {reason: int(prov[key]) for reason, key in _PAIR_DROPS.get(stage, {}).items() if key in prov}
