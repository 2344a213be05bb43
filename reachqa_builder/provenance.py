"""Where a built split came from, as recorded on the dataset card.

* :func:`render_record`: the render environment (name, fingerprint, the lock of ``faithful``,
  matplotlib of ``current``) and resolution;
* :func:`synthesis_record`: for a folder written by ``reachqa synthesize`` (it has
  ``summary.json``), the models (from the provenance in ``plot_info.jsonl``), the protocol (the
  run's settings in ``work/run-*.json``) and the counts kept and dropped by reason per stage, read
  through :mod:`reachqa_builder.synthesis_format`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .layout import LayoutError, iter_json_records
from .synthesis_format import JournalFormatError, Provenance, read_protocol, read_summary

__all__ = ["render_record", "synthesis_record"]


def __getattr__(name: str):
    if name == "PROTOCOL_KEYS":  # declared by the format since the synthesis formats got one reader
        from .moved import moved_name

        return moved_name(__name__, name, "reachqa_builder.synthesis_format")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render_record(env: str, dpi: int) -> dict:
    """The render environment of a build, without creating it."""
    from .render import envs

    record: dict = {"env": env, "dpi": dpi}
    if env == "faithful":
        record["fingerprint"] = f"faithful-{envs.lock_hash()}"
        record["lock"] = f"{envs.LOCK_FILE.name} sha256:{envs.lock_hash()}"
    else:
        import matplotlib

        record["fingerprint"] = envs._current_fingerprint()
        record["matplotlib"] = matplotlib.__version__
    return record


def synthesis_record(split_root: str | Path) -> dict | None:
    """Models, protocol and counts of a synthesis output folder; ``None`` if it has no ``summary.json``."""
    root = Path(split_root)
    try:
        summary = read_summary(root)
        if summary is None:
            return None
        protocol = read_protocol(root)
    except JournalFormatError as exc:
        raise LayoutError(str(exc)) from None
    roles: dict[str, Counter] = {"chart code": Counter(), "Q&A": Counter(), "image raters": Counter(),
                                 "Q&A checkers": Counter()}
    info = root / "plot_info.jsonl"
    if info.is_file():
        for _, rec in iter_json_records(info):
            prov = rec.get("provenance") or {}
            if rec.get(Provenance.PLOT_MODEL):
                roles["chart code"][rec[Provenance.PLOT_MODEL]] += 1
            if prov.get(Provenance.QA_MODEL):
                roles["Q&A"][prov[Provenance.QA_MODEL]] += 1
            roles["image raters"].update(list(prov.get(Provenance.RATER_SCORES) or {}))
    qa_files = sorted(root.glob("instruction_data*.json"))
    if len(qa_files) == 1:
        for _, rec in iter_json_records(qa_files[0]):
            roles["Q&A checkers"].update(list(rec.get("checks") or {}))
    return {
        "models": {role: dict(c.most_common()) for role, c in roles.items() if c},
        "protocol": protocol,
        "stages": summary.get("stages") or {},
        "qa_pairs_dropped": summary.get("qa_pairs_dropped") or {},
        "output": summary.get("output") or {},
    }
