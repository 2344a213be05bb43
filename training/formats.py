"""Conversation files people have, read into one table: JSON / JSONL with images relative to the file.

Each record is recognised by its keys:

- LLaVA: ``image`` (a path or a list), ``conversations`` of ``{"from": "human"|"gpt"|"system", "value"}``
  with ``<image>`` where the image goes;
- messages (ms-swift, TRL): ``messages`` of ``{"role", "content"}`` (a string with ``<image>``, or a
  list of ``{"type": "image"}`` / ``{"type": "text", "text"}`` parts) and ``images``;
- ms-swift 2.x (the authors' ``instruction_data_20k_swift_*.json``): ``query``, ``response``, ``images``, optional
  ``history`` (earlier ``[query, response]`` pairs) and ``system``; taken as written (no prompt suffix added);
- flat: ``image``, ``question``, ``answer`` (the column flags name other keys);
- released ReachQA Q&A (``instruction_data_*.json``): flat records whose ``image`` does not exist yet
  and whose ``code`` script is rendered through the builder (``reachqa_builder.render``) first.

The result has three columns: ``images`` (absolute paths), ``messages`` (the turns as JSON, images
marked ``<image>`` in the text) and ``source`` (``file#record``). Conversations may have several
turns (every assistant turn is trained) and several images, all in the first user turn. A bad
record is an error naming the file and the record.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import datasets

from reachqa_builder.fileio import iter_jsonl, read_json

IMAGE_MARK = "<image>"
LLAVA_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}
FILE_SUFFIXES = (".json", ".jsonl")


class RecordError(ValueError):
    """A record of a conversation file that cannot be trained on."""


def is_conversation_file(path: str) -> bool:
    return path.endswith(FILE_SUFFIXES) and os.path.isfile(path)


def read_records(path: Path) -> list:
    """The records of a JSON list file or a JSON-lines file (:mod:`reachqa_builder.fileio`)."""
    try:
        if path.suffix == ".jsonl":
            return list(iter_jsonl(path))
        data = read_json(path)
    except ValueError as exc:
        raise RecordError(str(exc)) from exc
    if not isinstance(data, list):
        raise RecordError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return data


def _text(content) -> tuple[str, int]:
    """Message content as text with <image> marks, and how many image parts it had."""
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        raise RecordError(f"content is {type(content).__name__}, expected a string or a list of parts")
    out, images = [], 0
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("image", "image_url"):
            out.append(IMAGE_MARK + "\n")
            images += 1
        elif kind == "text":
            out.append(part.get("text", ""))
        else:
            raise RecordError(f"content part {part!r} is neither text nor image")
    return "".join(out), images


def record_conversation(record, data_args) -> tuple[list[str], list[dict], bool, str | None]:
    """(image references, turns, whether the prompt suffix applies, chart script to render) of one record."""
    if not isinstance(record, dict):
        raise RecordError(f"a record must be a JSON object, got {type(record).__name__}")
    if "conversations" in record:  # LLaVA
        images = record.get("image") or record.get("images") or []
        turns = []
        for t in record["conversations"]:
            role = LLAVA_ROLES.get(t.get("from")) if isinstance(t, dict) else None
            if role is None:
                raise RecordError(f"turn {t!r}: 'from' must be one of {', '.join(LLAVA_ROLES)}")
            turns.append({"role": role, "content": t.get("value", "")})
        return ([images] if isinstance(images, str) else list(images)), turns, False, None
    if "messages" in record:  # ms-swift / TRL
        images = record.get("images") or record.get("image") or []
        turns = []
        for t in record["messages"]:
            if not isinstance(t, dict) or t.get("role") not in ("system", "user", "assistant"):
                raise RecordError(f"message {t!r}: role must be system, user or assistant")
            text, _ = _text(t.get("content", ""))
            turns.append({"role": t["role"], "content": text})
        images = [im.get("path") or im.get("url") if isinstance(im, dict) else im
                  for im in ([images] if isinstance(images, (str, dict)) else images)]
        return list(images), turns, False, None
    if "query" in record and "response" in record:  # ms-swift 2.x
        turns = [{"role": "system", "content": record["system"]}] if record.get("system") else []
        for pair in record.get("history") or []:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
                raise RecordError(f"history entry {pair!r}: expected [query, response]")
            turns += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
        turns += [{"role": "user", "content": record["query"]}, {"role": "assistant", "content": record["response"]}]
        images = record.get("images") or []
        return ([images] if isinstance(images, str) else list(images)), turns, False, None
    keys = (data_args.image_column, data_args.question_column, data_args.answer_column)
    missing = [k for k in keys if k not in record]
    if missing:
        raise RecordError(f"no 'conversations' (LLaVA), 'messages' (ms-swift/TRL), 'query'/'response' (ms-swift 2) "
                          f"or flat "
                          f"{'/'.join(keys)} keys (missing {', '.join(missing)}); keys: {', '.join(record)}")
    image, question, answer = (record[k] for k in keys)
    turns = [{"role": "user", "content": f"{IMAGE_MARK}\n{question}"}, {"role": "assistant", "content": answer}]
    return [image], turns, True, record.get("code")


def check_turns(turns: list[dict], n_images: int) -> list[dict]:
    """Validate roles, texts and image marks; images without a mark go to the start of the first user turn."""
    body = turns[1:] if turns and turns[0]["role"] == "system" else turns
    if not body or body[0]["role"] != "user" or body[-1]["role"] != "assistant":
        raise RecordError("a conversation must start with a user turn and end with an assistant turn")
    for a, b in zip(body, body[1:]):
        if a["role"] == b["role"]:
            raise RecordError(f"two {a['role']} turns in a row")
    for t in turns:
        if not isinstance(t["content"], str) or (t["role"] == "assistant" and not t["content"].strip()):
            raise RecordError(f"{t['role']} turn without text")
    marks = [t["content"].count(IMAGE_MARK) for t in turns]
    first_user = turns.index(body[0])
    if sum(marks) == 0 and n_images:
        turns = [dict(t) for t in turns]
        turns[first_user]["content"] = IMAGE_MARK * n_images + "\n" + turns[first_user]["content"]
    elif sum(marks) != n_images:
        raise RecordError(f"{sum(marks)} {IMAGE_MARK} mark(s) for {n_images} image(s)")
    elif any(m for i, m in enumerate(marks) if i != first_user):
        raise RecordError(f"images are supported in the first user turn only (turn {first_user + 1}); "
                          "this record has them in a later turn")
    return turns


def render_missing(scripts: dict[str, Path], data_args) -> dict[str, str]:
    """Render released ReachQA chart scripts through the builder; return script path -> image path."""
    from reachqa_builder.render import render_scripts

    from reachqa_builder.paths import reachqa_home

    out_dir = Path(data_args.render_dir).expanduser() if data_args.render_dir else reachqa_home() / "training-renders"
    ids = {str(path): f"{path.parent.parent.name}-{path.stem}" for path in scripts.values()}
    records = render_scripts({ids[str(p)]: p.read_text(encoding="utf-8") for p in scripts.values()}, out_dir,
                             env=data_args.render_env, progress=False, desc="rendering ReachQA charts")
    by_id = {r.id: r for r in records}
    result = {}
    for key, path in scripts.items():
        record = by_id[ids[str(path)]]
        if record.status == "ok":
            result[key] = record.image
    return result


def load_conversation_file(path: str, data_args) -> datasets.Dataset:
    """Read one JSON / JSONL file into the ``images`` / ``messages`` / ``source`` table."""
    file = Path(path).resolve()
    base = file.parent
    rows = {"images": [], "messages": [], "source": [], "add_suffix": []}
    to_render: dict[str, Path] = {}
    pending = []
    for i, record in enumerate(read_records(file)):
        where = f"{file} record {i}"
        try:
            images, turns, add_suffix, code = record_conversation(record, data_args)
            resolved = []
            for im in images:
                if not isinstance(im, str) or not im:
                    raise RecordError(f"image reference {im!r} is not a path")
                p = Path(im) if os.path.isabs(im) else base / im
                if not p.is_file() and code:
                    script = (base / code).resolve()
                    if not script.is_file():
                        raise RecordError(f"image {im!r} does not exist and its chart script {code!r} neither")
                    to_render[str(p)] = script
                resolved.append(str(p))
            turns = check_turns(turns, len(resolved))
        except RecordError as exc:
            raise RecordError(f"{where}: {exc}") from None
        pending.append((resolved, turns, add_suffix, f"{file.name}#{i}"))
    rendered = render_missing(to_render, data_args) if to_render else {}
    for resolved, turns, add_suffix, source in pending:
        # an image whose script failed to render stays a missing file: counted as a bad image later
        rows["images"].append([rendered.get(p, p) for p in resolved])
        rows["messages"].append(json.dumps(turns, ensure_ascii=False))
        rows["source"].append(source)
        rows["add_suffix"].append(add_suffix)
    if not rows["source"]:
        raise RecordError(f"{file}: no records")
    return datasets.Dataset.from_dict(rows)
