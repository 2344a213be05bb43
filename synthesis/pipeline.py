"""Running the stages: the full streaming pipeline and single stages on an existing folder.

Full run (:func:`run_pipeline`): each *lineage* ``i`` is one task: self-instruct -> execute, then
concurrently the easy chart's rate -> qa -> check and (for ``evolve_ratio`` of lineages) an
evolved chart's evol-instruct -> execute -> rate -> qa -> check. Lineages start while the charts
kept so far plus the expected yield of running lineages is below ``num_charts``; the one
:class:`RequestLimiter` bounds requests in flight across every stage and server, and there are
no batch barriers. When ``num_charts`` charts are kept, running lineages are cancelled (their
finished steps stay in the journals) and the output is written.

Single stage (:func:`run_stage`): the stage's inputs come from the previous stage's journal in
``<data-dir>/work/`` or, for a plain ReachQA folder (e.g. the released data), from its
``plot_info``, code, images and Q&A file. Results go to ``<out>/work/<stage>.jsonl``.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import math
import os
import random
import sys
from pathlib import Path
from typing import Any

from reachqa_builder.llm import APIClient, ReplyCache, RequestLimiter, Usage

from .config import STAGES, SynthesisConfig
from reachqa_builder.render.terminal import printable
from reachqa_builder.synthesis_format import iter_records, journal_path, pairs_dropped, record_code, write_run_record, write_summary

from .items import ChartItem
from .output import write_layout
from .progress import ProgressDisplay
from .render_service import RenderService
from .seeds import DemoPool, load_seeds, resolve_seed_dir
from .stages import Stages, seed_of, accepted_demo


def _clients(cfg: SynthesisConfig, work: Path, usage: Usage) -> tuple[APIClient | None, APIClient | None, list,
                                                                     RequestLimiter]:
    """Clients of the code model, the Q&A model and the raters (one per distinct server)."""
    limiter = RequestLimiter(cfg.concurrency, cfg.client.rpm, cfg.client.tpm)
    cache = ReplyCache(work / "api-cache.sqlite", enabled=not cfg.client.no_cache)
    gen = qa = None
    if cfg.model:
        gen = APIClient(cfg.api_config(cfg.base_url, cfg.api_key),
                        limiter=limiter, cache=cache, usage=usage)
    qa_key = cfg.qa_api_key if cfg.qa_api_key is not None else os.environ.get("QA_API_KEY", cfg.api_key)
    if cfg.qa_model:
        qa = gen if (cfg.qa_base_url in (None, cfg.base_url) and qa_key == cfg.api_key and gen is not None) else \
            APIClient(cfg.api_config(cfg.qa_base_url or cfg.base_url, qa_key),
                      limiter=limiter, cache=cache, usage=usage)
    rater_key = cfg.rater_api_key
    if rater_key is None:
        rater_key = os.environ.get("RATER_API_KEY", cfg.api_key)
    raters, by_url = [], {}
    for model, url in cfg.raters():
        if url not in by_url:
            by_url[url] = APIClient(cfg.api_config(url, rater_key),
                                    limiter=limiter, cache=cache, usage=usage)
        raters.append((model, by_url[url]))
    if cfg.batch:  # one batch client per server (its own journal in work/), shared like the clients
        batched: dict[int, Any] = {}
        gen, qa = (_batched(c, cfg, work, batched) for c in (gen, qa))
        raters = [(m, _batched(c, cfg, work, batched)) for m, c in raters]
    return gen, qa, raters, limiter


def _batched(client: APIClient | None, cfg: SynthesisConfig, work: Path, made: dict):
    from reachqa_builder.llm.batch import BatchClient

    if client is None:
        return None
    if id(client) not in made:
        digest = hashlib.sha256(client.endpoint.encode()).hexdigest()[:10]
        made[id(client)] = BatchClient(client, work / "api" / f"batches-{digest}.jsonl", window=cfg.batch_window,
                                       max_requests=cfg.batch_max_requests, poll_interval=cfg.batch_poll)
    return made[id(client)]


class _Run:
    """Shared set-up of full and single-stage runs."""

    def __init__(self, cfg: SynthesisConfig, stage_names: list[str], target: int | None = None) -> None:
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.work = self.out / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.usage = Usage()
        self.gen, self.qa, self.raters, self.limiter = _clients(cfg, self.work, self.usage)
        self.progress = ProgressDisplay(stage_names, self.usage, enabled=cfg.progress, target=target)
        self.render = RenderService(self.work / "renders", cfg.render)
        self.stages = Stages(cfg, self.work, self.gen, self.raters, render=self.render,
                             on_event=self.progress.event, qa_client=self.qa)

    async def ticker(self) -> None:
        while True:
            self.progress.tick()
            await asyncio.sleep(0.5)

    async def close(self) -> None:
        self.progress.close()
        self.stages.close()
        clients = [self.gen, self.qa] + [c for _, c in self.raters]
        for c in {id(c): c for c in clients if c is not None}.values():
            await c.close()

    def batch_stats(self) -> dict | None:
        """What the Batch API clients did (``--batch``), summed over servers."""
        clients = {id(c): c for c in [self.gen, self.qa] + [c for _, c in self.raters] if hasattr(c, "stats")}
        if not clients:
            return None
        total: dict = {}
        for c in clients.values():
            for k, v in c.stats.summary().items():
                if isinstance(v, dict):
                    total.setdefault(k, {})
                    for reason, n in v.items():
                        total.setdefault(k, {})[reason] = total.get(k, {}).get(reason, 0) + n
                else:
                    total[k] = total.get(k, 0) + v
        return total

    def save_run_info(self, mode: str) -> None:
        write_run_record(self.work, mode, run_settings(self.cfg, mode))


def run_settings(cfg: SynthesisConfig, mode: str) -> dict[str, Any]:
    """The run record of ``work/run-<mode>.json``: the settings, the mode and the prompts' version."""
    from . import prompts

    return dict(cfg.settings_record(), mode=mode, prompt_version=prompts.PROMPT_VERSION)


