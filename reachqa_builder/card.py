"""The dataset card of a built ReachQA folder, and of the Hub repository it is pushed to.

A card is YAML metadata plus Markdown. The metadata holds what ``datasets`` reads (``configs:``
with the data files of each split, ``dataset_info`` with features and row counts), what the Hub
shows (license, task categories, size category) and, under ``reachqa:``, one build record per
``<config>/<split>`` (reachqa version, render environment and its lock, the source, and for
synthetic splits the synthesis models, protocol and drop counts).

Cards are *merged*, never rewritten from scratch: :func:`merge_card` takes the existing card (the
folder's, or the Hub repository's) and the entries of the splits being written, replaces those
entries and keeps every other config, split, build record and top-level key. The Markdown between
:data:`BEGIN` and :data:`END` is regenerated from the merged metadata; prose outside those markers
(written by a person on the Hub, say) is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import datasets
from huggingface_hub import DatasetCard, DatasetCardData

from .release import CITATION, REACHQA_COMMIT, REACHQA_REPO
from .features import COLUMN_DESCRIPTIONS, DESCRIPTIONS

BEGIN = "<!-- reachqa: generated part, rewritten by `reachqa build` and `reachqa push` -->"
END = "<!-- reachqa: end of generated part -->"
META_KEY = "reachqa"
LICENSE = "mit"  # the license of the released ReachQA data
TASK_CATEGORIES = ["visual-question-answering", "image-text-to-text"]
PAPER_URL = "https://arxiv.org/abs/2410.18798"


class CardConflict(ValueError):
    """The splits being written cannot be merged into the existing card (e.g. other columns)."""


@dataclass
class SplitEntry:
    """What a card says about one split: rows, bytes, columns (``datasets`` YAML list), build record."""

    config: str
    split: str
    num_examples: int
    num_bytes: int
    features: list
    build: dict | None = None

    @property
    def key(self) -> str:
        return f"{self.config}/{self.split}"


@dataclass
class CardMeta:
    """The parts of a card's metadata that reachqa maintains, keyed by config (order kept)."""

    configs: dict[str, dict] = field(default_factory=dict)  # config -> {"config_name", "data_files", ["default"]}
    infos: dict[str, dict] = field(default_factory=dict)  # config -> dataset_info entry
    builds: dict[str, dict] = field(default_factory=dict)  # "config/split" -> build record
    other: dict = field(default_factory=dict)  # every other top-level key, kept as found


def split_card(text: str | None) -> tuple[dict, str]:
    """``(metadata, markdown body)`` of a card's text (empty for ``None``)."""
    if not text:
        return {}, ""
    card = DatasetCard(text)
    return card.data.to_dict(), card.text


def _data_files(entry: dict) -> list[dict]:
    files = entry.get("data_files")
    if files is None:
        return []
    if isinstance(files, str):
        return [{"split": "train", "path": files}]
    if isinstance(files, dict):
        return [{"split": s, "path": p} for s, p in files.items()]
    return [dict(f) if isinstance(f, dict) else {"split": "train", "path": f} for f in files]


def parse_meta(meta: dict) -> CardMeta:
    parsed = CardMeta()
    for entry in meta.get("configs") or []:
        parsed.configs[entry.get("config_name", "default")] = dict(entry, data_files=_data_files(entry))
    infos = meta.get("dataset_info") or []
    for entry in [infos] if isinstance(infos, dict) else infos:
        parsed.infos[entry.get("config_name", "default")] = dict(entry)
    parsed.builds = dict((meta.get(META_KEY) or {}).get("splits") or {})
    parsed.other = {k: v for k, v in meta.items() if k not in ("configs", "dataset_info", META_KEY)}
    return parsed


def data_patterns(meta: CardMeta, config: str, split: str) -> list[str]:
    """The ``data_files`` patterns the card gives for ``config``/``split`` (paths in the repository)."""
    out = []
    for f in meta.configs.get(config, {}).get("data_files", []):
        if f.get("split") == split:
            path = f.get("path")
            out += [path] if isinstance(path, str) else list(path or [])
    return out


def shard_pattern(config: str, split: str) -> str:
    return f"{config}/{split}-*"


def _remove(meta: CardMeta, key: str) -> None:
    config, split = key.split("/", 1)
    if config in meta.configs:
        meta.configs[config]["data_files"] = [f for f in meta.configs[config]["data_files"] if f.get("split") != split]
    if config in meta.infos:
        meta.infos[config]["splits"] = [s for s in meta.infos[config].get("splits") or [] if s.get("name") != split]
    meta.builds.pop(key, None)
    if config in meta.configs and not meta.configs[config]["data_files"]:
        was_default = meta.configs.pop(config).get("default")
        meta.infos.pop(config, None)
        if was_default and meta.configs:
            meta.configs["qa" if "qa" in meta.configs else next(iter(meta.configs))]["default"] = True


