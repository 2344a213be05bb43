"""The stages of Code-as-Intermediary synthesis, one async method per stage and item.

An *item* is a dict describing one chart as it moves through the pipeline: ``id``, ``level``,
``major_chart_type``, ``minor_chart_type``, ``code``, ``image`` (after ``execute``), ``qa``
(after ``qa``) and ``provenance`` (models, prompt version, sampling, demo ids, topics,
evolved-from id, direction, fixes, rater scores ...). Each stage takes an item and returns the
next item, or ``None`` when it drops it; either way it appends one line to its journal
(``work/<stage>.jsonl``) and skips ids already there, which is what makes runs resumable.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from pathlib import Path
from typing import Any, Awaitable, Callable

from evaluation.inference.api import APIClient, APIError
from evaluation.inference.types import ChatRequest, user_message

from . import prompts
from .codeutil import CodeFormatError, extract_code
from .config import SynthesisConfig
from .journal import Journal
from .seeds import Demo, DemoPool

JOURNAL_NAMES = {
    "self-instruct": "self_instruct.jsonl",
    "evol-instruct": "evol_instruct.jsonl",
    "execute": "execute.jsonl",
    "rate": "rate.jsonl",
    "qa": "qa.jsonl",
    "check": "check.jsonl",
}
QA_TYPES = (("Recognition", "qa_recognition"), ("Reasoning", "qa_reasoning"))


class StopRun(Exception):
    """A failure that retrying cannot fix (a rejected key, a forbidden or unknown model): the run
    stops at once; the message names the server and the model."""


class Dropped(Exception):
    """An item leaves the pipeline; ``reason`` is counted in the end summary."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _seed_of(*parts: Any) -> int:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8], 16)


