"""Render chart scripts on a Ray cluster (``pip install 'reachqa[ray]'``).

Example::

    from reachqa_builder.ray_render import RayRenderer
    renderer = RayRenderer("auto", RenderSettings(env="faithful"))  # or "ray://head:10001", "head:6379"
    records = renderer.render(sorted(Path("code").glob("*.py")), "images")

The driver (this process) reads the scripts and serves what needs no rendering exactly as a local
run does, through :func:`reachqa_builder.render.render_scripts` itself: cache hits, unreadable or
non-UTF-8 scripts, ids that are not plain file names. The rest goes to the cluster in small chunks:
one Ray actor per node holds that node's warm sandboxed worker pool (``render_scripts`` with
``keep_workers``, the node's own render environment, created there on first use) and returns each
chart's JPEG bytes, record and cache entry. The driver writes the images, the render cache and
``render_report.jsonl`` as a local run would, each report line naming the node (``node``: the Ray
node id; for lines the driver served, the driver's node).

Faults are Ray's business: the actors have ``max_restarts=-1`` and ``max_task_retries=-1`` and a
soft node affinity, so when a node is lost its actor restarts on a live node and the chunk it held
runs again there; chunks already returned are never rendered again. A driver killed mid-run loses
nothing either: every result is in the render cache as soon as it arrives, so the same command
renders only what is missing.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from .fileio import atomic_write
from .render import (REPORT_NAME, RenderEnvironmentError, RenderRecord, cache_limits, get_environment,
                     render_scripts)
from .render.cache import RenderCache
from .render.settings import RenderSettings
from .render.verify import confined_output_path

__all__ = ["RayRenderer", "RayUnavailableError", "render_scripts_ray", "connect"]


class RayUnavailableError(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached or has no node to render on."""


def _ray():
    try:
        import ray
    except ImportError:
        raise RayUnavailableError("--ray needs Ray: pip install 'reachqa[ray]'") from None
    return ray


def connect(address: str):
    """Connect this process to the cluster at ``address`` (as ``ray.init`` takes it) once."""
    ray = _ray()
    if not ray.is_initialized():
        try:
            ray.init(address=address, logging_level="WARNING", configure_logging=True)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise RayUnavailableError(f"cannot connect to the Ray cluster at {address!r}: "
                                      f"{' '.join(str(exc).split())[:300]}") from None
    return ray


class RenderNode:
    """One per node (a Ray actor): the node's render environment and warm sandboxed worker pool."""

    def __init__(self, env: str, options: dict):
        import ray

        self.options = options
        self.node = ray.get_runtime_context().get_node_id()
        self.fingerprint = self.error = None
        try:
            self.fingerprint = get_environment(env).fingerprint  # the faithful env is created on first use
        except Exception as exc:  # reported to the driver as one line, never raised here (no restart loop)
            self.error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:400]}"

    def info(self) -> dict:
        import ray

        probe = RenderCache.key("", self.fingerprint, self.options["dpi"], inspect=True) if self.fingerprint else None
        return {"node": self.node, "ip": ray.util.get_node_ip_address(), "fingerprint": self.fingerprint,
                "probe": probe, "error": self.error, "workers": self.options["workers"]}

    def render(self, chunk: dict[str, str]) -> list[tuple[RenderRecord, bytes | None, dict | None]]:
        """Render ``{id: code}``; per script its record, JPEG bytes and render-cache entry (None when a
        local run would not cache it)."""
        with tempfile.TemporaryDirectory(prefix="reachqa-ray-") as tmp:
            cache = RenderCache(Path(tmp) / "cache")
            records = render_scripts(chunk, Path(tmp) / "out", cache_dir=cache.root, use_cache=True, report=False,
                                     progress=False, keep_workers=True, **self.options)
            results = []
            limits = cache_limits(self.options["timeout"], self.options["memory_mb"])
            for rec in records:
                hit = cache.get(RenderCache.key(chunk[rec.id], self.fingerprint, self.options["dpi"], inspect=True,
                                                limits=limits))
                image = Path(rec.image).read_bytes() if rec.image else None
                rec.image, rec.node = None, self.node
                results.append((rec, image, hit[0] if hit else None))
        return results


