"""Final-answer extraction: a table of model replies, the answer a careful reader takes from each,
and the rule (:data:`EXTRACTION_RULES`) that case exercises. Also through the ``reachqa judge``
route (relaxed scores of extracted answers) and the metric's ``extract_answer`` option."""

from __future__ import annotations

import collections

import pytest

from reachqa_builder.scoring.relaxed import EXTRACTION_RULES, extract_final_answer, relaxed_match

MC = ["Yes", "No"]
ABCD = ["12", "15", "red bar", "blue bar"]

# reply, choices, extracted answer, rule
CASES = [
    # reasoning-model output
    ("<think>The bars are 3 and 5, so 8? No, 7.</think>The answer is 7.", None, "7", "reasoning"),
    ("<think>long reasoning with the answer is 3</think>\n<answer>42</answer>", None, "42", "reasoning"),
    ("<answer>\\boxed{12.5}</answer>", None, "12.5", "reasoning"),
    ("<think>step</think><think>step 2: answer: 9</think>\n**Final Answer:** 8", None, "8", "reasoning"),
    ("<think>counting the bars... the answer is 4 maybe", None, "", "reasoning"),
    ("Reasoning...\n<answer> Blue </answer>", None, "Blue", "reasoning"),
    # boxed
    ("so we get \\boxed{3.5} in the end", None, "3.5", "boxed"),
    ("first \\boxed{1}, then corrected: \\boxed{2}", None, "2", "boxed"),
    ("Hence \\boxed{{7}}", None, "7", "boxed"),
    ("The final answer is \\fbox{Apple}", None, "Apple", "boxed"),
    # markers
    ("Step 1 ... Step 2 ...\nThe answer is 42.", None, "42", "marker"),
    ("So the answer is: 42", None, "42", "marker"),
    ("reasoning\nFinal answer: Blue", None, "Blue", "marker"),
    ("Let me count.\nFinal Answer: 12", None, "12", "marker"),
    ("Final Answer: The answer is 42", None, "42", "marker"),
    ("Final answer: the answer is 2019.", None, "2019", "marker"),
    ("**Answer**: 17", None, "17", "marker"),
    ("Looking at the chart...\n**Answer:** Germany", None, "Germany", "marker"),
    ("The answer is 3. Wait, the answer is 4.", None, "4", "marker"),
    ("The correct answer is Tuesday", None, "Tuesday", "marker"),
    # bullets
    ("Final answer:\n- Apple\n- Banana", None, "Apple, Banana", "bullets"),
    ("The answer is:\n1. 2018\n2. 2020\n\nThese are the years.", None, "2018, 2020", "bullets"),
    ("Answer: - 35", None, "-35", "bullets"),
    ("Final answer:\n\n* Q1\n* Q2\n* Q3", None, "Q1, Q2, Q3", "bullets"),
    ("- The answer is 12", None, "12", "bullets"),
    # trailing explanation
    ("The answer is 42 because the red bar reaches 42.", None, "42", "trailing"),
    ("The answer is 7. The other bars are lower.", None, "7", "trailing"),
    ("Final answer: 3.5; the rest is noise", None, "3.5", "trailing"),
    ("The answer is Canada, which has the highest value.", None, "Canada", "trailing"),
    ("The answer is 12.5 since the line peaks there", None, "12.5", "trailing"),
    # no marker / conclusion
    ("just the last line\n17", None, "17", "conclusion"),
    ("The bars are 3, 4 and 5.\nTherefore, the largest value is 5.", None, "5", "conclusion"),
    ("Thus the difference between A and B is 12.", None, "12", "conclusion"),
    ("So the total equals 250", None, "250", "conclusion"),
    ("Comparing the two lines.\nIn conclusion, the trend is increasing.", None, "increasing", "conclusion"),
    ("Blue", None, "Blue", "conclusion"),
    # LaTeX
    ("\\boxed{42\\%}", None, "42%", "latex"),
    ("\\boxed{\\text{Germany}}", None, "Germany", "latex"),
    ("\\boxed{12 \\text{ million}}", None, "12  million", "latex"),
    ("thus \\boxed{\\frac{1}{2}}.", None, "1/2", "latex"),
    ("The answer is $42$.", None, "42", "latex"),
    ("\\boxed{\\mathrm{CO_2}}", None, "CO_2", "latex"),
    # brackets
    ("The answer is [42].", None, "42", "brackets"),
    ("Final answer: (B)", None, "B", "brackets"),
    ("The answer is [50, 100].", None, "[50, 100]", "brackets"),
    ("Answer: {7}", None, "7", "brackets"),
    # number notation
    ("The answer is −3.5", None, "-3.5", "number-notation"),
    ("\\boxed{−12}", None, "-12", "number-notation"),
    ("The answer is 1.5 × 10^3.", None, "1.5e3", "number-notation"),
    ("\\boxed{2.4 \\times 10^{-3}}", None, "2.4e-3", "number-notation"),
    ("Answer: 3x10^4", None, "3e4", "number-notation"),
    ("Final answer: 3/4", None, "3/4", "number-notation"),
    # qualifiers only before numbers
    ("**Final Answer:** approximately 42", None, "42", "qualifier"),
    ("The answer is approximately 3.5 million", None, "3.5 million", "qualifier"),
    ("The answer is about 17%.", None, "17%", "qualifier"),
    ("approximately 42", None, "42", "qualifier"),
    ("~ 5.2", None, "5.2", "qualifier"),
    ("The answer is About the same", None, "About the same", "qualifier"),
    ("Almost always", None, "Almost always", "qualifier"),
    ("Nearly half", None, "Nearly half", "qualifier"),
    ("Final answer: around −4", None, "-4", "qualifier"),
    # options
    ("The answer is B.", MC, "No", "options"),
    ("Final answer: (A)", MC, "Yes", "options"),
    ("\\boxed{D}", ABCD, "blue bar", "options"),
    ("Answer: Option C", ABCD, "red bar", "options"),
    ("The answer is C. red bar", ABCD, "red bar", "options"),
    ("The answer is red BAR", ABCD, "red bar", "options"),
    ("The answer is 15", ABCD, "15", "options"),
    ("The answer is A lot", ABCD, "A lot", "options"),
    # nothing to take
    ("", None, "", "conclusion"),
]


