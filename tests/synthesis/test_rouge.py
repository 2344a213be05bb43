"""Our ROUGE-L F against the reference implementation (rouge_score, no stemming)."""

import random

from rouge_score import rouge_scorer

from synthesis.rouge import rouge_l_f

WORDS = ["the", "value", "of", "2015", "What", "is", "chart's", "largest", "bar", "in", "Which", "x-axis",
         "label", "sum", "average", "rate", "%", "CO2", "Q3", "growth", "e.g.", "—", "über"]


def test_matches_rouge_score():
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    rng = random.Random(0)
    pairs = [("What is the value of Series A in 2015?", "What is the value of Series A in the year 2015?"),
             ("", "x"), ("?!", "..."), ("Same text", "same TEXT")]
    pairs += [(" ".join(rng.choices(WORDS, k=rng.randint(0, 14))), " ".join(rng.choices(WORDS, k=rng.randint(0, 14))))
              for _ in range(500)]
    for a, b in pairs:
        assert abs(rouge_l_f(a, b) - scorer.score(a, b)["rougeL"].fmeasure) < 1e-12, (a, b)
