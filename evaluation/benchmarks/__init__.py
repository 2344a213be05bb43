"""Chart benchmarks mapped to one schema (id, image, question, answer, subset).

    from evaluation.benchmarks import load_benchmark, list_benchmarks
    for sample in load_benchmark("chartqa", "/data/ChartQA/test", limit=10):
        ...
"""

from .registry import (BenchmarkSpec, Sample, UnknownBenchmarkError, get_benchmark, list_benchmarks,
                       load_benchmark, parse_benchmark_list)

__all__ = ["BenchmarkSpec", "Sample", "UnknownBenchmarkError", "get_benchmark", "list_benchmarks",
           "load_benchmark", "parse_benchmark_list"]
