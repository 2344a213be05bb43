"""The demo pool of self-instruct: seed chart scripts plus code accepted during the run."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Demo:
    id: str
    code: str
    minor_type: str = ""


def default_seed_dir() -> Path:
    from reachqa_builder.release import SEED_DIR

    return SEED_DIR


def _metadata(folder: Path) -> dict[str, dict]:
    """``{code stem: record}`` from a plot_info.json(l) / *.jsonl listing in ``folder``, if any."""
    meta: dict[str, dict] = {}
    for path in sorted(folder.glob("*.jsonl")) + sorted(folder.glob("plot_info.json")):
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            continue
        try:
            records = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: malformed JSON ({exc.msg}, line {exc.lineno})") from None
        for rec in records:
            if not isinstance(rec, dict):
                continue
            key = Path(str(rec.get("code") or rec.get("file") or rec.get("id", ""))).stem
            meta[key] = rec
    return meta


def resolve_seed_dir(seed_dir: str | Path | None) -> tuple[Path, str]:
    """``(folder, description)`` of the seed charts to use.

    ``seed_dir`` may be a ReachQA data root (``reachqa_seed/`` inside it, or ``data/reachqa_seed``),
    the seed folder itself, or any folder of scripts. Without it: the paper's 33 seeds from the
    released data that ``reachqa build`` downloads (:func:`reachqa_builder.archive.fetch_release`,
same URL and cache), else, when that cannot be
    had (offline), reachqa's own seed charts; the description says which."""
    if seed_dir:
        folder = Path(seed_dir)
        for sub in ("reachqa_seed", "data/reachqa_seed"):
            if (folder / sub).is_dir():
                folder = folder / sub
                break
        return folder, f"seed charts of {folder}"
    import sys

    print("seeds: fetching the released ReachQA seed charts (pass --seed-dir to skip) ...", file=sys.stderr)
    try:
        import datasets

        from reachqa_builder.archive import archive_url, fetch_release

        # the same archive and cache as `reachqa build` (--archive-url / $REACHQA_ARCHIVE_URL)
        root = fetch_release(archive_url(), datasets.config.DOWNLOADED_DATASETS_PATH, timeout=30.0)
        folder = root / "reachqa_seed"
        if folder.is_dir():
            return folder, f"the paper's seed charts from the released data ({folder})"
        why = f"{folder} is missing"
    except Exception as exc:  # offline, a proxy error, a broken archive ...: say so and use our own
        why = f"{type(exc).__name__}: {str(exc)[:200]}"
    return default_seed_dir(), f"reachqa's own seed charts (the released seeds could not be had: {why})"


def load_seeds(seed_dir: str | Path | None = None) -> list[Demo]:
    """Seed scripts of ``seed_dir`` (``*.py`` or ``code/*.py``; chart types from a listing beside
    them when there is one). Default: the project's own seed charts."""
    folder = Path(seed_dir) if seed_dir else default_seed_dir()
    if not folder.is_dir():
        raise ValueError(f"seed folder {folder} does not exist")
    scripts = sorted(folder.glob("*.py")) or sorted((folder / "code").glob("*.py"))
    scripts = [p for p in scripts if not p.name.startswith("_")]
    if not scripts:
        raise ValueError(f"seed folder {folder} holds no chart scripts (*.py or code/*.py)")
    meta = _metadata(folder)
    demos = []
    for p in scripts:
        rec = meta.get(p.stem, {})
        minor = str(rec.get("minor_chart_type") or rec.get("minor_type") or rec.get("chart_type") or "")
        demos.append(Demo(id=f"seed:{p.stem}", code=p.read_text(encoding="utf-8"), minor_type=minor))
    return demos


class DemoPool:
    """Seeds plus the code accepted during the run (Easy and Hard); :meth:`sample` draws
    uniformly from all of them, as the paper does."""

    def __init__(self, seeds: list[Demo]) -> None:
        self.demos: list[Demo] = list(seeds)
        self._ids = {d.id for d in self.demos}

    def add(self, demo: Demo) -> None:
        if demo.id not in self._ids:
            self._ids.add(demo.id)
            self.demos.append(demo)

    def sample(self, k: int, rng: random.Random) -> list[Demo]:
        return rng.sample(self.demos, min(k, len(self.demos)))