@dataclass(init=False)
class RayRenderer:
    """Rendering on a Ray cluster with :class:`RenderSettings` (``workers`` is then per node).

    Args:
        address: the cluster, as ``ray.init`` takes it (``auto``, ``ray://host:port``, ``host:port``).
        settings: how to render (default: ``RenderSettings()``).
        unsafe_no_sandbox, desc: as :func:`render_scripts` takes them.
        chunk_size: scripts per Ray task (default: two per worker, fewer for small runs); a lost
            node costs at most one chunk rendered again.
        **options: :func:`render_scripts`' keyword arguments (``env``, ``timeout``, ``use_cache``, ...)
            applied over ``settings`` (``RayRenderer("auto", env="current")``).
    """

    address: str
    settings: RenderSettings
    unsafe_no_sandbox: bool = False
    chunk_size: int | None = None
    desc: str = "rendering on ray"
    nodes: list[dict] = field(default_factory=list)  # info of the nodes of the last run, with charts rendered

    def __init__(self, address: str, settings: RenderSettings | None = None, *, unsafe_no_sandbox: bool = False,
                 chunk_size: int | None = None, desc: str = "rendering on ray", **options) -> None:
        self.address, self.unsafe_no_sandbox, self.chunk_size, self.desc = address, unsafe_no_sandbox, chunk_size, desc
        self.settings = (settings or RenderSettings()).with_options(**options)
        self.nodes = []

    def render(self, scripts, out_dir) -> list[RenderRecord]:
        """Like :func:`render_scripts`: one record per script, in order; report and cache written."""
        return list(self.iter_render(scripts, out_dir))

    def cluster_record(self) -> dict:
        """The cluster of the last run, for a dataset card: nodes, their render env and charts rendered."""
        return {"nodes": len(self.nodes), "render": [
            {"node": n["node"][:12], "workers": n["workers"], "env": n["fingerprint"], "charts": n.get("charts", 0)}
            for n in self.nodes]}

    def iter_render(self, scripts, out_dir) -> Iterator[RenderRecord]:
        """The records in input order, each yielded as soon as it and all before it are done."""
        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"output path {out} exists and is not a directory")
        items, sources = _read(scripts)
        ray = connect(self.address)
        actors, fingerprint = self._start_nodes(ray)
        try:
            local, remote, keys = self._split(items, out, fingerprint)
            out.mkdir(parents=True, exist_ok=True)
            yield from _Run(self, ray, actors, out, items, sources, keys).run(local, remote)
        finally:
            for actor in actors:
                ray.kill(actor)

    # -- steps ---------------------------------------------------------------------------------------

    def _options(self, workers: int) -> dict:
        s = self.settings
        return {"env": s.env, "dpi": s.dpi, "workers": workers, "timeout": s.timeout, "memory_mb": s.memory_mb,
                "unsafe_no_sandbox": self.unsafe_no_sandbox}

    def _start_nodes(self, ray) -> tuple[list, str]:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        alive = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
        if not alive:
            raise RayUnavailableError(f"the Ray cluster at {self.address!r} has no live node with CPUs")
        remote_cls = ray.remote(RenderNode)
        # Ray's default actor resources (a CPU to be placed, none held while running): a node's CPUs
        # stay free for its render workers, and a restarted actor fits on a node that has one already
        actors = [remote_cls.options(
            max_restarts=-1, max_task_retries=-1,
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=True),
        ).remote(self.settings.env, self._options(self.settings.workers or max(1, int(n["Resources"]["CPU"])))) for n in alive]
        try:
            self.nodes = ray.get([a.info.remote() for a in actors])
            for n in self.nodes:
                if n["error"]:
                    raise RenderEnvironmentError(f"node {n['ip']} ({n['node'][:12]}) cannot use the {self.settings.env!r} "
                                                 f"render environment: {n['error']}")
            prints = {n["fingerprint"] for n in self.nodes}
            if len(prints) > 1:
                raise RenderEnvironmentError(f"the nodes render with different {self.settings.env!r} environments "
                                             f"({', '.join(sorted(prints))}): install the same reachqa everywhere")
            fingerprint = prints.pop()
            here = RenderCache.key("", fingerprint, self.settings.dpi, inspect=True)
            other = [n for n in self.nodes if n["probe"] != here]
            if other:
                raise RenderEnvironmentError(f"node {other[0]['ip']} ({other[0]['node'][:12]}) runs another reachqa "
                                             "renderer than this driver: install the same reachqa everywhere")
        except BaseException:
            for actor in actors:
                ray.kill(actor)
            raise
        return actors, fingerprint

    def _split(self, items, out: Path, fingerprint: str):
        """(ids the driver serves, {id: code} for the cluster, {id: cache key})."""
        cache = RenderCache(self.settings.cache_dir) if self.settings.cache else None
        local, remote, keys = [], {}, {}
        limits = cache_limits(self.settings.timeout, self.settings.memory_mb)
        for sid, code in items:
            if code is None or confined_output_path(out, sid) is None:
                local.append(sid)
                continue
            keys[sid] = RenderCache.key(code, fingerprint, self.settings.dpi, inspect=True, limits=limits)
            if cache is not None and cache.get(keys[sid]) is not None:
                local.append(sid)
            else:
                remote[sid] = code
        if local and get_environment(self.settings.env, create=False).fingerprint != fingerprint:
            raise RenderEnvironmentError(f"this driver's {self.settings.env!r} render environment differs from the cluster's "
                                         f"({fingerprint}): install the same versions here")
        return local, remote, keys


