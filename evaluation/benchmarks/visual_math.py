"""Math benchmarks with images: MathVista testmini and MATH-Vision.

MathVista (``AI4Math/MathVista``, split ``testmini``): columns ``pid``, ``question``, ``query``
(question with hint and choices), ``decoded_image``, ``choices``, ``answer``, ``question_type``
(``multi_choice`` / ``free_form``), ``answer_type``. MATH-Vision (``MathLLMs/MathVision``, splits
``test`` / ``testmini``): ``id``, ``question``, ``options``, ``decoded_image``, ``answer``,
``level``, ``subject``; with options the answer is a letter. A local source is a Parquet file,
a ``save_to_disk`` folder, or a folder with ``data.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from ._io import image_bytes, is_hub_id, iter_data_json, open_rows
from .spec import Sample, register


def _image(row: dict, base: Path | None, what: str) -> bytes:
    if row.get("decoded_image") is not None:
        return image_bytes(row["decoded_image"], base, what=what)
    return image_bytes(row["image"], base, what=what)


def _base(source: str | None) -> Path | None:
    if source is None or is_hub_id(source):
        return None
    p = Path(source)
    return p if p.is_dir() else p.parent


def _hub_samples(source: str | None, name: str, hub_id: str, split: str,
                 sample: Callable[[dict, bytes], Sample]) -> Iterator[Sample]:
    """``sample(row, image)`` for each row in the Hub column layout, or the authors' ``data.json``."""
    if source and (Path(source) / "data.json").is_file():
        yield from iter_data_json(Path(source), name, "free_form")
        return
    base = _base(source)
    for row in open_rows(source, hub_id, split, ("decoded_image", "image")):
        yield sample(row, _image(row, base, f"{name} {row.get('pid', row.get('id'))}"))


@register("mathvista", subsets=("multi_choice", "free_form"), hub_id="AI4Math/MathVista", relaxed=True,
          subset_aliases={"multiple_choice": "multi_choice", "free-form": "free_form"},
          description="MathVista testmini: visual math reasoning (multiple choice and free form)")
def load_mathvista(source: str | None, *, split: str = "testmini", **_) -> Iterator[Sample]:
    return _hub_samples(source, "mathvista", "AI4Math/MathVista", split, _mathvista_sample)


def _mathvista_sample(row: dict, image: bytes) -> Sample:
    return Sample(id=str(row["pid"]), image=image, question=row.get("query") or row["question"],
                  answer=str(row["answer"]), subset=row.get("question_type") or "free_form",
                  meta={"choices": row.get("choices"), "answer_type": row.get("answer_type"),
                        "unit": row.get("unit"), "precision": row.get("precision"),
                        "category": (row.get("metadata") or {}).get("task") if isinstance(row.get("metadata"), dict) else None})


@register("mathvision", subsets=("multi_choice", "free_form"), hub_id="MathLLMs/MathVision", relaxed=True,
          aliases=("mathv",),
          description="MATH-Vision: competition math problems with images")
def load_mathvision(source: str | None, *, split: str = "test", **_) -> Iterator[Sample]:
    return _hub_samples(source, "mathvision", "MathLLMs/MathVision", split, _mathvision_sample)


def _mathvision_sample(row: dict, image: bytes) -> Sample:
    options = [o for o in (row.get("options") or []) if str(o).strip()]
    question = row["question"]
    if options:
        letters = "ABCDEFGHIJ"
        question += "\nChoices:\n" + "\n".join(f"({letters[i]}) {o}" for i, o in enumerate(options))
    return Sample(id=str(row["id"]), image=image, question=question, answer=str(row["answer"]),
                  subset="multi_choice" if options else "free_form",
                  meta={"level": row.get("level"), "subject": row.get("subject"), "category": row.get("subject")})
