"""A chart on its way through the synthesis stages: :class:`ChartItem`.

An item is its pipeline ``id`` (``c00012`` for lineage 12's Easy chart, ``c00012e`` for its evolved
Hard one, a ``plot_info`` id for a ReachQA folder) and the fields of its journal record, in record
order: ``level``, ``major_chart_type``, ``minor_chart_type``, ``code`` (``code_file`` on disk),
``image`` (after execute), ``qa`` (after the Q&A stage: a list of pair dicts with ``question``,
``answer``, ``concise_answer``, ``analysis``, ``QA_type`` and, after the check, ``checks``),
``provenance`` and whatever a stage adds (``render_sha256``; ``reply`` / ``extract_error`` of a
reply without a usable code block). A stage returns ``item.advanced(...)``; the journal line is
``item.record()``, so journals keep the layout they always had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_BOOKKEEPING = ("id", "status")  # written by the journal, not part of an item's fields


@dataclass(frozen=True)
class ChartItem:
    """One chart and everything the stages have added to it (see module docstring)."""

    id: str
    fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ChartItem:
        """An item from a journal record (its ``id``; ``status`` is the journal's)."""
        return cls(str(record["id"]), {k: v for k, v in record.items() if k not in _BOOKKEEPING})

    def record(self, status: str = "ok") -> dict[str, Any]:
        """The journal record: the fields, then ``id`` and ``status``."""
        return dict(self.fields, id=self.id, status=status)

    def advanced(self, drop: tuple[str, ...] = (), **changes: Any) -> ChartItem:
        """The item after a stage: ``changes`` replace or add fields (in place in record order),
        ``drop`` names fields that no longer apply."""
        return ChartItem(self.id, {k: v for k, v in self.fields.items() if k not in drop} | changes)

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    @property
    def code(self) -> str | None:
        """The chart's script (None: the reply had no usable code block)."""
        return self.fields.get("code")

    @property
    def image(self) -> str | None:
        """The rendered image, relative to the output folder or absolute (None before execute)."""
        return self.fields.get("image")

    @property
    def qa(self) -> list[dict[str, Any]]:
        return self.fields.get("qa") or []

    @property
    def provenance(self) -> dict[str, Any]:
        """A copy of the provenance, to extend with ``dict(item.provenance, key=value)``."""
        return dict(self.fields.get("provenance") or {})

    @property
    def minor_chart_type(self) -> str:
        return self.fields.get("minor_chart_type", "")

    @property
    def major_chart_type(self) -> str:
        return self.fields.get("major_chart_type", "")
