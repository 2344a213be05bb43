"""Write small benchmark copies in each benchmark's real release / Hub column layout."""

from __future__ import annotations

import json
from pathlib import Path


def write_chartqa_release(root: Path, charts: list[bytes]) -> Path:
    """ChartQA GitHub layout: test/test_human.json, test/test_augmented.json, test/png/."""
    test = root / "test"
    (test / "png").mkdir(parents=True)
    for i, c in enumerate(charts):
        (test / "png" / f"{1000 + i}.png").write_bytes(c)
    human = [{"imgname": "1000.png", "query": "What is the value of the second bar?", "label": "5"},
             {"imgname": "1001.png", "query": "How many bars are there?", "label": "2"}]
    aug = [{"imgname": "1002.png", "query": "What is the highest value?", "label": "7"}]
    (test / "test_human.json").write_text(json.dumps(human))
    (test / "test_augmented.json").write_text(json.dumps(aug))
    return root


def write_chartqa_parquet(root: Path, charts: list[bytes]) -> Path:
    """HuggingFaceM4/ChartQA column layout: image, query, label (list), human_or_machine."""
    import datasets

    feats = datasets.Features({"image": datasets.Image(), "query": datasets.Value("string"),
                               "label": datasets.Sequence(datasets.Value("string")),
                               "human_or_machine": datasets.ClassLabel(names=["human", "machine"])})
    ds = datasets.Dataset.from_dict({"image": [{"bytes": c, "path": None} for c in charts[:2]],
                                     "query": ["Highest bar?", "Lowest bar?"], "label": [["5"], ["1"]],
                                     "human_or_machine": [0, 1]}, features=feats)
    root.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(root / "test-00000-of-00001.parquet"))
    return root


def write_charxiv_parquet(root: Path, charts: list[bytes]) -> Path:
    """princeton-nlp/CharXiv val.parquet: its columns and types exactly (descriptive_q* are int64
    template ids; subplot_loc is null where row / column name the subplot)."""
    import datasets

    rows = {
        "image": [{"bytes": c, "path": None} for c in charts[:3]],
        "category": ["cs", "physics", "q-bio"],
        "year": [20, 23, 21],
        "original_figure_path": ["2001.00001v1/fig1.png", "2302.00002v2/fig3.png", "2105.00003v1/f2.png"],
        "original_id": ["2001.00001", "2302.00002", "2105.00003"],
        "figure_path": ["images/0.jpg", "images/1.jpg", "images/2.jpg"],
        "num_subplots": [1, 4, 3],
        "subplot_row": [0, 2, None],
        "subplot_col": [0, 1, None],
        "subplot_loc": [None, None, "the left subplot"],
        "descriptive_q1": [1, 2, 18], "descriptive_q2": [10, 4, 13],
        "descriptive_q3": [11, 19, 16], "descriptive_q4": [12, 17, 9],
        "descriptive_a1": ["Loss curves", "Epoch", "1 by 3"], "descriptive_a2": ["3", "0", "A, B"],
        "descriptive_a3": ["Yes", "4", "Decreases"], "descriptive_a4": ["Not Applicable", "12", "0.5"],
        "reasoning_q": ["Which curve ends highest?", "How many peaks does the red line have?",
                        "What is the ratio of A to B?"],
        "reasoning_q_source": [1, 3, 2],
        "reasoning_a": ["Adam", "3", "2.50"],
        "reasoning_a_type": [1, 3, 4],
    }
    ints = {"year", "num_subplots", "subplot_row", "subplot_col", "reasoning_q_source", "reasoning_a_type",
            *(f"descriptive_q{k}" for k in range(1, 5))}
    feats = datasets.Features({k: (datasets.Image() if k == "image" else datasets.Value(
        "int64" if k in ints else "string")) for k in rows})
    root.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=feats).to_parquet(str(root / "val.parquet"))
    return root


