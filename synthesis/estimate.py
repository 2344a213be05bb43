"""``reachqa synthesize --estimate``: what a run will cost before it starts (no request is sent).

Two sources, both per *kept* chart:

* **the protocol**: the calls every kept chart needs at least when every step passes (two turns of
  self-instruct, evol-instruct for ``--evolve-ratio`` of them, one rating per rater, one question
  call per Q&A type and one answer call per question, one check per rater and question);
* **a pilot**: a folder of an earlier run (``--pilot``, default ``--out`` when it holds one), whose
  ``work/api/usage.jsonl`` logs every call it really made (stage, model, tokens); its totals divided by
  the charts it kept count the drops, fixes and re-asks of real models.

Costs are the pilot's tokens times ``--price MODEL=IN,OUT`` (US$ per million prompt / completion
tokens), halved with ``--batch`` (the Batch API's discount).
"""

from __future__ import annotations

from pathlib import Path

from reachqa_builder.synthesis_format import iter_records, journal_path, usage_by_stage

from .config import STAGES, SynthesisConfig

BATCH_DISCOUNT = 0.5


def parse_prices(specs: list[str]) -> dict[str, tuple[float, float]]:
    """``["gpt-4o=2.5,10"]`` -> ``{"gpt-4o": (2.5, 10.0)}`` (US$ per million prompt, completion tokens)."""
    prices = {}
    for spec in specs:
        model, sep, rest = spec.rpartition("=")
        try:
            inp, out = (float(x) for x in rest.split(","))
        except ValueError:
            raise ValueError(f"--price {spec!r}: expected MODEL=IN,OUT (US$ per million prompt and completion "
                             f"tokens, e.g. gpt-4o=2.5,10)") from None
        if not sep or not model:
            raise ValueError(f"--price {spec!r}: expected MODEL=IN,OUT, e.g. gpt-4o=2.5,10")
        prices[model] = (inp, out)
    return prices


def protocol_requests(cfg: SynthesisConfig) -> dict[str, float]:
    """Requests per kept chart by stage when every step passes and no question is a near-duplicate."""
    raters, er, q = len(cfg.rater_model), cfg.evolve_ratio, cfg.qa_per_type
    return {"self-instruct": 2 / (1 + er), "evol-instruct": 2 * er / (1 + er), "rate": raters,
            "qa": 2 + 2 * q, "check": raters * 2 * q}


def estimate(cfg: SynthesisConfig) -> dict:
    """The estimate as a dict (see :func:`format_estimate`)."""
    prices = parse_prices(cfg.price)
    pilot = Path(cfg.pilot or cfg.out)
    usage = usage_by_stage(pilot / "work")
    kept = sum(1 for _ in iter_records(journal_path(pilot / "work", "check"), "ok")) if usage else 0
    result = {"target": cfg.num_charts, "protocol_requests_per_chart": protocol_requests(cfg),
              "pilot": str(pilot) if usage and kept else None, "pilot_charts": kept, "rows": [],
              "batch": cfg.batch, "unpriced": []}
    if not (usage and kept):
        return result
    factor = BATCH_DISCOUNT if cfg.batch else 1.0
    total_cost = 0.0
    order = {s: i for i, s in enumerate(STAGES)}
    for (stage, model), t in sorted(usage.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])):
        row = {"stage": stage, "model": model, **{k: v / kept for k, v in t.items()}}
        if model in prices:
            p_in, p_out = prices[model]
            row["cost_per_chart"] = factor * (row["prompt_tokens"] * p_in + row["completion_tokens"] * p_out) / 1e6
            total_cost += row["cost_per_chart"]
        elif model not in result["unpriced"]:
            result["unpriced"].append(model)
        result["rows"].append(row)
    per_chart = {k: sum(r[k] for r in result["rows"]) for k in ("requests", "prompt_tokens", "completion_tokens")}
    result["per_chart"] = dict(per_chart, cost=total_cost)
    result["total"] = {k: v * cfg.num_charts for k, v in result["per_chart"].items()}
    return result


def format_estimate(e: dict) -> str:
    proto = e["protocol_requests_per_chart"]
    lines = ["requests per kept chart by the protocol when every step passes and no question is dropped: "
             + ", ".join(f"{s} {n:g}" for s, n in proto.items()) + f"; {sum(proto.values()):g} in all"]
    if e["pilot"] is None:
        lines.append("no pilot: run a small one first (e.g. --num-charts 10 --out pilot) and pass --pilot pilot "
                     "for tokens and costs per chart")
        return "\n".join(lines)
    lines.append(f"pilot {e['pilot']}: {e['pilot_charts']} kept charts; per kept chart:")
    lines.append(f"  {'stage':<13} {'model':<24} {'requests':>9} {'prompt tok':>11} {'compl. tok':>11} {'US$':>9}")
    for r in e["rows"]:
        cost = f"{r['cost_per_chart']:.4f}" if "cost_per_chart" in r else "-"
        lines.append(f"  {r['stage']:<13} {r['model']:<24} {r['requests']:>9.2f} {r['prompt_tokens']:>11.0f} "
                     f"{r['completion_tokens']:>11.0f} {cost:>9}")
    pc, tot = e["per_chart"], e["total"]
    priced = "" if not e["unpriced"] else f" (no --price for {', '.join(e['unpriced'])}: not counted)"
    batch = " with the Batch API's half price" if e["batch"] else ""
    lines.append(f"per kept chart: {pc['requests']:.1f} requests, {pc['prompt_tokens']:.0f} prompt + "
                 f"{pc['completion_tokens']:.0f} completion tokens, US$ {pc['cost']:.4f}{batch}{priced}")
    lines.append(f"for {e['target']} charts: {tot['requests']:.0f} requests, {tot['prompt_tokens'] / 1e6:.2f}M prompt + "
                 f"{tot['completion_tokens'] / 1e6:.2f}M completion tokens, US$ {tot['cost']:.2f}{batch}{priced}")
    return "\n".join(lines)
