"""Near-duplicates and decontamination with known overlaps and known non-overlaps."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image, ImageDraw

from reachqa_builder.checks import similarity as sim
from reachqa_builder.checks.contamination import Corpus, compare, within
from reachqa_builder.cli import main
from reachqa_builder.layout import find_splits, read_charts, read_qa

BASE = """import matplotlib.pyplot as plt
import numpy as np
years = [2018, 2019, 2020, 2021, 2022]
solar = [12, 18, 25, 31, 40]
wind = [20, 22, 27, 29, 35]
fig, ax = plt.subplots(figsize=(8, 5))
ax.plot(years, solar, marker="o", color="orange", label="Solar")
ax.plot(years, wind, marker="s", color="steelblue", label="Wind")
ax.set_title("Renewable output by year")
ax.set_xlabel("Year")
ax.set_ylabel("TWh")
ax.grid(True, linestyle="--", alpha=0.5)
ax.legend(loc="upper left")
plt.tight_layout()
plt.show()
"""
# The same chart with comments and spacing changed: a near-duplicate.
REFORMATTED = "# a copy\n" + BASE.replace("ax.grid(True", "ax.grid( True").replace("\n\n", "\n") + "# end\n"
OTHER = """import matplotlib.pyplot as plt
labels = ["Cats", "Dogs", "Birds"]
shares = [45, 40, 15]
plt.figure(figsize=(5, 5))
plt.pie(shares, labels=labels, autopct="%1.0f%%", startangle=90)
plt.title("Pets in the city")
plt.show()
"""


def test_code_near_duplicates_ignore_comments_and_layout_but_not_content():
    sets = [sim.code_shingles(c) for c in (BASE, REFORMATTED, OTHER)]
    assert sets[0] == sets[1]
    pairs = sim.near_duplicates(sets)
    assert [(p.i, p.j, p.score) for p in pairs] == [(0, 1, 1.0)]
    # LSH misses no pair that the exact Jaccard keeps: check against all pairs of a larger set.
    rng = np.random.default_rng(0)
    variants = []
    for k in range(40):
        lines = BASE.splitlines()
        for _ in range(int(rng.integers(0, 4))):
            i = int(rng.integers(2, len(lines)))
            lines[i] = lines[i] + f"  # {k}" if rng.random() < 0.5 else lines[i].replace("5", str(k))
        variants.append(sim.code_shingles("\n".join(lines)))
    exact = {(i, j) for i in range(40) for j in range(i + 1, 40) if sim.jaccard(variants[i], variants[j]) >= 0.8}
    found = {(p.i, p.j) for p in sim.near_duplicates(variants)}
    assert found <= exact and len(found) >= 0.98 * len(exact) and exact


def render_like(text: str, shift: int = 0) -> bytes:
    im = Image.new("RGB", (400, 300), "white")
    d = ImageDraw.Draw(im)
    for k, h in enumerate([120, 200, 80, 160]):
        d.rectangle([40 + 80 * k + shift, 280 - h, 90 + 80 * k + shift, 280], fill=(30 + 40 * k, 90, 160))
    d.text((150, 10), text, fill="black")
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def test_image_hashes_find_re_encodings_and_small_edits_not_other_charts():
    a = render_like("Sales")
    re_encoded = io.BytesIO()
    Image.open(io.BytesIO(a)).save(re_encoded, format="JPEG", quality=60)
    other = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(other).pieslice([50, 20, 330, 290], 0, 250, fill="orange")
    buf = io.BytesIO()
    other.save(buf, format="JPEG")
    hashes = [sim.image_hash(x) for x in (a, re_encoded.getvalue(), render_like("Sales", shift=2), buf.getvalue())]
    pairs = {(p.i, p.j) for p in sim.image_hash_pairs(hashes)}
    assert {(0, 1), (0, 2), (1, 2)} <= pairs and not any(3 in p for p in pairs)


def test_question_ngrams_and_near_duplicate_questions():
    bench = ["What is the difference between the highest and lowest values of solar output in 2020?",
             "How many bars are blue?"]
    data = ["Please tell me: what is the difference between the highest and lowest values of wind?",
            "Which year shows the peak?", "how many bars are blue"]
    pairs = sim.ngram_matches(data, bench, n=8)
    assert [(p.i, p.j) for p in pairs] == [(0, 0), (2, 1)]  # a shared 8-gram; a short question repeated
    corpus = Corpus("d", ["c1", "c2", "c3"], question_ids=["q1", "q2", "q3", "q4"],
                    question_texts=["What is the total revenue of Alpha across all quarters?",
                                    "What is the total revenue of Alpha across all quarters in total?",
                                    "What is the total revenue of Alpha across all quarters ?",
                                    "Which colour is the Beta line?"],
                    question_charts=["c1", "c2", "c1", "c3"])
    found = within(corpus)
    # q1/q3 are on the same chart (allowed); q2 repeats q1 on another chart.
    assert {(a, b) for a, b, _ in found.question} == {("q2", "q1"), ("q3", "q2")}


def write_split(folder, charts: dict[str, str], questions: list[tuple[str, str]]):
    (folder / "code").mkdir(parents=True)
    lines = []
    for cid, code in charts.items():
        (folder / "code" / f"{cid}.py").write_text(code)
        lines.append(json.dumps({"id": cid, "code": f"code/{cid}.py"}))
    (folder / "plot_info.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "instruction_data.json").write_text(json.dumps(
        [{"plot_id": c, "question": q, "answer": "x", "QA_type": "Reasoning"} for c, q in questions]))
    return folder


def test_reachqa_decontaminate_reports_and_drops_matches(tmp_path, capsys):
    train = write_split(tmp_path / "reachqa_train", {"a": BASE, "b": OTHER},
                        [("a", "What is the total output of solar and wind energy in the year 2021 combined?"),
                         ("b", "Which pet has the largest share?"), ("b", "What share do birds have?")])
    test = write_split(tmp_path / "reachqa_test", {"t": REFORMATTED},
                       [("t", "Compute the total output of solar and wind energy in the year 2021 combined.")])
    out, clean = tmp_path / "report.json", tmp_path / "clean"
    status = main(["decontaminate", str(train), "--against-data", str(test), "--render-env", "current",
                   "--render-cache-dir", str(tmp_path / "cache"), "--workers", "1", "--no-progress",
                   "--out", str(out), "--drop-to", str(clean)])
    assert status == 0
    report = json.loads(out.read_text())
    pairs = report["pairs"][0]
    assert [p[:2] for p in pairs["code"]] == [["a", "t"]]
    assert [p[:2] for p in pairs["image"]] == [["a", "t"]]  # same figure from reformatted code
    assert report["matched_charts"] == ["a"] and len(report["matched_questions"]) == 1
    (split,) = find_splits(clean)
    charts = read_charts(split)
    assert [c.id for c in charts] == ["b"]
    assert [q.question for q in read_qa(split, {"b"})] == ["Which pet has the largest share?",
                                                            "What share do birds have?"]
    assert "matched: 1 charts, 1 questions" in capsys.readouterr().out


def test_reachqa_stats_reports_near_duplicates_inside_a_built_dataset(tmp_path, capsys):
    data = write_split(tmp_path / "reachqa_test", {"a": BASE, "b": OTHER, "c": REFORMATTED},
                       [("a", "What is the total output of solar and wind energy in 2021?"),
                        ("b", "Which pet has the largest share of the city?"),
                        ("c", "What is the total output of solar and wind energy in 2021?")])
    out = tmp_path / "built"
    assert main(["build", "--config", "qa", "--data-dir", str(data), "--out", str(out), "--render-env", "current",
                 "--render-cache-dir", str(tmp_path / "cache"), "--workers", "1", "--no-progress",
                 "--cache-dir", str(tmp_path / "hf")]) == 0
    assert main(["stats", str(out), "--duplicates", "--json", str(tmp_path / "s.json")]) == 0
    dup = json.loads((tmp_path / "s.json").read_text())["splits"]["test"]["near_duplicates"]
    assert dup["code"]["pairs"] == 1 and dup["code"]["examples"][0][:2] == ["c", "a"]
    assert dup["image"]["pairs"] == 1 and dup["question"]["pairs"] == 1
    assert "near-duplicates in test: code 1 pairs" in capsys.readouterr().out