@pytest.mark.parametrize("reply,choices,answer,rule", CASES)
def test_extraction_table(reply, choices, answer, rule):
    assert rule in EXTRACTION_RULES
    assert extract_final_answer(reply, choices) == answer


def test_every_rule_has_cases():
    counts = collections.Counter(rule for *_, rule in CASES)
    assert set(counts) == set(EXTRACTION_RULES)
    assert min(counts.values()) >= 4


@pytest.mark.parametrize("reply,target", [
    ("Final Answer: The answer is 42", "42"),
    ("\\boxed{42\\%}", "42"),
    ("\\boxed{42\\%}", "0.42"),
    ("The answer is −3.5", "-3.5"),
    ("The answer is 1.5 × 10^3.", "1500"),
    ("Final answer: 3/4", "0.75"),
    ("<think>maybe 3</think><answer>7</answer>", "7"),
])
def test_extracted_answers_score_under_the_relaxed_rule(reply, target):
    assert relaxed_match(extract_final_answer(reply), target)


def test_short_answers_are_not_mangled_on_the_judge_route(tmp_path, capsys):
    """`reachqa judge --no-judge` scores the short answers as given ("About the same" stays)."""
    import json

    from reachqa_builder.cli import main

    preds = tmp_path / "preds"
    preds.mkdir()
    rows = [{"id": str(i), "benchmark": "chartqa", "subset": "human", "question": "q", "answer": a, "prediction": p}
            for i, (p, a) in enumerate([("About the same", "About the same"), ("Nearly half", "Nearly half"),
                                        ("about 17", "17"), ("The answer is B.", "Yes")])]
    (preds / "chartqa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["judge", str(preds), "--no-judge", "--out", str(tmp_path / "out")]) == 0
    judged = [json.loads(ln) for ln in (tmp_path / "out" / "judged.jsonl").read_text().splitlines()]
    assert [r["extracted"] for r in judged] == ["About the same", "Nearly half", "17", "B"]
    assert [r["relaxed"] for r in judged] == [True, True, True, False]


def test_mathvista_option_letters_on_the_judge_route(tmp_path, charts):
    """Predictions written by `reachqa infer` keep MathVista's choices; `judge` maps a letter to its text."""
    import json

    from evaluation.benchmarks import load_benchmark
    from evaluation.runner import _json_meta
    from reachqa_builder.cli import main
    from tests.evaluation import benchmark_fixtures as fx

    root = fx.write_mathvista_parquet(tmp_path / "mv", charts)
    sample = [s for s in load_benchmark("mathvista", str(root)) if s.subset == "multi_choice"][0]
    preds = tmp_path / "preds"
    preds.mkdir()
    rec = {"id": sample.id, "benchmark": "mathvista", "subset": sample.subset, "question": sample.question,
           "answer": sample.answer, "prediction": "Comparing the bars... The answer is (B).",
           "meta": _json_meta(sample.meta)}
    (preds / "mathvista.jsonl").write_text(json.dumps(rec) + "\n")
    assert main(["judge", str(preds), "--no-judge", "--out", str(tmp_path / "out")]) == 0
    judged = json.loads((tmp_path / "out" / "judged.jsonl").read_text())
    assert rec["meta"]["choices"] == ["red", "blue", "green"] and judged["extracted"] == "blue"
    assert judged["relaxed"] is True
