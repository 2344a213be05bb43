"""Where a built split came from, as recorded on the dataset card.

* :func:`render_record`: the render environment (name, fingerprint, the lock of ``faithful``,
  matplotlib of ``current``) and resolution;
* :func:`synthesis_record`: for a folder written by ``reachqa synthesize`` (it has
  ``summary.json``), the models (from the provenance in ``plot_info.jsonl``), the protocol (the
  run's settings in ``work/run-*.json``) and the counts kept and dropped by reason per stage.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .layout import LayoutError, iter_json_records

# settings of a synthesis run that define its protocol (see synthesis/config.py); paths, keys,
# endpoints and concurrency knobs are left out
# (a setting left unset, None, is not shown)
PROTOCOL_KEYS = ("prompt_version", "mode", "protocol", "num_charts", "max_attempts_factor", "num_demos", "evolve_ratio",
                 "temperature", "top_p", "max_tokens", "rater_temperature", "max_fixes", "min_rating", "qa_per_type",
                 "dedup_threshold", "reject_threshold", "reject_rule", "replies", "failed_rater", "unextracted",
                 "schema_retries", "structured", "lint_action", "drop_contradicted", "drop_near_duplicates",
                 "drop_near_duplicate_questions", "near_duplicate_question_scope", "seed", "render_env")


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
    summary_path = root / "summary.json"
    if not summary_path.is_file():
        return None
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LayoutError(f"{summary_path}: not a synthesis summary ({exc})") from None
    if not isinstance(summary, dict):
        raise LayoutError(f"{summary_path}: not a synthesis summary (expected a JSON object)")
    roles: dict[str, Counter] = {"chart code": Counter(), "Q&A": Counter(), "image raters": Counter(),
                                 "Q&A checkers": Counter()}
    info = root / "plot_info.jsonl"
    if info.is_file():
        for _, rec in iter_json_records(info):
            prov = rec.get("provenance") or {}
            if rec.get("plot_model"):
                roles["chart code"][rec["plot_model"]] += 1
            if prov.get("qa_model"):
                roles["Q&A"][prov["qa_model"]] += 1
            roles["image raters"].update(list(prov.get("rater_scores") or {}))
    qa_files = sorted(root.glob("instruction_data*.json"))
    if len(qa_files) == 1:
        for _, rec in iter_json_records(qa_files[0]):
            roles["Q&A checkers"].update(list(rec.get("checks") or {}))
    protocol = {}
    for run in sorted((root / "work").glob("run-*.json")):
        try:
            settings = json.loads(run.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise LayoutError(f"{run}: not a synthesis run record ({exc})") from None
        protocol.update({k: settings[k] for k in PROTOCOL_KEYS if settings.get(k) is not None})
        for k in ("model", "rater_model"):
            if settings.get(k):
                protocol[k] = settings[k]
    return {
        "models": {role: dict(c.most_common()) for role, c in roles.items() if c},
        "protocol": protocol,
        "stages": summary.get("stages") or {},
        "qa_pairs_dropped": summary.get("qa_pairs_dropped") or {},
        "output": summary.get("output") or {},
    }