def _apply(meta: CardMeta, entries: list[SplitEntry]) -> None:
    written = {e.key for e in entries}
    for e in entries:
        info = meta.infos.setdefault(e.config, {"config_name": e.config})
        kept = [s["name"] for s in info.get("splits") or [] if f"{e.config}/{s['name']}" not in written]
        if kept and info.get("features") and info["features"] != e.features:
            raise CardConflict(
                f"config {e.config!r}: split {e.split!r} has other columns than the split(s) {', '.join(kept)} "
                f"already there ({_columns(info['features'])} there, {_columns(e.features)} now); "
                f"write those splits again too, or use another config or folder")
    for e in entries:
        conf = meta.configs.setdefault(e.config, {"config_name": e.config, "data_files": []})
        files = [f for f in conf["data_files"] if f.get("split") != e.split]
        conf["data_files"] = files + [{"split": e.split, "path": shard_pattern(e.config, e.split)}]
        info = meta.infos[e.config]
        info["features"] = e.features
        splits = [s for s in info.get("splits") or [] if s.get("name") != e.split]
        info["splits"] = splits + [{"name": e.split, "num_bytes": e.num_bytes, "num_examples": e.num_examples}]
        info["dataset_size"] = sum(int(s.get("num_bytes") or 0) for s in info["splits"])
        info.pop("download_size", None)  # no longer known for the merged files
        if e.build is not None:
            meta.builds[e.key] = e.build
        else:
            meta.builds.pop(e.key, None)
    if any(e.config == "qa" for e in entries):  # qa is the default once built, whichever config came first
        for conf in meta.configs.values():
            conf.pop("default", None)
    if not any(c.get("default") for c in meta.configs.values()) and meta.configs:
        default = "qa" if "qa" in meta.configs else next(iter(meta.configs))
        meta.configs[default]["default"] = True


def _columns(features: list) -> str:
    return ", ".join(f["name"] for f in features)


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "n>10M"


def _rows(info: dict) -> int:
    return sum(int(s.get("num_examples") or 0) for s in info.get("splits") or [])


def default_config(meta: CardMeta) -> str:
    return next((n for n, c in meta.configs.items() if c.get("default")), next(iter(meta.configs), "qa"))


def to_metadata(meta: CardMeta) -> dict:
    """The card's YAML metadata: the kept top-level keys, reachqa's own, configs and infos."""
    largest = max((_rows(i) for i in meta.infos.values()), default=0)
    out = dict(meta.other)
    out.update(pretty_name=out.get("pretty_name", "ReachQA"), license=LICENSE,
               language=out.get("language", ["en"]),
               task_categories=sorted(set(out.get("task_categories") or []) | set(TASK_CATEGORIES)),
               size_categories=[_size_category(largest)],
               tags=sorted(set(out.get("tags") or []) | {"charts", "chart-reasoning", "synthetic", "code"}))
    out[META_KEY] = {"source": {"repository": f"https://github.com/{REACHQA_REPO}", "commit": REACHQA_COMMIT,
                                "paper": PAPER_URL},
                     "splits": dict(sorted(meta.builds.items()))}
    out["configs"] = list(meta.configs.values())
    out["dataset_info"] = list(meta.infos.values())
    return out


def listed_splits(meta: CardMeta) -> set[str]:
    """``config/split`` of every split the card lists."""
    return {f"{c}/{f.get('split')}" for c, conf in meta.configs.items() for f in conf["data_files"]}


def merge_card(old_text: str | None, entries: list[SplitEntry], remove=()) -> str:
    """The card ``old_text`` with ``entries`` written in and the ``config/split`` keys of
    ``remove`` taken out (see the module docstring)."""
    old_meta, body = split_card(old_text)
    meta = parse_meta(old_meta)
    for key in remove:
        _remove(meta, key)
    _apply(meta, entries)
    generated = f"{BEGIN}\n{card_body(meta)}\n{END}"
    if body.lstrip().startswith("# ReachQA") and "Built with `reachqa build`" in body:
        body = ""  # the whole body was generated by reachqa 0.1.0, before the markers
    if BEGIN in body and END in body:
        head, rest = body.split(BEGIN, 1)
        body = head + generated + rest.split(END, 1)[1]
    elif body.strip():
        body = body.rstrip() + "\n\n" + generated + "\n"
    else:
        body = "\n" + generated + "\n"
    return f"---\n{DatasetCardData(**to_metadata(meta)).to_yaml()}\n---\n{body}"


# -- the generated prose ------------------------------------------------------------------------

def _describe_columns(config: str, info: dict) -> list[str]:
    features = datasets.Features._from_yaml_list(info["features"]) if info.get("features") else {}
    lines = ["| column | type | description |", "| --- | --- | --- |"]
    for name, feature in features.items():
        kind = type(feature).__name__ if not isinstance(feature, datasets.Value) else feature.dtype
        described = COLUMN_DESCRIPTIONS.get(config, {}).get(name) or COLUMN_DESCRIPTIONS.get("*", {}).get(name)
        lines.append(f"| `{name}` | {kind} | {described or '(not described)'} |")
    return lines


