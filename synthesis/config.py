"""Settings of a synthesis run: one dataclass, also the source of the CLI flags."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from dataclasses import dataclass, field

from reachqa_builder import synthesis_format
from reachqa_builder.llm import APIConfig
from reachqa_builder.redact import redact_value
from reachqa_builder.render.envs import ENV_NAMES
from reachqa_builder.render.settings import RenderSettings

LINT_ACTIONS = ("off", "fix", "skip-rating")  # what synthesis does with a chart whose layout is flagged

STAGES = synthesis_format.STAGES + ("output",)  # the journaled stages, then the layout

# the settings a --protocol stands for; an explicit flag overrides its entry
PROTOCOLS: dict[str, dict] = {
    "paper": {"replies": "text", "failed_rater": "zero", "unextracted": "drop", "reject_rule": "at-least",
              "structured": "json_object", "schema_retries": 0, "rater_temperature": 0.0},
    "reachqa": {"replies": "json_schema", "failed_rater": "omit", "unextracted": "fix", "reject_rule": "capped",
                "structured": "json_schema", "schema_retries": 2, "rater_temperature": 0.0},
}
CHOICES = {"replies": ("text", "json_schema"), "failed_rater": ("zero", "omit"), "unextracted": ("drop", "fix"),
           "reject_rule": ("at-least", "capped"), "structured": ("json_schema", "json_object", "none")}


# APIConfig fields a run sets itself, per server or from its own settings (see api_config());
# every other APIConfig field is a flag of `reachqa synthesize` as APIConfig declares it
RUN_SET_CLIENT_FIELDS = ("base_url", "api_key", "concurrency", "schema_retries", "structured", "cache_path")

# RenderSettings fields that are not flags of `reachqa synthesize`: the images keep the default dpi (the
# one `reachqa build` renders, so the raters judge the built images) and the run's own display replaces
# the render progress bar (RenderService turns it off)
RUN_SET_RENDER_FIELDS = ("dpi", "progress")
# the flat keys of SynthesisConfig before it embedded RenderSettings, still accepted (deprecated)
FLAT_RENDER_KEYS = {"render_env": "env", "render_workers": "workers", "render_timeout": "timeout"}


@dataclass
class SynthesisConfig:
    """Everything a ``reachqa synthesize`` run needs (keys are read from flags or the environment).

    Args: see each field's ``help``.
    """

    base_url: str = field(default="http://localhost:8000/v1", metadata={"help": "generator API root (with /v1)"})
    api_key: str | None = field(default=None, repr=False, metadata={"help": "generator key (default: $OPENAI_API_KEY)"})
    model: str = field(default="", metadata={"help": "code-writing (LLM) model name"})
    qa_model: str | None = field(default=None, metadata={"help": "Q&A-writing model (default: --model)"})
    qa_base_url: str | None = field(default=None, metadata={"help": "API root of the Q&A model (default: --base-url)"})
    qa_api_key: str | None = field(default=None, repr=False, metadata={
        "help": "key of the Q&A server (default: $QA_API_KEY, else the generator key)"})
    rater_model: list[str] = field(default_factory=list, metadata={"help": "MLLM rater model; repeat for several raters"})
    rater_base_url: list[str] = field(default_factory=list, metadata={
        "help": "rater API root; give one for all raters or one per --rater-model (default: --base-url)"})
    rater_api_key: str | None = field(default=None, repr=False, metadata={
        "help": "rater key (default: $RATER_API_KEY, else the generator key)"})
    out: str = field(default="synthetic-charts", metadata={"help": "output folder (ReachQA layout + work/)"})
    data_dir: str | None = field(default=None, metadata={"help": "input folder of a single-stage run (default: --out)"})
    num_charts: int = field(default=100, metadata={"help": "charts to keep at the end"})
    max_attempts_factor: float = field(default=6.0, metadata={
        "help": "give up after num_charts * this many self-instruct lineages"})
    concurrency: int = field(default=32, metadata={"help": "requests in flight at most, across all stages and servers"})
    client: APIConfig = field(default_factory=APIConfig, metadata={
        "help": "the client's own settings (limits, timeouts, retries, backoff, cache switch), one flag each",
        "embed": {"exclude": RUN_SET_CLIENT_FIELDS}})
    protocol: str = field(default="paper", metadata={
        "help": "paper (the authors' rules) | reachqa (JSON-schema replies, fix step for unextracted code, "
                "failed raters left out, a single rater can reject); the flags below override single rules"})
    replies: str | None = field(default=None, metadata={
        "help": "rater replies: text ('Rating: N' / 'Decision: yes|no', paper) | json_schema"})
    failed_rater: str | None = field(default=None, metadata={
        "help": "a rater whose reply fails or cannot be parsed: zero (counts 0 in the mean, paper) | omit"})
    unextracted: str | None = field(default=None, metadata={
        "help": "a reply without one usable code block: drop (paper) | fix (ask the LLM to fix it)"})
    reject_rule: str | None = field(default=None, metadata={
        "help": "Q&A check: at-least (a pair goes when --reject-threshold raters reject it, paper) | capped "
                "(the threshold is capped at the raters that answered, so one rater alone can reject)"})
    schema_retries: int | None = field(default=None, metadata={
        "help": "re-asks when a JSON reply is invalid (paper 0, reachqa 2)"})
    structured: str | None = field(default=None, metadata={
        "help": "response_format of JSON requests: json_object (paper) | json_schema | none"})
    seed_dir: str | None = field(default=None, metadata={
        "help": "seed charts: a ReachQA data root (its reachqa_seed is used) or a folder of scripts; default: "
                "the paper's 33 seeds from the released data, else (offline) reachqa's own seed charts"})
    num_demos: int = field(default=3, metadata={"help": "demo scripts shown to self-instruct"})
    evolve_ratio: float = field(default=1.0, metadata={"help": "fraction of executed easy charts that get an evolved (hard) version"})
    temperature: float = field(default=1.0, metadata={"help": "generation temperature"})
    top_p: float = field(default=0.95, metadata={"help": "generation top-p"})
    max_tokens: int = field(default=8192, metadata={"help": "max tokens of a generation reply"})
    rater_temperature: float | None = field(default=None, metadata={"help": "rater temperature (0, as the authors' run_rating_*.sh scripts pass to their rating scripts)"})
    max_fixes: int = field(default=2, metadata={"help": "LLM fix attempts for code that fails to run"})
    render: RenderSettings = field(default_factory=RenderSettings, metadata={
        "help": "how charts are rendered, one --render-* flag per RenderSettings field",
        "embed": {"prefix": "render", "exclude": RUN_SET_RENDER_FIELDS}})
    min_rating: float = field(default=3.75, metadata={"help": "keep charts whose mean rating is at least this"})
    qa_per_type: int = field(default=4, metadata={"help": "questions per chart per type (recognition, reasoning)"})
    dedup_threshold: float = field(default=0.7, metadata={"help": "drop a question whose ROUGE-L F with a kept one exceeds this"})
    reject_threshold: int = field(default=2, metadata={
        "help": "drop a Q&A pair when this many raters reject it (capped at the number of raters)"})
    lint_action: str = field(default="off", metadata={"choices": LINT_ACTIONS,
        "help": "charts with severe layout flags: off | fix (back to the fix stage, problem named) | skip-rating (drop)"})
    drop_contradicted: bool = field(default=False, metadata={
        "help": "drop recognition pairs whose answer states a number the chart plots nowhere (before the MLLM check)"})
    drop_near_duplicates: float | None = field(default=None, metadata={
        "help": "drop a chart whose code nearly repeats (token 5-gram Jaccard >= this, e.g. 0.8) a chart accepted "
                "before it or the script it was evolved from, before rating; off by default (not in the paper)"})
    drop_near_duplicate_questions: float | None = field(default=None, metadata={
        "help": "drop a question whose word 3-gram Jaccard with a question kept before it for the same chart "
                "(either type) is at least this; off by default (the paper: ROUGE-L within a type only)"})
    near_duplicate_question_scope: str = field(default="chart", metadata={
        "help": "--drop-near-duplicate-questions compares a question with: chart (the chart's own questions) | "
                "dataset (also every question kept for the charts before it)", "choices": ("chart", "dataset")})
    id_prefix: str = field(default="reachqa-synthetic", metadata={"help": "prefix of chart and Q&A ids in the output"})
    seed: int = field(default=0, metadata={"help": "random seed (chart types, topics, demos, directions)"})
    progress: bool = field(default=True, metadata={"help": "live progress display"})
    estimate: bool = field(default=False, metadata={
        "help": "print the requests, tokens and cost per kept chart and for --num-charts (protocol + pilot), send nothing"})
    pilot: str | None = field(default=None, metadata={
        "help": "--estimate: folder of an earlier run whose logged usage is the pilot (default: --out)"})
    price: list[str] = field(default_factory=list, metadata={
        "help": "--estimate: MODEL=IN,OUT, US$ per million prompt and completion tokens; repeat per model"})
    batch: bool = field(default=False, metadata={
        "help": "send every stage's requests through the OpenAI Batch API (files + batches endpoints; half the price "
                "on OpenAI, replies within 24 h); a request whose batch line fails is sent directly"})
    batch_window: float = field(default=5.0, metadata={
        "help": "--batch: submit the queued requests after this many seconds without a new one"})
    batch_max_requests: int = field(default=1000, metadata={
        "help": "--batch: requests per batch at most (also how many requests may wait for batches at once)"})
    batch_poll: float = field(default=30.0, metadata={"help": "--batch: seconds between status polls of a batch"})

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"--protocol must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}")
        for name, value in PROTOCOLS[self.protocol].items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(f"--{name.replace('_', '-')} must be one of {', '.join(choices)}, "
                                 f"got {getattr(self, name)!r}")
        if self.qa_model is None:
            self.qa_model = self.model
        if self.num_charts < 1:
            raise ValueError(f"--num-charts must be >= 1, got {self.num_charts}")
        if self.concurrency < 1:
            raise ValueError(f"--concurrency must be >= 1, got {self.concurrency}")
        if not 0.0 <= self.evolve_ratio <= 1.0:
            raise ValueError(f"--evolve-ratio must be within [0, 1], got {self.evolve_ratio}")
        if self.lint_action not in LINT_ACTIONS:
            raise ValueError(f"--lint-action must be off, fix or skip-rating, got {self.lint_action!r}")
        for name in ("drop_near_duplicates", "drop_near_duplicate_questions"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value <= 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be within (0, 1], got {value}")
        if self.near_duplicate_question_scope not in ("chart", "dataset"):
            raise ValueError(f"--near-duplicate-question-scope must be chart or dataset, "
                             f"got {self.near_duplicate_question_scope!r}")
        if self.render.env not in ENV_NAMES:
            raise ValueError(f"--render-env must be one of {', '.join(ENV_NAMES)}, got {self.render.env!r}")
        if self.rater_base_url and len(self.rater_base_url) not in (1, len(self.rater_model)):
            raise ValueError(f"give one --rater-base-url or one per --rater-model "
                             f"({len(self.rater_model)} raters, {len(self.rater_base_url)} URLs)")

    def raters(self) -> list[tuple[str, str]]:
        """``(model, base_url)`` of every rater."""
        urls = self.rater_base_url or [self.base_url]
        if len(urls) == 1:
            urls = urls * len(self.rater_model)
        return list(zip(self.rater_model, urls))

    def api_config(self, base_url: str, api_key: str | None) -> APIConfig:
        """The client settings of one server: :attr:`client` with the server, its key, the run's
        concurrency and the protocol's structured replies (``RUN_SET_CLIENT_FIELDS``)."""
        return dataclasses.replace(self.client, base_url=base_url, api_key=api_key, concurrency=self.concurrency,
                                   schema_retries=self.schema_retries, structured=self.structured)

    def settings_record(self) -> dict:
        """The run's settings as one flat dict, keys left out: the client's flags beside the others, the
        render settings as their flags name them (``render_env``, ``render_timeout``, ...)."""
        client = {k: v for k, v in dataclasses.asdict(self.client).items() if k not in RUN_SET_CLIENT_FIELDS}
        render = {f"render_{k}": v for k, v in dataclasses.asdict(self.render).items() if k not in RUN_SET_RENDER_FIELDS}
        own = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("client", "render")}
        return redact_value({k: v for k, v in {**own, **client, **render}.items() if not k.endswith("api_key")})

    def sampling(self) -> dict:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}

    def protocol_rules(self) -> dict:
        """The rules this run follows (recorded with every chart)."""
        return {"protocol": self.protocol, **{k: getattr(self, k) for k in PROTOCOLS["paper"]},
                "reject_threshold": self.reject_threshold, "min_rating": self.min_rating}


def _accept_flat_render_keys(init):
    """``SynthesisConfig(render_env=..., render_workers=..., render_timeout=...)``, the keys of configs
    written before :attr:`SynthesisConfig.render`, keep working: mapped onto ``render`` with a
    DeprecationWarning."""

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        flat = {FLAT_RENDER_KEYS[k]: kwargs.pop(k) for k in list(kwargs) if k in FLAT_RENDER_KEYS}
        if flat:
            old = ", ".join(f"render_{k}" for k in flat)
            warnings.warn(f"SynthesisConfig({old}=...) is deprecated: pass render=RenderSettings(...)",
                          DeprecationWarning, stacklevel=2)
            kwargs["render"] = dataclasses.replace(kwargs.get("render") or RenderSettings(), **flat)
        init(self, *args, **kwargs)

    return __init__


SynthesisConfig.__init__ = _accept_flat_render_keys(SynthesisConfig.__init__)
