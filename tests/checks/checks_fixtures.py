"""A small ReachQA-layout folder (one chart, four Q&A pairs) shared by the checks tests."""

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


def write_folder(root):
    (root / "code").mkdir(parents=True)
    (root / "code" / "c1.py").write_text(CHART)
    (root / "plot_info.jsonl").write_text(json.dumps({"id": "c1", "code": "code/c1.py", "level": "Easy"}) + "\n")
    qas = [("How many visitors came in 2020?", "1,400 visitors", "Recognizing"),       # right
           ("How many visitors came in 2021?", "1,900", "Recognizing"),                # wrong
           ("What colour are the bars?", "Teal", "Recognizing"),                        # no number
           ("By how much did visitors grow from 2019 to 2021?", "360", "Reasoning")]   # computed
    (root / "instruction_data.json").write_text(json.dumps(
        [{"data_id": f"q{i}", "plot_id": "c1", "question": q, "answer": a, "QA_type": t} for i, (q, a, t) in enumerate(qas)]))
    return root