def _require(cfg: SynthesisConfig, generator: bool, raters: bool, check: bool = False) -> None:
    if generator and not cfg.model:
        raise ValueError("this stage needs a generator model: pass --model (and --base-url)")
    if raters and not cfg.rater_model:
        raise ValueError("this stage needs at least one MLLM rater: pass --rater-model (and --rater-base-url)")
    if check and cfg.reject_rule == "at-least" and len(cfg.rater_model) < cfg.reject_threshold:
        raise ValueError(
            f"the Q&A check drops a pair only when {cfg.reject_threshold} raters reject it (the paper's rule), so with "
            f"{len(cfg.rater_model)} rater(s) it could never drop one: give {cfg.reject_threshold} or more "
            f"--rater-model, or --reject-rule capped (a pair goes when every rater that answered rejects it)")


async def run_pipeline(cfg: SynthesisConfig) -> dict[str, Any]:
    """The full run (see module docstring); returns the summary."""
    _require(cfg, generator=True, raters=True, check=True)
    run = _Run(cfg, list(STAGES[:-1]), target=cfg.num_charts)
    run.save_run_info("full")
    run.stages.pool_factory = lambda: _demo_pool(cfg, run.stages)
    lineages = _Lineages(run)
    await lineages.run_until_target()
    counts = write_layout(run.out, journal_path(run.work, "check"), cfg.id_prefix, limit=cfg.num_charts)
    summary = summarize(run.work, run.usage, counts, target=cfg.num_charts, stages_state=run.stages)
    summary["lineages"] = {"started": lineages.started, "budget": lineages.budget}
    summary["reserve"] = reserve(run.work, counts["charts"])
    if cfg.batch:
        summary["batch"] = run.batch_stats()
    summary["seeds"] = getattr(run.stages, "seed_source", None)
    write_summary(run.out, summary)
    return summary


