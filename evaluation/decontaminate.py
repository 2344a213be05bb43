"""``reachqa decontaminate``: what a chart dataset shares with evaluation benchmarks, or with itself.

Examples::

    reachqa decontaminate ../shared/reachqa-data --split train --against-data ../shared/reachqa-data --against-split test
    reachqa decontaminate my-synthetic-charts --benchmark reachqa,chartqa=/data/ChartQA/test --drop-to clean/
    reachqa decontaminate ../shared/reachqa-data --split test --within --no-images

The checks live in :mod:`reachqa_builder.checks` (MinHash over code shingles, question word
n-grams, perceptual image hashes); this module adds the benchmark registry, which the builder
package may not import.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from reachqa_builder.render.settings import add_render_flags


def benchmark_corpus(name: str, source: str | None, *, images: bool, limit: int | None = None,
                     render_env: str | None = None):
    """A benchmark from the registry as a corpus: one chart per distinct image, one question per sample."""
    from reachqa_builder.checks.contamination import Corpus
    from reachqa_builder.checks.similarity import image_hash

    from .benchmarks import load_benchmark

    corpus = Corpus(f"benchmark {name}")
    seen: dict[str, str] = {}
    options = {"render_env": render_env} if render_env else {}
    for sample in load_benchmark(name, source, limit=limit, **options):
        digest = hashlib.sha256(sample.image).hexdigest()
        chart = seen.get(digest)
        if chart is None:
            chart = seen[digest] = f"{name}/{sample.id}"
            corpus.chart_ids.append(chart)
            if images:
                corpus.image_hashes[chart] = image_hash(sample.image)
        corpus.question_ids.append(f"{name}/{sample.id}")
        corpus.question_texts.append(sample.question)
        corpus.question_charts.append(chart)
    return corpus


def run(args) -> int:
    from reachqa_builder.checks.contamination import OverlapSettings, compare, format_overlap, within
    from reachqa_builder.checks.corpus import load_corpus, write_filtered
    from reachqa_builder.render.settings import render_settings_from_args
    from reachqa_builder.layout import LayoutError

    from .benchmarks import UnknownBenchmarkError, parse_benchmark_list

    if args.drop_to and args.sample:
        print("reachqa decontaminate: error: --drop-to needs the whole dataset (no --sample)", file=sys.stderr)
        return 2
    if not (args.benchmark or args.against_data or args.within):
        print("reachqa decontaminate: name something to compare with: --benchmark, --against-data or --within",
              file=sys.stderr)
        return 2
    settings = render_settings_from_args(args)
    thresholds = OverlapSettings(code_threshold=args.code_threshold, question_threshold=args.question_threshold,
                                 ngram=args.ngram, image_max_distance=args.image_distance)
    try:
        benchmarks = parse_benchmark_list(args.benchmark) if args.benchmark else []
        dataset, _ = load_corpus(args.data_dir, args.split, images=not args.no_images, settings=settings,
                                 name=f"{args.data_dir}" + (f" ({args.split})" if args.split else ""),
                                 sample=args.sample, seed=args.seed)
        overlaps = []
        if args.within:
            overlaps.append(within(dataset, thresholds))
        if args.against_data:
            ref, _ = load_corpus(args.against_data, args.against_split, images=not args.no_images, settings=settings,
                                 name=f"{args.against_data}" + (f" ({args.against_split})" if args.against_split else ""))
            overlaps.append(compare(dataset, ref, thresholds))
        for name, source in benchmarks:
            overlaps.append(compare(dataset, benchmark_corpus(name, source, images=not args.no_images,
                                                                   render_env=settings.env), thresholds))
    except (LayoutError, UnknownBenchmarkError, FileNotFoundError, ValueError) as exc:
        print(f"reachqa decontaminate: error: {exc}", file=sys.stderr)
        return 2
    summaries = [o.summary(examples=args.examples) for o in overlaps]
    for s in summaries:
        print(format_overlap(s))
    drop_charts = set().union(*(o.matched_charts for o in overlaps))
    drop_questions = set().union(*(o.matched_questions for o in overlaps))
    print(f"matched: {len(drop_charts)} charts, {len(drop_questions)} questions")
    report = {"overlaps": summaries, "pairs": [{"reference": o.reference, "code": o.code, "image": o.image,
                                                "question": o.question} for o in overlaps],
              "matched_charts": sorted(drop_charts), "matched_questions": sorted(drop_questions)}
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.drop_to:
        if Path(args.drop_to).exists() and any(Path(args.drop_to).iterdir()):
            print(f"reachqa decontaminate: error: {args.drop_to} exists and is not empty", file=sys.stderr)
            return 2
        counts = write_filtered(args.data_dir, args.split, args.drop_to, drop_charts, drop_questions)
        print(f"wrote {args.drop_to}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    return 0


def configure(parser: argparse.ArgumentParser) -> None:
    """Compare a chart dataset with benchmarks (or another split, or itself): shared questions, near-duplicate code and images.

    Questions match when they share a word 8-gram; chart code when its token 5-gram shingles
    have a Jaccard similarity of at least 0.8 (MinHash LSH proposes, the exact Jaccard decides);
    images when their 256-bit perceptual hashes differ in at most 16 bits. --drop-to writes a
    copy of the dataset without what matched.
    """
    parser.add_argument("data_dir", help="the dataset: a ReachQA data/ root or one split folder")
    parser.add_argument("--split", help="the one split of a data root to check")
    parser.add_argument("--benchmark", help="benchmarks from the registry, e.g. 'reachqa,chartqa=/data/ChartQA/test'")
    parser.add_argument("--against-data", help="another ReachQA-layout folder to compare with (e.g. a test split)")
    parser.add_argument("--against-split", help="the one split of --against-data to use")
    parser.add_argument("--sample", type=int, help="check only this many charts per split of the dataset, drawn "
                                                   "with --seed, and their questions (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--within", action="store_true", help="also report near-duplicates inside the dataset")
    parser.add_argument("--no-images", action="store_true", help="skip the image check (no rendering)")
    parser.add_argument("--code-threshold", type=float, default=0.8, help="code shingle Jaccard (default 0.8)")
    parser.add_argument("--question-threshold", type=float, default=0.8,
                        help="question 3-gram Jaccard for --within (default 0.8)")
    parser.add_argument("--ngram", type=int, default=8, help="shared question word n-gram length (default 8)")
    parser.add_argument("--image-distance", type=int, default=16, help="perceptual-hash bits (default 16 of 256)")
    parser.add_argument("--examples", type=int, default=5, help="example pairs per check in the summary")
    parser.add_argument("--out", help="write the full report (every pair) as JSON")
    parser.add_argument("--drop-to", help="write a copy of the dataset without the matched charts and questions")
    add_render_flags(parser, "rendering (for image hashes; from the render cache when present)")
    parser.set_defaults(run=run)
