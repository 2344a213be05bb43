"""Small ReachQA-layout folders (one chart and its Q&A pairs) shared by the checks tests."""

from __future__ import annotations

import json

CHART = """import matplotlib.pyplot as plt
years = ["2019", "2020", "2021"]
visitors = [1250, 1400, 1610]
plt.figure(figsize=(4, 3))
plt.bar(years, visitors, color="teal")
plt.title("Museum visitors")
plt.show()
"""


QAS = [("How many visitors came in 2020?", "1,400 visitors", "Recognizing"),       # right
       ("How many visitors came in 2021?", "1,900", "Recognizing"),                # wrong
       ("What colour are the bars?", "Teal", "Recognizing"),                        # no number
       ("By how much did visitors grow from 2019 to 2021?", "360", "Reasoning")]   # computed

# A stacked 3-D bar chart: the online segments (12.5, 18, 22.5) sit on the store bars, so their
# values are bar heights only (their tops are 42.5, 45.5, 46.5); the age groups are tick labels.
CHART_3D = """import matplotlib.pyplot as plt
import numpy as np
groups = ["18-24", "25-34", "35-44"]
stores = [30.0, 27.5, 24.0]
online = [12.5, 18.0, 22.5]
fig = plt.figure(figsize=(5, 4))
ax = fig.add_subplot(projection="3d")
x = np.arange(3)
ax.bar3d(x, np.zeros(3), np.zeros(3), 0.5, 0.5, stores, color="tab:blue")
ax.bar3d(x, np.zeros(3), stores, 0.5, 0.5, online, color="tab:orange")
ax.set_xticks(x + 0.25)
ax.set_xticklabels(groups)
ax.set_zlabel("Units sold (thousands)")
ax.set_title("Sales by age group")
plt.show()
"""
QAS_3D = [("How many thousand units did the 35-44 group buy online?", "22.5", "Recognizing"),  # right: a segment
          ("How many thousand units did the 35-44 group buy online?", "16.5", "Recognizing"),  # wrong
          ("Which age group bought 18 thousand units online?", "The 25-34 group", "Recognizing")]  # a tick label


def write_folder(root, code: str = CHART, qas=QAS):
    (root / "code").mkdir(parents=True)
    (root / "code" / "c1.py").write_text(code)
    (root / "plot_info.jsonl").write_text(json.dumps({"id": "c1", "code": "code/c1.py", "level": "Easy"}) + "\n")
    (root / "instruction_data.json").write_text(json.dumps(
        [{"data_id": f"q{i}", "plot_id": "c1", "question": q, "answer": a, "QA_type": t} for i, (q, a, t) in enumerate(qas)]))
    return root
