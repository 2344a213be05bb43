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
    import reachqa_builder

    return Path(reachqa_builder.__file__).resolve().parent / "seed_charts"


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
    """Seeds plus accepted code; :meth:`sample` prefers demos of the requested chart type."""

    def __init__(self, seeds: list[Demo]) -> None:
        self.demos: list[Demo] = list(seeds)
        self._ids = {d.id for d in self.demos}

    def add(self, demo: Demo) -> None:
        if demo.id not in self._ids:
            self._ids.add(demo.id)
            self.demos.append(demo)

    def sample(self, k: int, minor_type: str, rng: random.Random) -> list[Demo]:
        same = [d for d in self.demos if d.minor_type == minor_type]
        other = [d for d in self.demos if d.minor_type != minor_type]
        picked = rng.sample(same, min(1, len(same)))
        rest = [d for d in same + other if d not in picked]
        picked += rng.sample(rest, min(k - len(picked), len(rest)))
        rng.shuffle(picked)
        return picked
