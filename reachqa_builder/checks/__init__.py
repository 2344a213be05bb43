"""Checks that trust nothing but the chart's own code and pixels.

* :mod:`.answers`: the numbers a recognition answer states, matched against the values the
  figure plots (read in the render worker); verdict supported / contradicted / not_checkable.
* :mod:`.program`: optional, with a model: the LLM writes a program computing the answer from the
  chart's data; it runs in the render sandbox and its result is compared with the answer.
* :mod:`.lint`: the render-time layout flags (``RenderRecord.lint``) summarised per kind.
* :mod:`.similarity`: MinHash over code / question shingles and perceptual image hashes, for
  near-duplicates inside a dataset and overlap with benchmarks (``reachqa decontaminate``).
"""