class Stages:
    """Clients, journals and settings shared by the stage methods.

    Args:
        config: the run's :class:`SynthesisConfig`.
        work_dir: folder of the journals and renders (``<out>/work``).
        generator: client of the code/Q&A-writing LLM.
        raters: ``[(model, client)]`` of the MLLM raters.
        render: a :class:`RenderService` (needed by ``execute``).
        pool: the self-instruct :class:`DemoPool`.
        on_event: ``fn(stage, status, reason)`` called after each item (progress display).
    """

    def __init__(self, config: SynthesisConfig, work_dir: Path, generator: APIClient | None,
                 raters: list[tuple[str, APIClient]], render=None, pool: DemoPool | None = None,
                 on_event: Callable[[str, str, str | None], None] | None = None) -> None:
        self.config = config
        self.work_dir = Path(work_dir)
        self.generator = generator
        self.raters = raters
        self.render_service = render
        self.pool = pool
        self.on_event = on_event or (lambda *a: None)
        self.journals = {s: Journal(self.work_dir / n) for s, n in JOURNAL_NAMES.items()}
        self._scorer = None
        self.pending: dict[str, int] = {}   # stage -> items left pending by an outage in this run
        self.outage: str | None = None       # the first outage of this run, as one line

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

    # -- common ---------------------------------------------------------------------------

    def _base_provenance(self) -> dict[str, Any]:
        return {"prompt_version": prompts.PROMPT_VERSION}

    def _gen_request(self, messages: list[dict], seed: int, schema: dict | None = None) -> ChatRequest:
        c = self.config
        return ChatRequest(messages=messages, model=c.model, temperature=c.temperature, top_p=c.top_p,
                           max_tokens=c.max_tokens, response_schema=schema, seed=seed)

    async def _chat(self, client: APIClient, req: ChatRequest):
        """``client.chat(req)``; an :class:`APIError` learns which server and model it came from."""
        try:
            return await client.chat(req)
        except APIError as e:
            e.server, e.model = client.config.base_url, req.model
            raise

    def _raise_if_unusable(self, e: APIError) -> None:
        """Stop the run on a fatal error; re-raise an outage (the item stays pending)."""
        where = f"{getattr(e, 'server', '?')} (model {getattr(e, 'model', '?')!r})"
        if e.fatal:
            raise StopRun(f"{where} refused the request, so the run stopped: {e}") from None
        if e.transient:
            raise e

    async def _journaled(self, stage: str, item_id: str, work: Callable[[], Awaitable[dict]]) -> dict | None:
        """Run ``work`` unless ``item_id`` is already in the stage's journal; record the outcome."""
        journal = self.journals[stage]
        done = journal.get(item_id)
        if done is not None:
            self.on_event(stage, done["status"], done.get("reason"))
            return done if done["status"] == "ok" else None
        try:
            result = await work()
        except Dropped as d:
            journal.append({"id": item_id, "status": "dropped", "stage": stage, "reason": d.reason,
                            "detail": d.detail[:500]})
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
        result = dict(result, id=item_id, status="ok")
        journal.append(result)
        self.on_event(stage, "ok", None)
        return result

    # -- 1. self-instruct -----------------------------------------------------------------

    async def self_instruct(self, index: int) -> dict | None:
        """A new Easy chart script for lineage ``index`` (two turns: data/backstory, then code)."""
        from reachqa_builder.taxonomy import MINOR_TYPES, PLOTTING_NOTES, TOPICS

        item_id = f"c{index:05d}"

        async def work() -> dict:
            c = self.config
            rng = random.Random(_seed_of(c.seed, item_id, "self-instruct"))
            minor = rng.choice(sorted(MINOR_TYPES))
            major = MINOR_TYPES[minor]
            topics = rng.sample(list(TOPICS), 2)
            demos = self.pool.sample(c.num_demos, minor, rng)
            demo_text = "\n\n".join(f"Example {k + 1}:\n```python\n{d.code.strip()}\n```" for k, d in enumerate(demos))
            seed = _seed_of(c.seed, item_id)
            messages = [
                {"role": "system", "content": prompts.render("system_coder")},
                {"role": "user", "content": prompts.render(
                    "self_instruct_data", n_demos=len(demos), demos=demo_text, chart_type=minor,
                    major_type=major, topic_a=topics[0], topic_b=topics[1])},
            ]
            first = await self._chat(self.generator, self._gen_request(messages, seed))
            messages += [{"role": "assistant", "content": first.text},
                         {"role": "user", "content": prompts.render(
                             "self_instruct_code", chart_type=minor,
                             plotting_notes=PLOTTING_NOTES.get(minor, "(none)"))}]
            second = await self._chat(self.generator, self._gen_request(messages, seed + 1))
            return {
                "level": "Easy", "major_chart_type": major, "minor_chart_type": minor,
                "reply": second.text, "brief": first.text,
                "provenance": dict(self._base_provenance(), plot_model=c.model, sampling=c.sampling(),
                                   demo_ids=[d.id for d in demos], topics=topics),
            }

        return await self._journaled("self-instruct", item_id, work)

    # -- 2. evol-instruct -----------------------------------------------------------------

    async def evol_instruct(self, source: dict) -> dict | None:
        """A Hard chart evolved from executed ``source`` along one of the four directions."""
        item_id = f"{source['id']}e"

        async def work() -> dict:
            c = self.config
            rng = random.Random(_seed_of(c.seed, item_id, "evol"))
            direction = rng.choice(sorted(prompts.EVOL_DIRECTIONS))
            seed = _seed_of(c.seed, item_id)
            messages = [
                {"role": "system", "content": prompts.render("system_coder")},
                {"role": "user", "content": prompts.render(
                    "evol_ideas", code=source["code"].strip(), direction_text=prompts.EVOL_DIRECTIONS[direction])},
            ]
            first = await self._chat(self.generator, self._gen_request(messages, seed))
            messages += [{"role": "assistant", "content": first.text},
                         {"role": "user", "content": prompts.render("evol_code")}]
            second = await self._chat(self.generator, self._gen_request(messages, seed + 1))
            prov = {k: v for k, v in (source.get("provenance") or {}).items()
                    if k in ("topics", "demo_ids")}
            prov.update(self._base_provenance(), plot_model=c.model, sampling=c.sampling(),
                        evolved_from=source["id"], direction=direction)
            return {"level": "Hard", "major_chart_type": source.get("major_chart_type", ""),
                    "minor_chart_type": source.get("minor_chart_type", ""), "reply": second.text,
                    "brief": first.text, "provenance": prov}

        return await self._journaled("evol-instruct", item_id, work)

    # -- 3. execution filter + LLM fix ----------------------------------------------------

    async def execute(self, item: dict) -> dict | None:
        """Render the item's code; on failure ask the LLM for up to ``max_fixes`` fixes."""

        async def work() -> dict:
            c = self.config
            code, error = item.get("code"), None
            if code is None:
                try:
                    code = extract_code(item.get("reply", ""))
                except CodeFormatError as exc:
                    code, error = item.get("reply", ""), f"CodeFormatError: {exc}"
            errors = []
            for attempt in range(c.max_fixes + 1):
                if error is None:
                    record = await self.render_service.render(item["id"], code)
                    if record.status == "ok":
                        prov = dict(item.get("provenance") or {}, fixes=attempt, render_errors=errors)
                        return {k: v for k, v in item.items() if k not in ("reply", "id", "status")} | {
                            "code": code, "image": self.relative(record.image), "provenance": prov,
                            "render_sha256": record.sha256}
                    error = record.error or "Error: the chart did not render"
                errors.append(error)
                if attempt == c.max_fixes or self.generator is None:
                    break
                messages = [{"role": "system", "content": prompts.render("system_coder")},
                            {"role": "user", "content": prompts.render("fix_code", code=code.strip(), error=error)}]
                reply = await self._chat(self.generator, self._gen_request(messages, _seed_of(c.seed, item["id"], "fix", attempt)))
                try:
                    code, error = extract_code(reply.text), None
                except CodeFormatError as exc:
                    error = f"CodeFormatError: {exc}"
            kind = error.split(":", 1)[0].strip() or "Error"
            raise Dropped(f"{kind}", error)

        return await self._journaled("execute", item["id"], work)

    # -- 4. MLLM rating -------------------------------------------------------------------

    async def _ask_raters(self, text: str, image: bytes, schema: dict, seed: int) -> dict[str, Any]:
        async def one(model: str, client: APIClient):
            req = ChatRequest(messages=[user_message(text, [image])], model=model,
                              temperature=self.config.rater_temperature, max_tokens=1024,
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

    async def rate(self, item: dict) -> dict | None:
        """Mean 1-5 score of the raters; kept when at least ``min_rating``."""

        async def work() -> dict:
            if not self.raters:
                raise ValueError("rating needs at least one --rater-model")
            image = self.absolute(item["image"]).read_bytes()
            replies = await self._ask_raters(prompts.render("rate_image"), image, prompts.RATING_SCHEMA,
                                             _seed_of(self.config.seed, item["id"], "rate"))
            scores = {m: r.parsed["score"] for m, r in replies.items() if not isinstance(r, APIError)}
            if not scores:
                first = next(iter(replies.values()))
                raise Dropped(f"api_{first.kind}", str(first))
            mean = sum(scores.values()) / len(scores)
            prov = dict(item.get("provenance") or {}, rater_scores=scores, rating=round(mean, 4),
                        rater_reasons={m: r.parsed.get("reason", "") for m, r in replies.items()
                                       if not isinstance(r, APIError)})
            if mean < self.config.min_rating:
                raise Dropped("low_rating", f"mean score {mean:.2f} < {self.config.min_rating}")
            return {k: v for k, v in item.items() if k not in ("id", "status")} | {"provenance": prov}

        return await self._journaled("rate", item["id"], work)

    # -- 5. Q&A generation + ROUGE-L dedup ------------------------------------------------

    def _rouge(self, a: str, b: str) -> float:
        if self._scorer is None:
            from rouge_score import rouge_scorer

            self._scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
        return self._scorer.score(a, b)["rougeL"].fmeasure

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

    async def qa(self, item: dict) -> dict | None:
        """Recognition and reasoning questions written from the code, deduplicated."""

        async def work() -> dict:
            c = self.config

            async def one(qa_type: str, template: str):
                text = prompts.render(template, code=item["code"].strip(), n=c.qa_per_type)
                req = self._gen_request([{"role": "user", "content": text}],
                                        _seed_of(c.seed, item["id"], qa_type), prompts.QA_SCHEMA)
                return await self._chat(self.generator, req)

            replies = await asyncio.gather(*(one(t, tpl) for t, tpl in QA_TYPES), return_exceptions=True)
            pairs, failure = [], None
            for (qa_type, _), rep in zip(QA_TYPES, replies):
                if isinstance(rep, APIError):
                    self._raise_if_unusable(rep)
                    failure = rep
                    continue
                if isinstance(rep, BaseException):
                    raise rep
                for q in rep.parsed["questions"][: c.qa_per_type]:
                    steps = [s.strip() for s in q["steps"] if s.strip()]
                    final = q["answer"].strip()
                    answer = " ".join(steps + [f"The final answer is {final}."]) if steps else final
                    pairs.append({"question": q["question"].strip(), "answer": answer, "final_answer": final,
                                  "steps": steps, "QA_type": qa_type})
            if not pairs:
                if failure is not None:
                    raise Dropped(f"api_{failure.kind}", str(failure))
                raise Dropped("no_questions")
            kept, n_dup = self.dedup(pairs)
            prov = dict(item.get("provenance") or {}, qa_model=c.model, qa_duplicates_dropped=n_dup)
            return {k: v for k, v in item.items() if k not in ("id", "status")} | {"qa": kept, "provenance": prov}

        return await self._journaled("qa", item["id"], work)

    # -- 6. MLLM Q&A check ----------------------------------------------------------------

    async def check(self, item: dict) -> dict | None:
        """Each rater judges each pair; a pair goes when ``reject_threshold`` raters reject it."""

        async def work() -> dict:
            if not self.raters:
                raise ValueError("the Q&A check needs at least one --rater-model")
            image = self.absolute(item["image"]).read_bytes()

            async def judge(k: int, pair: dict):
                text = prompts.render("qa_check", question=pair["question"], answer=pair["answer"])
                return await self._ask_raters(text, image, prompts.CHECK_SCHEMA,
                                              _seed_of(self.config.seed, item["id"], "check", k))

            verdicts = await asyncio.gather(*(judge(k, p) for k, p in enumerate(item["qa"])))
            kept, answered = [], 0
            for pair, replies in zip(item["qa"], verdicts):
                votes = {m: r.parsed["verdict"] for m, r in replies.items() if not isinstance(r, APIError)}
                answered += bool(votes)
                rejects = sum(v == "reject" for v in votes.values())
                # the threshold is capped by the raters that answered (one rater alone can reject)
                if votes and rejects >= min(self.config.reject_threshold, len(votes)):
                    continue
                kept.append(dict(pair, checks=votes))
            if not kept:
                if not answered:
                    raise Dropped("api_all_raters_failed")
                raise Dropped("all_pairs_rejected")
            prov = dict(item.get("provenance") or {}, qa_rejected=len(item["qa"]) - len(kept))
            return {k: v for k, v in item.items() if k not in ("id", "status")} | {"qa": kept, "provenance": prov}

        return await self._journaled("check", item["id"], work)


def accepted_demo(item: dict) -> Demo:
    return Demo(id=item["id"], code=item["code"], minor_type=item.get("minor_chart_type", ""))
