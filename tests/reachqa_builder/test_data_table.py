"""The `charts` config exports the data table each chart plots."""

from __future__ import annotations

import json


def test_charts_config_exports_the_plotted_data_table(tmp_path):
    """The ``charts`` config's ``data_table``: the values each chart plots, from the render inspection."""
    import datasets

    from reachqa_builder.export import build_config

    src = tmp_path / "src"
    (src / "code").mkdir(parents=True)
    (src / "code" / "00001.py").write_text(
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
        "ax.bar(['North', 'South', 'East'], [12.5, 30, 7], label='Orders')\nax.set_title('Orders by region')\n")
    (src / "plot_info.jsonl").write_text(json.dumps({
        "id": "c1", "code": "code/00001.py", "image": "images/00001.jpg", "level": "Easy", "plot_model": "m",
        "major_chart_type": "Bar Charts", "minor_chart_type": "bar chart"}) + "\n")
    build_config("charts", tmp_path / "ds", data_dir=str(src), split="synthetic", render_env="current",
                 render_cache_dir=str(tmp_path / "rc"), progress=False)
    row = datasets.load_dataset(str(tmp_path / "ds"), "charts", split="synthetic")[0]
    series = row["data_table"]["series"]
    assert [12.5, 30.0, 7.0] in [s["values"] for s in series if s["kind"] == "bar"]
    texts = {t["text"] for t in row["data_table"]["texts"]}
    assert {"North", "South", "East", "Orders by region"} <= texts