def _read(scripts) -> tuple[list[tuple[str, str | None]], dict]:
    """(id, code or None when unreadable / not UTF-8) per script, and each id's source (path or
    value): the driver's render_scripts call reports the unreadable ones exactly as a local run does."""
    if isinstance(scripts, Mapping):
        pairs = [(str(k), v) for k, v in scripts.items()]
    else:
        pairs = [(Path(p).stem, Path(p)) for p in scripts]
    items, seen, sources = [], set(), {}
    for sid, value in pairs:
        if sid in seen:
            raise ValueError(f"two scripts have the same id {sid!r}; ids (file stems) must be unique")
        seen.add(sid)
        try:
            raw = value.read_bytes() if isinstance(value, Path) else value
            code = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except (OSError, UnicodeDecodeError):
            code = None
        items.append((sid, code))
        sources[sid] = value
    return items, sources


class _Run:
    """One run on the cluster: the driver's own records, chunks sent to the nodes, results written."""

    def __init__(self, cfg: RayRenderer, ray, actors, out: Path, items, sources: dict, keys: dict):
        self.cfg, self.ray, self.actors, self.out, self.sources, self.keys = cfg, ray, actors, out, sources, keys
        self.order = [sid for sid, _ in items]
        self.cache = RenderCache(cfg.settings.cache_dir) if cfg.settings.cache else None
        self.records: dict[str, RenderRecord] = {}
        self.driver_node = ray.get_runtime_context().get_node_id()

    def run(self, local: list[str], remote: dict[str, str]) -> Iterator[RenderRecord]:
        from tqdm.auto import tqdm

        report = open(self.out / REPORT_NAME, "w", encoding="utf-8")
        bar = tqdm(total=len(self.order), desc=self.cfg.desc, unit="chart", disable=not self.cfg.settings.progress,
                   file=sys.stderr)
        next_out = 0
        try:
            for rec in self._serve_local(local):  # images already written by render_scripts
                self._finish(rec, None, None, report, bar, rendered=False)
            for results in self._map(remote):
                for rec, image, meta in results:
                    self._finish(rec, image, meta, report, bar, rendered=True)
                while next_out < len(self.order) and self.order[next_out] in self.records:
                    yield self.records[self.order[next_out]]
                    next_out += 1
            while next_out < len(self.order):
                yield self.records[self.order[next_out]]
                next_out += 1
        finally:
            report.close()
            bar.close()
            if len(self.records) == len(self.order):
                atomic_write(self.out / REPORT_NAME, "".join(
                    json.dumps(self.records[sid].report_line()) + "\n" for sid in self.order).encode())

    def _serve_local(self, local: list[str]) -> list[RenderRecord]:
        """Cache hits and bad input, through render_scripts itself (no worker starts for them)."""
        if not local:
            return []
        scripts = {sid: self.sources[sid] for sid in local}
        if all(isinstance(v, Path) for v in scripts.values()):
            scripts = [scripts[sid] for sid in local]
        records = render_scripts(scripts, self.out, **{**self.cfg.settings.render_options(), "progress": False},
                                 report=False, unsafe_no_sandbox=self.cfg.unsafe_no_sandbox)
        for rec in records:
            rec.node = self.driver_node
        return records

    def _map(self, remote: dict[str, str]) -> Iterator[list]:
        """Chunks through one actor per node (``ray.util.ActorPool``), results as they complete."""
        if not remote:
            return iter(())
        from ray.util import ActorPool

        ids = list(remote)
        workers = max(n["workers"] for n in self.cfg.nodes)
        size = self.cfg.chunk_size or max(1, min(2 * workers, math.ceil(len(ids) / (2 * len(self.actors)))))
        chunks = [{sid: remote[sid] for sid in ids[i:i + size]} for i in range(0, len(ids), size)]
        return ActorPool(self.actors).map_unordered(lambda actor, chunk: actor.render.remote(chunk), chunks)

    def _finish(self, rec: RenderRecord, image: bytes | None, meta: dict | None, report, bar, *, rendered: bool) -> None:
        if image is not None:
            target = confined_output_path(self.out, rec.id)
            atomic_write(target, image)
            rec.image = str(target)
        if meta is not None and self.cache is not None:
            self.cache.put(self.keys[rec.id], meta, image)
        if rendered:
            node = next((n for n in self.cfg.nodes if n["node"] == rec.node), None)
            if node is None:  # an actor restarted on a node that had none
                node = {"node": rec.node, "ip": "?", "workers": 0, "fingerprint": self.cfg.nodes[0]["fingerprint"]}
                self.cfg.nodes.append(node)
            node["charts"] = node.get("charts", 0) + 1
        self.records[rec.id] = rec
        report.write(json.dumps(rec.report_line()) + "\n")
        report.flush()
        bar.update(1)


def render_scripts_ray(scripts: Iterable | Mapping, out_dir, *, address: str, **settings) -> list[RenderRecord]:
    """:func:`reachqa_builder.render.render_scripts` on a Ray cluster (``settings``: ``render_scripts``' keyword
    arguments, as :class:`RayRenderer` takes them)."""
    return RayRenderer(address, **settings).render(scripts, out_dir)
