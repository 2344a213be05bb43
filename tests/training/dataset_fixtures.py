"""Small datasets written the way `reachqa build` lays them out, shared by the training tests."""

from __future__ import annotations

from pathlib import Path

import datasets

QA_FEATURES = datasets.Features({
    "qa_id": datasets.Value("string"), "chart_id": datasets.Value("string"), "image": datasets.Image(),
    "question": datasets.Value("string"), "answer": datasets.Value("string"), "qa_type": datasets.Value("string"),
})


CARD = """---
configs:
- config_name: qa
  data_files:
{files}
---
# test charts
"""


def write_dataset(root: Path, splits: dict[str, list[dict]], features: datasets.Features = QA_FEATURES) -> Path:
    """Write ``splits`` the way `reachqa build` lays a config out: ``<root>/qa/<split>-*.parquet`` + card."""
    (root / "qa").mkdir(parents=True, exist_ok=True)
    files = []
    for split, rows in splits.items():
        cols = {name: [r[name] for r in rows] for name in features}
        datasets.Dataset.from_dict(cols, features=features).to_parquet(root / "qa" / f"{split}-00000-of-00001.parquet")
        files.append(f"  - split: {split}\n    path: qa/{split}-*.parquet")
    (root / "README.md").write_text(CARD.format(files="\n".join(files)))
    return root
