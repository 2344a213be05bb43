"""Fixtures of the evaluation tests: a tiny LLaVA checkpoint (built once per session) and small
chart images."""

from __future__ import annotations

import io

import pytest

from tests.evaluation.tiny_models import build_tiny_llava


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """Path of a tiny LLaVA checkpoint + processor built in code."""
    return build_tiny_llava(tmp_path_factory.mktemp("tiny-llava"))


def make_chart(color: str = "tab:blue", values=(3, 5, 2), fmt: str = "png") -> bytes:
    """A small real matplotlib bar chart as encoded bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.6, 1.2), dpi=50)
    ax.bar(range(len(values)), values, color=color)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    plt.close(fig)
    return buf.getvalue()


@pytest.fixture(scope="session")
def charts():
    return [make_chart(c, v) for c, v in (("tab:blue", (3, 5, 2)), ("tab:red", (1, 4)), ("tab:green", (6, 2, 7, 1)))]