class _Lineages:
    """The full run's scheduling: self-instruct lineages (an easy chart and, maybe, its evolved hard
    version, each through execute, rate, Q&A and check) started until enough charts are kept.

    The output is the first ``num_charts`` kept charts in lineage order, and the run stops once the
    lineages up to them have all settled: which charts a run keeps never depends on which finished
    first (an Easy chart needs fewer calls than its Hard twin), so the Easy/Hard mix is the rate at
    which each level passes the filters, whatever the run size. A rerun walks the lineages again;
    finished steps are journal hits and cost nothing."""

    def __init__(self, run: _Run) -> None:
        self.run, self.cfg, self.st = run, run.cfg, run.stages
        self.target = self.cfg.num_charts
        self.budget = max(1, math.ceil(self.target * self.cfg.max_attempts_factor))
        self.max_active = max(4, 2 * (self.cfg.batch_max_requests if self.cfg.batch else self.cfg.concurrency))
        self.kept_by: collections.Counter = collections.Counter()  # lineage -> charts kept (this folder)
        self.settled: set[int] = set()
        self.prefix = 0       # lineages 0 .. prefix-1 have all settled
        self.prefix_kept = 0  # charts they kept
        self.finished = 0
        self.started = 0

    @property
    def kept(self) -> int:
        return sum(self.kept_by.values())

    def _settle(self, i: int) -> None:
        self.settled.add(i)
        self.finished += 1
        while self.prefix in self.settled:
            self.prefix_kept += self.kept_by[self.prefix]
            self.prefix += 1

    async def run_until_target(self) -> None:
        """Keep lineages in flight while the expected yield falls short of the target; a failed task
        (a bug or an infrastructure failure) stops the run, which can be resumed."""
        active: dict[asyncio.Task, int] = {}
        ticker = asyncio.create_task(self.run.ticker())
        try:
            while self.prefix_kept < self.target:
                # charts per lineage, with the prior that both charts of a lineage pass
                est = max(0.05, (self.kept + 1 + self.cfg.evolve_ratio) / (self.finished + 1))
                while (self.started < self.budget and len(active) < self.max_active and self.st.outage is None
                       and self.kept + len(active) * est < self.target):
                    task = asyncio.create_task(self.lineage(self.started), name=f"lineage-{self.started}")
                    active[task] = self.started
                    self.started += 1
                if not active:
                    break
                done, _ = await asyncio.wait(active, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
                for t in done:
                    self._settle(active.pop(t))
                _raise_first(done)
                self.run.progress.kept = min(self.prefix_kept, self.target)
        finally:
            for t in active:
                t.cancel()
            await asyncio.gather(*active, return_exceptions=True)
            ticker.cancel()
            await self.run.close()

    async def lineage(self, i: int) -> None:
        """The Easy chart and (for ``evolve_ratio`` of lineages) its evolved Hard twin advance
        independently: each is kept as soon as its own stages pass, so a run that stops at the
        target keeps both levels in the proportion they pass the filters (the paper's mix)."""
        st = self.st
        item = await st.self_instruct(i)
        if item is None:
            return
        evolve = random.Random(seed_of(self.cfg.seed, item.id, "evolve?")).random() < self.cfg.evolve_ratio
        if item.code is not None:
            # the paper evolves every extracted self-instruct script, whether or not it runs
            await asyncio.gather(self.easy(item), *([self.evolved(item)] if evolve else []))
            return
        # no usable code block: dropped, or fixed first (--unextracted fix) and evolved from the fix
        executed = await self.executed(item)
        if executed is not None:
            await asyncio.gather(self.tail(executed), *([self.evolved(executed)] if evolve else []))

    async def easy(self, item: ChartItem) -> None:
        item = await self.executed(item)
        if item is not None:
            await self.tail(item)

    async def executed(self, item: ChartItem) -> ChartItem | None:
        item = await self.st.execute(item)
        if item is not None:
            self.st.accept_demo(item)
        return item

    async def evolved(self, source: ChartItem) -> None:
        item = await self.st.evol_instruct(source)
        if item is not None:
            item = await self.st.execute(item)
        if item is not None:
            self.st.accept_demo(item)
            await self.tail(item)

    async def tail(self, item: ChartItem) -> None:
        """Rate, Q&A and check; a kept chart counts toward the target."""
        for step in (self.st.rate, self.st.qa, self.st.check):
            item = await step(item)
            if item is None:
                return
        self.kept_by[int(item.id[1:].rstrip("e"))] += 1  # c00012 / c00012e: lineage 12


def _demo_pool(cfg: SynthesisConfig, st: Stages) -> DemoPool:
    """Seeds (the run says which) plus every chart already accepted in this folder."""
    folder, described = resolve_seed_dir(cfg.seed_dir)
    seeds = load_seeds(folder)
    print(f"seeds: {len(seeds)} {described}", file=sys.stderr)
    st.seed_source = {"folder": str(folder), "count": len(seeds), "described": described}
    pool = DemoPool(seeds)
    for rec in st.journals["execute"].ok():
        pool.add(accepted_demo(st.loaded(rec)))
    return pool


# -- single stages -------------------------------------------------------------------------

PREVIOUS = {"evol-instruct": ["self-instruct"], "execute": ["self-instruct", "evol-instruct"], "rate": ["execute"],
            "qa": ["rate"], "check": ["qa"]}


def _layout_items(src: Path, with_qa: bool) -> list[ChartItem]:
    """Charts of a ReachQA folder as pipeline items (ids = chart ids of ``plot_info``)."""
    from reachqa_builder.layout import find_splits, read_charts, read_code, read_qa

    items = []
    for split in find_splits(src):
        charts = read_charts(split)
        pairs: dict[str, list] = collections.defaultdict(list)
        if with_qa:
            if split.qa_file is None:
                raise ValueError(f"{split.root}: no Q&A file (instruction_data*.json) to check")
            for q in read_qa(split, {c.id for c in charts}):
                pairs[q.chart_id].append({"question": q.question, "answer": q.answer, "QA_type": q.qa_type,
                                          "source_id": q.id})
        for c in charts:
            fields = {"code": read_code(c), "level": c.level, "major_chart_type": c.major_chart_type,
                      "minor_chart_type": c.minor_chart_type,
                      "provenance": dict(c.extra.get("provenance") or {}, plot_model=c.plot_model,
                                         source=str(split.root))}
            image = split.root / "images" / f"{c.code_path.stem}.jpg"
            if image.is_file():
                fields["image"] = str(image.resolve())
            if with_qa:
                fields["qa"] = pairs.get(c.id, [])
            items.append(ChartItem(c.id, fields))
    return items


def load_inputs(stage: str, src: Path):
    """Inputs of ``stage`` from ``src/work`` journals (read lazily, one record at a time), else
    from ``src`` as a ReachQA folder."""
    work = src / "work"
    journals = [journal_path(work, p) for p in PREVIOUS[stage]]
    if any(p.exists() for p in journals):
        return _journal_inputs(stage, src, journals)
    if not src.exists():
        raise ValueError(f"--data-dir {src} does not exist")
    return _layout_items(src, with_qa=stage == "check")


def _journal_inputs(stage: str, src: Path, journals: list[Path]):
    for path in journals:
        for r in iter_records(path, "ok"):
            if stage == "evol-instruct" and "code_file" not in r:
                continue  # evolution needs a self-instruct script with a usable code block
            if "code_file" in r:  # paths in journals are relative to their own folder
                r["code"] = record_code(r, src)
                del r["code_file"]
            if "image" in r:
                image = src / r["image"]  # an absolute path (older single-stage journals) stays as it is
                if not image.is_file():
                    raise ValueError(f"{path}: record {r.get('id')!r}: image {r['image']} not found (moved or "
                                     f"deleted: rerun the stage that wrote {path.name})")
                r["image"] = str(image.resolve())
            yield ChartItem.from_record(r)


async def run_stage(stage: str, cfg: SynthesisConfig) -> dict[str, Any]:
    """One stage alone (see module docstring); returns the summary."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    out = Path(cfg.out)
    if stage == "output":
        checked = journal_path(out / "work", "check")
        if next(iter_records(checked, "ok"), None) is None:
            raise ValueError(f"{out / 'work'}: no checked charts to write (run the check stage first)")
        counts = write_layout(out, checked, cfg.id_prefix, limit=cfg.num_charts)
        summary = summarize(out / "work", None, counts)
        write_summary(out, summary)
        return summary
    _require(cfg, generator=stage in ("self-instruct", "evol-instruct", "qa"), raters=stage in ("rate", "check"),
             check=stage == "check")
    src = Path(cfg.data_dir or cfg.out)
    inputs = [] if stage == "self-instruct" else load_inputs(stage, src)
    run = _Run(cfg, [stage])
    run.save_run_info(stage)
    st = run.stages
    if stage == "self-instruct":
        st.pool_factory = lambda: _demo_pool(cfg, st)

    async def one(x) -> None:
        if stage == "self-instruct":
            await st.self_instruct(x)
            return
        if stage in ("rate", "qa", "check") and x.image is None:
            rec = await run.render.render(x.id, x.code)  # a plain folder without images
            if rec.status != "ok":
                print(printable(f"{x.id}: cannot render ({rec.error}); skipped"), file=sys.stderr)
                return
            x = x.advanced(image=str(Path(rec.image).resolve()))
        method = {"evol-instruct": st.evol_instruct, "execute": st.execute, "rate": st.rate,
                  "qa": st.qa, "check": st.check}[stage]
        await method(x)

    ticker = asyncio.create_task(run.ticker())
    try:
        jobs = range(cfg.num_charts) if stage == "self-instruct" else inputs
        jobs = (j for j in jobs if st.outage is None)  # after an outage, nothing new starts
        await _bounded(jobs, one, max(4, 2 * cfg.concurrency))
    finally:
        ticker.cancel()
        await run.close()
    summary = summarize(run.work, run.usage, None, stages=[stage], stages_state=st)
    if cfg.batch:
        summary["batch"] = run.batch_stats()
    return summary


def _raise_first(done) -> None:
    """Raise the first failure among finished tasks, after every one's exception was retrieved (two
    lineages stopped by the same rejected key must not leave "Task exception was never retrieved")."""
    errors = [t.exception() for t in done if not t.cancelled()]
    errors = [e for e in errors if e is not None]
    if errors:
        raise errors[0]


async def _bounded(jobs, fn, width: int) -> None:
    """Run ``fn(job)`` for every job with at most ``width`` tasks alive (no batch barriers)."""
    it = iter(jobs)
    active: set[asyncio.Task] = set()
    try:
        while True:
            while len(active) < width:
                try:
                    active.add(asyncio.create_task(fn(next(it))))
                except StopIteration:
                    break
            if not active:
                return
            done, active = await asyncio.wait(active, return_when=asyncio.FIRST_COMPLETED)
            _raise_first(done)
    finally:
        for t in active:
            t.cancel()
        await asyncio.gather(*active, return_exceptions=True)


# -- summary -------------------------------------------------------------------------------

def summarize(work: Path, usage: Usage | None, counts: dict | None, target: int | None = None,
              stages: list[str] | None = None, stages_state=None) -> dict[str, Any]:
    """Kept and dropped items per stage, drops by reason, Q&A pairs dropped, API usage, and the
    items an outage left pending in this run (``stages_state``: the run's :class:`Stages`)."""
    per_stage, pairs = {}, collections.Counter()
    for stage in stages or [s for s in STAGES if s != "output"]:
        reasons, ok = collections.Counter(), 0
        for r in iter_records(journal_path(work, stage)):  # one record at a time
            if r.get("status") != "ok":
                reasons[r.get("reason", "?")] += 1
                continue
            ok += 1
            pairs.update(pairs_dropped(stage, r))
        per_stage[stage] = {"ok": ok, "dropped": dict(reasons)}
    out: dict[str, Any] = {"stages": per_stage, "qa_pairs_dropped": dict(pairs)}
    if stages_state is not None:
        out["pending"] = dict(stages_state.pending)
        out["outage"] = stages_state.outage
    if counts is not None:
        out["output"] = counts
    if target is not None:
        out["target_charts"] = target
    if usage is not None:
        out["api"] = usage.summary()
    return out


def reserve(work: Path, written: int) -> dict[str, int]:
    """Charts that passed rating (or every stage) past what the output holds: their paid work stays
    in the journals, and a rerun with a larger ``--num-charts`` finishes them before any new chart."""
    checked = {r["id"] for r in iter_records(journal_path(work, "check"))}
    checked_ok = sum(1 for _ in iter_records(journal_path(work, "check"), "ok"))
    rated = sum(1 for r in iter_records(journal_path(work, "rate"), "ok") if r["id"] not in checked)
    return {"kept": max(0, checked_ok - written), "rated": rated}


def mix_line(levels: dict[str, int]) -> str:
    total = sum(levels.values())
    if not total:
        return "mix: no charts"
    easy = levels.get("Easy", 0)
    rest = ", ".join(f"{n} {lvl}" for lvl, n in sorted(levels.items()) if lvl != "Easy")
    return f"mix: {easy} Easy, {rest or '0 Hard'} ({100 * easy / total:.0f}% Easy; released data: about 60%)"


def format_summary(summary: dict[str, Any]) -> str:
    lines = ["stage          kept  dropped  reasons"]
    for stage, s in summary["stages"].items():
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(s["dropped"].items())) or "-"
        lines.append(f"{stage:<13} {s['ok']:>5}  {sum(s['dropped'].values()):>7}  {reasons}")
    if summary.get("qa_pairs_dropped"):
        lines.append("Q&A pairs dropped: " + ", ".join(f"{k}={v}" for k, v in summary["qa_pairs_dropped"].items()))
    if "output" in summary:
        o = summary["output"]
        tgt = f" of {summary['target_charts']} wanted" if "target_charts" in summary else ""
        lines.append(f"output: {o['charts']} charts{tgt}, {o['qa_pairs']} Q&A pairs")
        if "levels" in o:
            lines.append(mix_line(o["levels"]))
    res = summary.get("reserve") or {}
    if res.get("kept") or res.get("rated"):
        lines.append(f"reserve: {res['kept']} kept and {res['rated']} rated charts past the target stay in work/; "
                     f"a rerun with a larger --num-charts finishes them first")
    if summary.get("pending"):
        lines.append("pending (not dropped, retried by the next run): "
                     + ", ".join(f"{k}={v}" for k, v in summary["pending"].items()))
    if summary.get("batch"):
        b = summary["batch"]
        lines.append(f"batch API: {b['batches']} batches ({b['resumed']} resumed), {b['requests']} requests, "
                     f"{b['replies']} replies, fallbacks to direct calls: "
                     + (", ".join(f"{k}={v}" for k, v in sorted(b["fallbacks"].items())) or "none"))
    if "api" in summary:
        a = summary["api"]
        lines.append(f"api: {a['requests']} requests, {a['cache_hits']} cache hits, {a['failures']} failed calls, "
                     f"{a['prompt_tokens'] + a['completion_tokens']} tokens, retries {a['retries'] or 0}")
    return "\n".join(lines)