def _build_lines(key: str, build: dict) -> list[str]:
    render = build.get("render") or {}
    src = build.get("source") or {}
    where = {"release": f"the ReachQA repository at commit `{src.get('commit', '?')}` ({src.get('url', '')})",
             "seed": "reachqa's own seed charts (shipped in the package)",
             "folder": f"the folder `{src.get('folder', '?')}`"}.get(src.get("kind"), "an unrecorded source")
    lines = [f"- `{key}`: built with reachqa {build.get('reachqa_version', '?')} from {where}; rendered in the "
             f"`{render.get('env', '?')}` environment (`{render.get('fingerprint', '?')}`"
             + (f", lock `{render['lock']}`" if render.get("lock") else "")
             + (f", matplotlib {render['matplotlib']}" if render.get("matplotlib") else "")
             + f") at {render.get('dpi', '?')} dpi"]
    charts = build.get("charts")
    if charts:
        lines[-1] += f"; {charts.get('ok', 0)} of {charts.get('total', 0)} charts rendered"
        if charts.get("failed"):
            lines[-1] += (f", {charts['failed']} failed to render and were left out with their "
                          f"{charts.get('dropped_qa', 0)} Q&A")
    cluster = build.get("cluster")
    if cluster:
        per_node = ", ".join(f"`{n.get('node')}` {n.get('charts', 0)} charts ({n.get('workers')} workers, "
                             f"`{n.get('env')}`)" for n in cluster.get("render") or [])
        lines[-1] += f"; rendered on a Ray cluster of {cluster.get('nodes', '?')} nodes: {per_node}"
    syn = build.get("synthesis")
    if syn:
        lines += _synthesis_lines(syn)
    return lines


def _synthesis_lines(syn: dict) -> list[str]:
    lines = []
    models = syn.get("models") or {}
    for role, counts in models.items():
        if counts:
            lines.append(f"  - {role}: " + ", ".join(f"`{m}` ({n})" for m, n in counts.items()))
    proto = syn.get("protocol") or {}
    if proto:
        lines.append("  - protocol: " + ", ".join(f"{k}={v}" for k, v in proto.items()))
    for stage, s in (syn.get("stages") or {}).items():
        dropped = ", ".join(f"{r}: {n}" for r, n in sorted((s.get("dropped") or {}).items())) or "none"
        lines.append(f"  - stage {stage}: {s.get('ok', 0)} kept; dropped by reason: {dropped}")
    pairs = syn.get("qa_pairs_dropped") or {}
    if pairs:
        lines.append("  - Q&A pairs dropped: " + ", ".join(f"{r}: {n}" for r, n in sorted(pairs.items())))
    if syn.get("output"):
        lines.append("  - output: " + ", ".join(f"{k}: {v}" for k, v in syn["output"].items()))
    return lines


def card_body(meta: CardMeta) -> str:
    default = default_config(meta)
    parts = [
        "# ReachQA",
        "",
        "Reasoning-intensive charts rendered from matplotlib code, with recognition and reasoning questions, "
        f"after \"Distill Visual Chart Reasoning Ability from LLMs to MLLMs\" (He et al., 2024, [arXiv:2410.18798]({PAPER_URL})). "
        "The charts are rendered from their code at build time by reachqa (a reimplementation of the paper's "
        "pipeline on the Hugging Face stack); images are the JPEG bytes the renderer wrote.",
        "",
        f"- **Released data and the paper's code**: https://github.com/{REACHQA_REPO} at commit `{REACHQA_COMMIT}`",
        f"- **License**: {LICENSE.upper()} (as the ReachQA data was released)",
        f"- **Paper**: {PAPER_URL}",
        "",
        f"## Configs and splits (default: `{default}`)",
        "",
        "| config | split | rows |",
        "| --- | --- | --- |",
    ]
    for name, info in meta.infos.items():
        for s in info.get("splits") or []:
            parts.append(f"| {name} | {s['name']} | {s.get('num_examples', '?')} |")
    for name, info in meta.infos.items():
        parts += ["", f"### `{name}`", "", DESCRIPTIONS.get(name, "A config added outside reachqa."), ""]
        parts += _describe_columns(name, info)
    builds = [line for key, b in meta.builds.items() for line in _build_lines(key, b)]
    if builds:
        parts += ["", "## How it was built", "", *builds]
    parts += ["", "## Usage", "", "```python", "import datasets",
              f"ds = datasets.load_dataset(\"<this repository or folder>\", \"{default}\")", "```",
              "", "## Citation", "", "```bibtex", CITATION.strip(), "```"]
    return "\n".join(parts)