def write_chartbench_release(root: Path, charts: list[bytes]) -> Path:
    """ChartBench GitHub layout: test.jsonl + data/test/<chart>/<type>/chart_N/image.png."""
    lines = []
    for i, c in enumerate(charts[:2]):
        img = root / "data" / "test" / "bar" / "vertical_single" / f"chart_{i}" / "image.png"
        img.parent.mkdir(parents=True)
        img.write_bytes(c)
        rel = "./" + str(img.relative_to(root))
        lines.append({"id": 2 * i, "image": rel, "type": {"chart": "bar", "image": "vertical_single", "task": "VE",
                                                           "QA": "Acc+"},
                      "conversation": [{"label": "Yes", "query": "The value of A is 3.00."},
                                       {"label": "No", "query": "The value of A is 9.00."}]})
        lines.append({"id": 2 * i + 1, "image": rel, "type": {"chart": "bar", "image": "vertical_single",
                                                               "task": "NQA", "QA": "GPT-acc"},
                      "conversation": [{"label": "3.0", "query": "What is the value of A?"}]})
    (root / "test.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def write_chartx_release(root: Path, charts: list[bytes]) -> Path:
    """ChartX layout: ChartX_annotation.json + png/<type>/<imgname>.png."""
    recs = []
    for i, c in enumerate(charts[:2]):
        img = root / "png" / "bar_chart" / f"bar_{i}.png"
        img.parent.mkdir(parents=True, exist_ok=True)
        img.write_bytes(c)
        recs.append({"chart_type": "bar_chart", "imgname": f"bar_{i}", "img": f"./png/bar_chart/bar_{i}.png",
                     "topic": "Business", "title": "Sales", "csv": "x \\t y \\n A \\t 3",
                     "description": {"input": "Describe.", "output": "A bar chart."},
                     "summarization": {"input": "Summarize.", "output": "Sales."},
                     "redrawing": {"input": "Redraw.", "output": "import matplotlib"},
                     "QA": {"input": f"What is the value of bar {i}?", "output": str(3 + i)}})
    (root / "ChartX_annotation.json").write_text(json.dumps(recs))
    return root


def write_mathvista_parquet(root: Path, charts: list[bytes]) -> Path:
    import datasets

    rows = {"pid": ["1", "2"], "question": ["What is x?", "Which is largest?"],
            "image": ["images/1.jpg", "images/2.jpg"],
            "decoded_image": [{"bytes": c, "path": None} for c in charts[:2]],
            "choices": [None, ["red", "blue", "green"]], "unit": [None, None], "precision": [None, None],
            "answer": ["4", "blue"], "question_type": ["free_form", "multi_choice"],
            "answer_type": ["integer", "text"],
            "query": ["Hint: answer with an integer.\nQuestion: What is x?",
                      "Hint: pick a letter.\nQuestion: Which is largest?\nChoices:\n(A) red\n(B) blue\n(C) green"]}
    feats = datasets.Features({"pid": datasets.Value("string"), "question": datasets.Value("string"),
                               "image": datasets.Value("string"), "decoded_image": datasets.Image(),
                               "choices": datasets.Sequence(datasets.Value("string")),
                               "unit": datasets.Value("string"), "precision": datasets.Value("float64"),
                               "answer": datasets.Value("string"), "question_type": datasets.Value("string"),
                               "answer_type": datasets.Value("string"), "query": datasets.Value("string")})
    root.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=feats).to_parquet(str(root / "testmini-00000-of-00001.parquet"))
    return root


def write_mathvision_parquet(root: Path, charts: list[bytes]) -> Path:
    import datasets

    rows = {"id": ["1", "2"], "question": ["Which shape has the most sides?", "What is the area?"],
            "options": [["triangle", "square", "pentagon"], []], "image": ["images/1.jpg", "images/2.jpg"],
            "decoded_image": [{"bytes": c, "path": None} for c in charts[:2]], "answer": ["C", "12"],
            "solution": [None, None], "level": [1, 3], "subject": ["counting", "metric geometry - area"]}
    feats = datasets.Features({"id": datasets.Value("string"), "question": datasets.Value("string"),
                               "options": datasets.Sequence(datasets.Value("string")),
                               "image": datasets.Value("string"), "decoded_image": datasets.Image(),
                               "answer": datasets.Value("string"), "solution": datasets.Value("string"),
                               "level": datasets.Value("int64"), "subject": datasets.Value("string")})
    root.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=feats).to_parquet(str(root / "test-00000-of-00001.parquet"))
    return root


def write_reachqa_data_json(root: Path, charts: list[bytes]) -> Path:
    """The ReachQA authors' evaluation layout: data.json + images/."""
    (root / "images").mkdir(parents=True)
    recs = []
    for i, c in enumerate(charts):
        (root / "images" / f"{i:05d}.png").write_bytes(c)
        recs.append({"question": f"What is the value of bar {i}?", "answer": str(i + 1),
                     "image": f"images/{i:05d}.png", "split": "Reasoning" if i % 2 else "Recognizing"})
    (root / "data.json").write_text(json.dumps(recs))
    return root
