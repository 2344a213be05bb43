"""The stages of Code-as-Intermediary synthesis, one async method per stage and item.

An *item* (:class:`~synthesis.items.ChartItem`) is one chart as it moves through the pipeline:
its ``id`` and fields ``level``, ``major_chart_type``, ``minor_chart_type``, ``code``, ``image``
(after ``execute``), ``qa`` (after ``qa``) and ``provenance`` (models, protocol rules, prompt
version, sampling, demo ids, topics, backstory, evolution plan and direction, fixes, rater scores
and reasons, render environment, run seed ...). Each stage takes an item and returns the next
item, or ``None`` when it drops it (or when an outage leaves it pending); a finished item is one
line in the stage's journal (``work/<stage>.jsonl``), and ids already there are skipped, which
makes runs resumable.
Chart code is stored once, in ``work/code/<sha256>.py``; journal records name that file.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import random
from pathlib import Path
from typing import Any, Awaitable, Callable

from reachqa_builder.llm import APIClient, APIError, ChatRequest
from reachqa_builder.llm.types import image_part

from . import data_checks, prompts
from .codeutil import CodeFormatError, extract_code
from .config import SynthesisConfig
from .items import ChartItem
from reachqa_builder.fileio import atomic_write_text
from reachqa_builder.synthesis_format import STAGES as JOURNALED_STAGES, Provenance, journal_path, record_code

from .journal import Journal
from .usage_log import USAGE_FILE, UsageLog
from .rouge import rouge_l_f
from .seeds import Demo, DemoPool


_STAGE: contextvars.ContextVar[str] = contextvars.ContextVar("synthesis_stage", default="?")


class StopRun(Exception):
    """A failure that retrying cannot fix (a rejected key, a forbidden or unknown model): the run
    stops at once; the message names the server and the model."""


class Dropped(Exception):
    """An item leaves the pipeline; ``reason`` is counted in the end summary, ``extra`` (scores,
    verdicts ...) is kept in its journal record for curators."""

    def __init__(self, reason: str, detail: str = "", extra: dict | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.extra = extra or {}


def __getattr__(name: str):
    if name == "JOURNAL_NAMES":  # the journal names moved to the format, for one release
        from reachqa_builder.moved import moved_name

        return moved_name(__name__, name, "reachqa_builder.synthesis_format")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def seed_of(*parts: Any) -> int:
    """A stable 32-bit seed from any parts (run seed, item id, step): the same inputs draw the same choices."""
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8], 16)


class Stages:
    """Clients, journals and settings shared by the stage methods.

    Args:
        config: the run's :class:`SynthesisConfig`.
        work_dir: folder of the journals and renders (``<out>/work``).
        generator: client of the code-writing LLM.
        qa_client: client of the Q&A-writing LLM (default: ``generator``).
        raters: ``[(model, client)]`` of the MLLM raters.
        render: a :class:`RenderService` (needed by ``execute``).
        pool: the self-instruct :class:`DemoPool`.
        on_event: ``fn(stage, status, reason)`` called after each item (progress display).
    """

    def __init__(self, config: SynthesisConfig, work_dir: Path, generator: APIClient | None,
                 raters: list[tuple[str, APIClient]], render=None, pool: DemoPool | None = None,
                 on_event: Callable[[str, str, str | None], None] | None = None,
                 qa_client: APIClient | None = None) -> None:
        self.config = config
        self.work_dir = Path(work_dir)
        self.generator = generator
        self.raters = raters
        self.render_service = render
        self.pool = pool
        self.pool_factory: Callable[[], DemoPool] | None = None  # builds ``pool`` when first needed
        self._pool_lock: asyncio.Lock | None = None
        self.on_event = on_event or (lambda *a: None)
        self.journals = {s: Journal(journal_path(self.work_dir, s)) for s in JOURNALED_STAGES}
        self._usage_log = UsageLog(self.work_dir / USAGE_FILE)
        self.qa_client = qa_client or generator
        self._slots: asyncio.Semaphore | None = None
        self.seed_source: dict | None = None  # which seed charts the demo pool started from
        self.pending: dict[str, int] = {}   # stage -> items left pending by an outage in this run
        self.outage: str | None = None       # the first outage of this run, as one line
        self._accepted_code: data_checks.NearDuplicates | None = None  # --drop-near-duplicates
        self._kept_questions: data_checks.QuestionIndex | None = None  # ... questions, dataset scope

    @property
    def out_dir(self) -> Path:
        return self.work_dir.parent

    def relative(self, path: str | Path) -> str:
        """``path`` relative to the output folder when it lies inside it (journals stay valid
        when the folder is moved or renamed), else absolute."""
        path = Path(path).resolve()
        try:
            return path.relative_to(self.out_dir.resolve()).as_posix()
        except ValueError:
            return str(path)

    def absolute(self, path: str | Path) -> Path:
        """A journal path (relative to the output folder, or absolute) as a usable path."""
        return self.out_dir / path

    def close(self) -> None:
        for j in self.journals.values():
            j.close()
        self._usage_log.close()

    # -- common ---------------------------------------------------------------------------

    def _base_provenance(self) -> dict[str, Any]:
        c = self.config
        return {"prompt_version": prompts.PROMPT_VERSION, "rules": c.protocol_rules(), "run_seed": c.seed,
                Provenance.RENDER_ENV: c.render.env}

    def _gen_request(self, messages: list[dict], seed: int, schema: dict | None = None,
                     model: str | None = None) -> ChatRequest:
        c = self.config
        return ChatRequest(messages=messages, model=model or c.model, temperature=c.temperature, top_p=c.top_p,
                           max_tokens=c.max_tokens, response_schema=schema, seed=seed)

    async def _chat(self, client: APIClient, req: ChatRequest):
        """``client.chat(req)``; an :class:`APIError` learns which server and model it came from.

        At most ``concurrency`` calls are inside the client at once: the client serializes a
        request (image included) before it waits for a slot, so without this bound thousands of
        waiting rater requests would each hold a copy of their chart."""
        if self._slots is None:  # with --batch, requests wait for batches, not for the server
            c = self.config
            self._slots = asyncio.Semaphore(max(c.concurrency, c.batch_max_requests) if c.batch else c.concurrency)
        try:
            async with self._slots:
                resp = await client.chat(req)
        except APIError as e:
            e.server, e.model = client.config.display_url, req.model
            raise
        if not resp.cached:
            self._usage_log.record(_STAGE.get(), req.model, resp)
        return resp

    def _raise_if_unusable(self, e: APIError) -> None:
        """Stop the run on a fatal error; re-raise an outage (the item stays pending)."""
        where = f"{getattr(e, 'server', '?')} (model {getattr(e, 'model', '?')!r})"
        if e.fatal:
            raise StopRun(f"{where} refused the request, so the run stopped: {e}") from None
        if e.transient:
            raise e

    async def _journaled(self, stage: str, item_id: str,
                         work: Callable[[], Awaitable[ChartItem]]) -> ChartItem | None:
        """Run ``work`` unless ``item_id`` is already in the stage's journal; record the outcome."""
        journal = self.journals[stage]
        done = journal.get(item_id)
        if done is not None:
            self.on_event(stage, done["status"], done.get("reason"))
            return self.loaded(done) if done["status"] == "ok" else None
        _STAGE.set(stage)  # this task's calls (and its children's) are the stage's, in work/api/usage.jsonl
        try:
            result = await work()
        except Dropped as d:
            journal.append({"id": item_id, "status": "dropped", "stage": stage, "reason": d.reason,
                            "detail": d.detail[:500], **d.extra})
            self.on_event(stage, "dropped", d.reason)
            return None
        except APIError as e:
            if e.fatal:
                self._raise_if_unusable(e)
            if e.transient:  # an outage never drops work: nothing is journaled, a rerun retries
                self.pending[stage] = self.pending.get(stage, 0) + 1
                if self.outage is None:
                    self.outage = (f"{getattr(e, 'server', '?')} (model {getattr(e, 'model', '?')!r}) "
                                   f"was unreachable: {str(e).rstrip('.')}")
                self.on_event(stage, "pending", f"api_{e.kind}")
                return None
            journal.append({"id": item_id, "status": "dropped", "stage": stage, "reason": f"api_{e.kind}",
                            "detail": str(e)[:500]})
            self.on_event(stage, "dropped", f"api_{e.kind}")
            return None
        journal.append(self._stored(result.record()))
        self.on_event(stage, "ok", None)
        return result

    def _stored(self, record: dict) -> dict:
        """``record`` as its journal line: the code goes to ``work/code/<sha256>.py`` (once)."""
        if record.get("image") and Path(record["image"]).is_absolute():  # single-stage runs: journal it relative
            record = dict(record, image=self.relative(record["image"]))
        code = record.get("code")
        if code is None:
            return record
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
        path = self.work_dir / "code" / f"{digest}.py"
        if not path.exists():
            atomic_write_text(path, code)
        return {k: v for k, v in record.items() if k != "code"} | {"code_file": f"work/code/{digest}.py"}

    def loaded(self, record: dict) -> ChartItem:
        """A journal record as an item, with its code read back."""
        if "code_file" in record and "code" not in record:
            record = dict(record, code=record_code(record, self.out_dir))
        return ChartItem.from_record(record)

    async def demo_pool(self) -> DemoPool:
        """The demo pool, built (seeds resolved, maybe downloaded) by the first self-instruct call
        that needs one: a resume whose self-instruct steps are all journaled never fetches seeds."""
        if self.pool is None and self.pool_factory is not None:
            self._pool_lock = self._pool_lock or asyncio.Lock()
            async with self._pool_lock:
                if self.pool is None:
                    self.pool = await asyncio.to_thread(self.pool_factory)
        return self.pool

    def accept_demo(self, item: ChartItem) -> None:
        """Executed code joins the demo pool (a pool built later reads it from the execute journal)."""
        if self.pool is not None:
            self.pool.add(accepted_demo(item))

    # -- 1. self-instruct -----------------------------------------------------------------

    def _extracted(self, reply: str) -> dict:
        """``{"code": ...}`` of a reply with one usable code block, else the reply and the reason."""
        try:
            return {"code": extract_code(reply)}
        except CodeFormatError as exc:
            return {"reply": reply, "extract_error": f"CodeFormatError: {exc}"}

    async def self_instruct(self, index: int) -> ChartItem | None:
        """A new Easy chart script for lineage ``index`` (two turns: backstory and data, then code).

        A major type is drawn uniformly, then one of its minor types; two of the 38 topics;
        ``num_demos`` demos from the pool (seeds plus accepted generated code)."""
        from reachqa_builder.taxonomy import MAJOR_TYPES, MINORS_BY_MAJOR, TOPICS

        item_id = f"c{index:05d}"

        async def work() -> ChartItem:
            c = self.config
            rng = random.Random(seed_of(c.seed, item_id, "self-instruct"))
            major = rng.choice(MAJOR_TYPES)
            minor = rng.choice(MINORS_BY_MAJOR[major])
            topics = rng.sample(list(TOPICS), 2)
            demos = (await self.demo_pool()).sample(c.num_demos, rng)
            demo_text = "\n\n".join(f"```python\n{d.code.strip()}\n```" for d in demos)
            seed = seed_of(c.seed, item_id)
            messages = [
                {"role": "system", "content": prompts.render("system_coder")},
                {"role": "user", "content": prompts.render(
                    "self_instruct_data", demos=demo_text, demo_heading=prompts.demo_heading(len(demos)),
                    chart_type=minor, topic_a=topics[0], topic_b=topics[1])},
            ]
            first = await self._chat(self.generator, self._gen_request(messages, seed))
            messages += [{"role": "assistant", "content": first.text},
                         {"role": "user", "content": prompts.render("self_instruct_code",
                                                                    notes=prompts.chart_note(minor))}]
            second = await self._chat(self.generator, self._gen_request(messages, seed + 1))
            return ChartItem(item_id, {
                "level": "Easy", "major_chart_type": major, "minor_chart_type": minor,
                **self._extracted(second.text),
                "provenance": dict(self._base_provenance(), plot_model=c.model, sampling=c.sampling(),
                                   demo_ids=[d.id for d in demos], topics=topics, backstory=first.text),
            })

        return await self._journaled("self-instruct", item_id, work)

    # -- 2. evol-instruct -----------------------------------------------------------------

    async def evol_instruct(self, source: ChartItem) -> ChartItem | None:
        """A Hard chart evolved from the code of ``source`` along one of the four directions."""
        item_id = f"{source.id}e"

        async def work() -> ChartItem:
            c = self.config
            rng = random.Random(seed_of(c.seed, item_id, "evol"))
            direction = rng.choice(sorted(prompts.EVOL_DIRECTIONS))
            seed = seed_of(c.seed, item_id)
            messages = [
                {"role": "system", "content": prompts.render("system_coder")},
                {"role": "user", "content": prompts.render(
                    "evol_ideas", code=source.code.strip(), direction_text=prompts.EVOL_DIRECTIONS[direction])},
            ]
            first = await self._chat(self.generator, self._gen_request(messages, seed))
            messages += [{"role": "assistant", "content": first.text},
                         {"role": "user", "content": prompts.render("evol_code")}]
            second = await self._chat(self.generator, self._gen_request(messages, seed + 1))
            prov = {k: v for k, v in source.provenance.items() if k in ("topics", "demo_ids", "backstory")}
            prov.update(self._base_provenance(), plot_model=c.model, sampling=c.sampling(),
                        evolved_from=source.id, direction=direction, evolution_plan=first.text)
            return ChartItem(item_id, {"level": "Hard", "major_chart_type": source.major_chart_type,
                                       "minor_chart_type": source.minor_chart_type, **self._extracted(second.text),
                                       "provenance": prov})

        return await self._journaled("evol-instruct", item_id, work)

    # -- 3. execution filter + LLM fix ----------------------------------------------------

    async def execute(self, item: ChartItem) -> ChartItem | None:
        """Render the item's code; on failure ask the LLM for up to ``max_fixes`` fixes.

        A reply without one usable code block is dropped (``--unextracted drop``, the paper) or
        goes to the fix step like a failed run (``fix``)."""

        async def work() -> ChartItem:
            c = self.config
            code, error = item.code, None
            if code is None:
                error = item.get("extract_error") or "CodeFormatError: no code"
                if c.unextracted == "drop":
                    raise Dropped("CodeFormatError", error)
                code = item.get("reply", "")
            errors = []
            for attempt in range(c.max_fixes + 1):
                if error is None:
                    record = await self.render_service.render(item.id, code)
                    problem = data_checks.layout_problem(record) if c.lint_action != "off" else None
                    if record.status == "ok" and problem and c.lint_action == "skip-rating":
                        raise Dropped("layout", problem)
                    if record.status == "ok" and problem and attempt < c.max_fixes and self.generator is not None:
                        error = f"LayoutProblem: the chart renders, but {problem}"  # to the fix prompt
                    elif record.status == "ok":
                        if c.drop_near_duplicates is not None:
                            self._admit_unique(item, code)
                        prov = dict(item.provenance, fixes=attempt, render_errors=errors)
                        if record.lint:
                            prov["layout_flags"] = record.lint
                        return item.advanced(drop=("reply", "extract_error"), code=code,
                                             image=self.relative(record.image), provenance=prov,
                                             render_sha256=record.sha256)
                    else:
                        error = record.error or "Error: the chart did not render"
                errors.append(error)
                if attempt == c.max_fixes or self.generator is None:
                    break
                messages = [{"role": "system", "content": prompts.render("system_coder")},
                            {"role": "user", "content": prompts.render("fix_code", code=code.strip(), error=error)}]
                reply = await self._chat(self.generator, self._gen_request(
                    messages, seed_of(c.seed, item.id, "fix", attempt)))
                try:
                    code, error = extract_code(reply.text), None
                except CodeFormatError:
                    error = None  # the paper keeps the previous code when a fix has no usable block
                    if not code.strip():
                        error = "CodeFormatError: no code"
            kind = error.split(":", 1)[0].strip() or "Error"
            raise Dropped(f"{kind}", error, {"render_errors": errors})

        return await self._journaled("execute", item.id, work)

    def _admit_unique(self, item: ChartItem, code: str) -> None:
        """Drop ``item`` when its code nearly repeats a chart accepted by execute before it (this
        folder's journal, then this run) or the script it was evolved from; else accept it.
        Nothing awaits between the match and the acceptance, so two concurrent near-duplicates
        cannot both pass; which one passes is the one that finished rendering first."""
        if self._accepted_code is None:
            self._accepted_code = data_checks.NearDuplicates(self.config.drop_near_duplicates)
            for rec in self.journals["execute"].ok():
                self._accepted_code.add(rec["id"], self.loaded(rec).code)
        parent = item.provenance.get("evolved_from")
        also = {}
        if parent and parent not in self._accepted_code:
            source = self.journals["self-instruct"].get(parent)
            if source is not None and "code_file" in source:
                also[parent] = self.loaded(source).code
        found = self._accepted_code.match(code, also)
        if found is not None:
            raise Dropped("near_duplicate", f"code Jaccard {found[1]} with {found[0]}",
                          {"near_duplicate_of": found[0], "code_jaccard": found[1]})
        self._accepted_code.add(item.id, code)

    # -- 4. MLLM rating -------------------------------------------------------------------

    async def _ask_raters(self, text: str, image: dict, schema: dict | None, seed: int) -> dict[str, Any]:
        """``{model: reply or APIError}``; an outage or a fatal error of any rater is raised.
        ``image``: the chart as one content part (:func:`image_part`), shared by all requests."""
        message = {"role": "user", "content": [image, {"type": "text", "text": text}]}

        async def one(model: str, client: APIClient):
            req = ChatRequest(messages=[message], model=model,
                              temperature=self.config.rater_temperature, top_p=self.config.top_p, max_tokens=1024,
                              response_schema=schema, seed=seed)
            return await self._chat(client, req)

        results = await asyncio.gather(*(one(m, cl) for m, cl in self.raters), return_exceptions=True)
        out = {}
        for (model, _), res in zip(self.raters, results):
            if isinstance(res, BaseException) and not isinstance(res, APIError):
                raise res
            if isinstance(res, APIError):
                self._raise_if_unusable(res)  # an outage of one rater leaves the whole item pending
            out[model] = res
        return out

    def _rater_inputs(self, item: ChartItem, stage: str, text_format: str, json_format: str):
        """``(image part, text replies?, reply-format instruction)`` of a rater stage."""
        if not self.raters:
            raise ValueError(f"{stage} needs at least one --rater-model")
        text_mode = self.config.replies == "text"
        return (image_part(self.absolute(item.image).read_bytes()), text_mode,
                text_format if text_mode else json_format)

    async def rate(self, item: ChartItem) -> ChartItem | None:
        """Mean 1-5 score of the raters; kept when at least ``min_rating``.

        A rater whose reply failed or cannot be parsed counts 0 (``--failed-rater zero``, the
        paper) or is left out of the mean (``omit``)."""

        async def work() -> ChartItem:
            c = self.config
            image, text_mode, fmt = self._rater_inputs(item, "rating", prompts.RATING_TEXT_FORMAT,
                                                       prompts.RATING_JSON_FORMAT)
            replies = await self._ask_raters(prompts.render("rate_image", reply_format=fmt), image,
                                             None if text_mode else prompts.RATING_SCHEMA,
                                             seed_of(c.seed, item.id, "rate"))
            scores, reasons, failed = {}, {}, {}
            for model, r in replies.items():
                if isinstance(r, APIError):
                    score, reason = 0, None
                    failed[model] = str(r)[:300]
                elif text_mode:
                    score, reason = prompts.parse_rating(r.text)
                    if score == 0:
                        failed[model] = "no 'Rating: N' in the reply"
                else:
                    score, reason = r.parsed["score"], r.parsed.get("reason", "")
                reasons[model] = reason
                if score == 0 and c.failed_rater == "omit":
                    continue
                scores[model] = score
            record = {"rater_scores": scores, "rater_reasons": reasons, "rater_failures": failed}
            if not scores:
                raise Dropped("raters_failed", "; ".join(failed.values()), record)
            mean = sum(scores.values()) / len(scores)
            record["rating"] = round(mean, 4)
            if mean < c.min_rating:
                raise Dropped("low_rating", f"mean score {mean:.2f} < {c.min_rating}", record)
            return item.advanced(provenance=dict(item.provenance, **record))

        return await self._journaled("rate", item.id, work)

    # -- 5. Q&A generation + ROUGE-L dedup ------------------------------------------------

    def _rouge(self, a: str, b: str) -> float:
        return rouge_l_f(a, b)

    def dedup(self, pairs: list[dict]) -> tuple[list[dict], int]:
        """Drop each question whose ROUGE-L F with an already kept question exceeds the threshold."""
        kept: list[dict] = []
        dropped = 0
        for p in pairs:
            if any(self._rouge(k["question"], p["question"]) > self.config.dedup_threshold for k in kept):
                dropped += 1
                continue
            kept.append(p)
        return kept, dropped

    async def qa(self, item: ChartItem) -> ChartItem | None:
        """Per Q&A type: the questions in one call, then one answer call per question (analysis,
        detailed step-by-step answer, concise answer); near-duplicate questions of a type dropped."""

        async def work() -> ChartItem:
            c = self.config
            code = item.code.strip()

            async def ask(text: str, schema: dict, *seed_parts):
                req = self._gen_request([{"role": "user", "content": text}], seed_of(c.seed, item.id, *seed_parts),
                                        schema, model=c.qa_model)
                return await self._chat(self.qa_client, req)

            async def one_type(qa_type: str) -> tuple[list[dict], int, list[str]]:
                template, exam = prompts.QA_TYPES[qa_type]
                try:
                    rep = await ask(prompts.render(template, code=code, n=c.qa_per_type), prompts.QUESTIONS_SCHEMA,
                                    qa_type)
                except APIError as e:
                    self._raise_if_unusable(e)
                    return [], 0, [f"{qa_type} questions: {e}"]
                questions = [q.strip() for q in rep.parsed["question_list"] if isinstance(q, str) and q.strip()]
                questions = questions[: c.qa_per_type]
                answers = await asyncio.gather(*(
                    ask(prompts.render("qa_answer", exam=exam, code=code, question=q), prompts.ANSWER_SCHEMA,
                        qa_type, k) for k, q in enumerate(questions)), return_exceptions=True)
                pairs, failures = [], []
                for q, a in zip(questions, answers):
                    if isinstance(a, APIError):
                        self._raise_if_unusable(a)
                        failures.append(f"answer to {q[:80]!r}: {a}")
                        continue
                    if isinstance(a, BaseException):
                        raise a
                    pairs.append({"question": q, "answer": a.parsed["answer"].strip(),
                                  "concise_answer": str(a.parsed.get("concise_answer") or "").strip() or None,
                                  "analysis": a.parsed.get("analysis", ""), "QA_type": qa_type})
                kept, n_dup = self.dedup(pairs)
                return kept, n_dup, failures

            results = await asyncio.gather(*(one_type(t) for t in prompts.QA_TYPES))
            pairs = [p for kept, _, _ in results for p in kept]
            failures = [f for _, _, fs in results for f in fs]
            if not pairs:
                raise Dropped("no_questions", "; ".join(failures)[:500])
            prov = dict(item.provenance, qa_model=c.qa_model,
                        qa_duplicates_dropped=sum(n for _, n, _ in results), qa_failures=failures)
            if c.drop_contradicted:  # answers checked against the values the chart plots
                record = await self.render_service.render(item.id, item.code)  # a render-cache hit
                pairs, contradicted = data_checks.drop_contradicted(pairs, record.plotted if record.status == "ok" else None)
                prov["qa_contradicted_dropped"] = len(contradicted)
                if not pairs:
                    raise Dropped("all_pairs_contradicted")
            if c.drop_near_duplicate_questions is not None:
                dataset = self._question_index() if c.near_duplicate_question_scope == "dataset" else None
                pairs, repeated = data_checks.drop_near_duplicate_questions(pairs, c.drop_near_duplicate_questions,
                                                                            dataset)
                prov["qa_near_duplicates_dropped"] = len(repeated)
                prov["qa_near_duplicate_pairs"] = repeated
                if not pairs:
                    raise Dropped("all_pairs_near_duplicate", f"{len(repeated)} pairs",
                                  {"qa_near_duplicate_pairs": repeated})
                if dataset is not None:  # no await since the match: concurrent charts see each other
                    dataset.add(item.id, pairs)
            return item.advanced(qa=pairs, provenance=prov)

        return await self._journaled("qa", item.id, work)

    def _question_index(self) -> data_checks.QuestionIndex:
        """The questions the Q&A stage kept so far (this folder's journal, then this run)."""
        if self._kept_questions is None:
            self._kept_questions = data_checks.QuestionIndex(self.config.drop_near_duplicate_questions)
            for rec in self.journals["qa"].ok():
                self._kept_questions.add(rec["id"], rec.get("qa") or [])
        return self._kept_questions

    # -- 6. MLLM Q&A check ----------------------------------------------------------------

    async def check(self, item: ChartItem) -> ChartItem | None:
        """Each rater judges each pair; a pair goes when ``reject_threshold`` raters reject it
        (``--reject-rule at-least``, the paper: an unparsed or failed verdict is no rejection) or,
        with ``capped``, when all raters that answered reject it and they are fewer."""

        async def work() -> ChartItem:
            c = self.config
            image, text_mode, fmt = self._rater_inputs(item, "the Q&A check", prompts.CHECK_TEXT_FORMAT,
                                                       prompts.CHECK_JSON_FORMAT)

            async def judge(k: int, pair: dict):
                text = prompts.render("qa_check", question=pair["question"], answer=pair["answer"], reply_format=fmt)
                return await self._ask_raters(text, image, None if text_mode else prompts.CHECK_SCHEMA,
                                              seed_of(c.seed, item.id, "check", k))

            verdicts = await asyncio.gather(*(judge(k, p) for k, p in enumerate(item.qa)))
            kept, rejected = [], []
            for pair, replies in zip(item.qa, verdicts):
                checks = {}
                for model, r in replies.items():
                    if isinstance(r, APIError):
                        checks[model] = {"verdict": None, "reason": f"failed: {str(r)[:300]}"}
                    elif text_mode:
                        v, reason = prompts.parse_decision(r.text)
                        checks[model] = {"verdict": v, "reason": reason}
                    else:
                        checks[model] = {"verdict": r.parsed["verdict"], "reason": r.parsed.get("reason", "")}
                answered = sum(v["verdict"] is not None for v in checks.values())
                rejects = sum(v["verdict"] == "reject" for v in checks.values())
                need = c.reject_threshold if c.reject_rule == "at-least" else min(c.reject_threshold, answered)
                if answered and rejects >= max(1, need):
                    rejected.append(dict(pair, checks=checks))
                else:
                    kept.append(dict(pair, checks=checks))
            if not kept:
                raise Dropped("all_pairs_rejected", f"{len(rejected)} pairs", {"qa_rejected_pairs": rejected})
            prov = dict(item.provenance, qa_rejected=len(rejected), qa_rejected_pairs=rejected)
            return item.advanced(qa=kept, provenance=prov)

        return await self._journaled("check", item.id, work)


def accepted_demo(item: ChartItem) -> Demo:
    return Demo(id=item.id, code=item.code, minor_type=item.minor_chart_type)
