"""The columns of each ReachQA config, and how one row is made.

``qa``: one row per question; ``charts``: one row per chart; ``seed``: our own seed charts.
``image`` is a :class:`datasets.Image` holding the JPEG bytes exactly as rendered.
``extra`` holds any further ``plot_info`` fields (provenance written by synthesis) as JSON.
``data_verdict`` / ``data_evidence`` (``qa``) say whether the answer's numbers are plotted
(:mod:`reachqa_builder.checks.answers`); ``layout_flags`` (``charts``) are the render-time
layout lint and ``data_table`` (``charts``) what the figure plots, both from the in-sandbox
inspection (:mod:`reachqa_builder.render._inspect`). All are null when not measured.
"""

from __future__ import annotations

import json

import datasets

from .layout import QA, Chart

from .settings import CONFIG_NAMES  # noqa: F401 (re-exported)


def _list_of(feature):
    """A list feature: ``datasets.List`` from datasets 4 on; datasets 3.x (the last to run loading scripts)
    spells it as a one-element Python list. Both give the same Arrow type, a list of ``feature``."""
    list_type = getattr(datasets, "List", None)
    return list_type(feature) if list_type is not None else [feature]


_CHART_META = {
    "level": datasets.Value("string"),
    "plot_model": datasets.Value("string"),
    "major_chart_type": datasets.Value("string"),
    "minor_chart_type": datasets.Value("string"),
}

FEATURES = {
    "qa": datasets.Features(
        {
            "qa_id": datasets.Value("string"),
            "chart_id": datasets.Value("string"),
            "image": datasets.Image(),
            "question": datasets.Value("string"),
            "answer": datasets.Value("string"),
            "qa_type": datasets.Value("string"),
            "qa_model": datasets.Value("string"),
            "concise_answer": datasets.Value("string"),   # null for the released data
            "check_verdicts": datasets.Value("string"),   # raters' verdicts + reasons (JSON); null if unchecked
            **_CHART_META,
            "code": datasets.Value("string"),
            "data_verdict": datasets.Value("string"),
            "data_evidence": datasets.Value("string"),
        }
    ),
    "charts": datasets.Features(
        {
            "chart_id": datasets.Value("string"),
            "image": datasets.Image(),
            **_CHART_META,
            "code": datasets.Value("string"),
            "extra": datasets.Value("string"),
            "layout_flags": _list_of({"kind": datasets.Value("string"), "severity": datasets.Value("string"),
                                      "detail": datasets.Value("string")}),
            "data_table": {
                "series": _list_of({"kind": datasets.Value("string"), "label": datasets.Value("string"),
                                    "values": _list_of(datasets.Value("float64"))}),
                "texts": _list_of({"kind": datasets.Value("string"), "text": datasets.Value("string")}),
            },
        }
    ),
    "seed": datasets.Features(
        {
            "chart_id": datasets.Value("string"),
            "image": datasets.Image(),
            "major_chart_type": datasets.Value("string"),
            "minor_chart_type": datasets.Value("string"),
            "code": datasets.Value("string"),
            "extra": datasets.Value("string"),
        }
    ),
}

DESCRIPTIONS = {
    "qa": "One row per question: the rendered chart, question, answer, Q&A type, chart metadata and code.",
    "charts": "One row per chart: the rendered chart, its metadata and its plotting code.",
    "seed": "reachqa's own seed charts, one or more per minor chart type.",
}

# What each column holds, for the dataset card: "*" applies to every config, a config's own entry
# overrides it. A column added to FEATURES is described on the card once it has an entry here.
COLUMN_DESCRIPTIONS = {
    "*": {
        "qa_id": "id of the question (`data_id` of the Q&A file, else `<chart_id>-qa-NN`)",
        "chart_id": "id of the chart (`id` in `plot_info.jsonl`)",
        "image": "the chart as rendered from `code`: JPEG bytes, unchanged",
        "question": "the question about the chart",
        "answer": "the reference answer",
        "qa_type": "`Recognizing` or `Reasoning`",
        "qa_model": "model that wrote the Q&A",
        "level": "`Easy` (Self-Instruct) or `Hard` (Evol-Instruct)",
        "plot_model": "model that wrote the chart code",
        "major_chart_type": "one of the 10 major chart types",
        "minor_chart_type": "one of the 32 minor chart types",
        "code": "the matplotlib script the image was rendered from",
        "extra": "further `plot_info` fields (e.g. synthesis provenance) as JSON, empty if none",
        "concise_answer": "the short final answer (synthesis output); null for the released data, whose `answer` "
                          "holds the whole reply",
        "check_verdicts": "the MLLM raters' accept/reject verdicts with their reasons (synthesis `check` stage), as "
                          "JSON; null when the pair was not checked",
        "data_verdict": "`supported`, `contradicted` or `not_checkable`: the answer's numbers against the values "
                         "the chart plots (`reachqa verify`); null when not measured",
        "data_evidence": "why: where each stated number is plotted, or the nearest plotted values",
        "data_table": "what the rendered figure plots, read inside the render sandbox (the values the answer checks "
                      "use): `series` `{kind, label, values}` (bar heights, line and scatter points, pie shares in "
                      "percent, heat-map cells, 3-D bar heights ...) and `texts` `{kind, text}` (ticks, labels, "
                      "titles, legend entries, annotations); a chart-to-table target; null when not measured",
        "layout_flags": "render-time layout lint: `{kind, severity, detail}` per problem (overlapping or clipped "
                        "text, tiny fonts, empty axes, legends over data); null when not measured",
    },
}


def _image(jpeg: bytes) -> dict:
    return {"bytes": jpeg, "path": None}


def chart_row(config: str, chart: Chart, jpeg: bytes, layout_flags: list[dict] | None = None,
              plotted: dict | None = None) -> dict:
    """A row of ``charts`` or ``seed`` for one rendered chart (``plotted``: the render record's
    :attr:`~reachqa_builder.render.RenderRecord.plotted`)."""
    row = {
        "chart_id": chart.id,
        "image": _image(jpeg),
        "level": chart.level,
        "plot_model": chart.plot_model,
        "major_chart_type": chart.major_chart_type,
        "minor_chart_type": chart.minor_chart_type,
        "code": chart.code,
        "extra": json.dumps(chart.extra, ensure_ascii=False, sort_keys=True) if chart.extra else "",
        "layout_flags": layout_flags,
        "data_table": plotted,
    }
    return {k: row[k] for k in FEATURES[config]}


def qa_row(qa: QA, chart: Chart, jpeg: bytes, verdict: dict | None = None) -> dict:
    """A row of ``qa``; ``verdict`` is :meth:`reachqa_builder.checks.answers.Verdict.as_dict`."""
    return {
        "qa_id": qa.id,
        "chart_id": chart.id,
        "image": _image(jpeg),
        "question": qa.question,
        "answer": qa.answer,
        "qa_type": qa.qa_type,
        "qa_model": qa.qa_model,
        "concise_answer": qa.concise_answer,
        "check_verdicts": qa.check_verdicts,
        "level": chart.level,
        "plot_model": chart.plot_model,
        "major_chart_type": chart.major_chart_type,
        "minor_chart_type": chart.minor_chart_type,
        "code": chart.code,
        "data_verdict": verdict["verdict"] if verdict else None,
        "data_evidence": "; ".join(verdict["evidence"]) if verdict else None,
    }
