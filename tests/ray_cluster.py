"""A local multi-node Ray cluster for tests: ``ray.cluster_utils.Cluster``, 2 nodes x 1 CPU, all on
127.0.0.1 (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, set in ``tests/conftest.py`` before Ray is
imported, keeps every Ray address on the loopback interface).

Failure detection is sped up (a lost node is declared dead after about 3 s instead of 30 s) so the
node-loss test stays short.
"""

from __future__ import annotations

import contextlib
import os

FAST_FAILURE_DETECTION = {"health_check_initial_delay_ms": 1000, "health_check_period_ms": 1000,
                          "health_check_timeout_ms": 1000, "health_check_failure_threshold": 3}


@contextlib.contextmanager
def local_cluster(node_env: dict[str, str] | None = None, cpus_per_node: int = 1, nodes: int = 2):
    """A started cluster of ``nodes`` nodes (the head and workers); ``node_env`` is the environment its
    processes see (on top of ours). ``cluster.worker`` is the first worker node."""
    assert os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER") == "0", "tests/conftest.py sets it"
    import ray
    from ray.cluster_utils import Cluster

    saved = {k: os.environ.get(k) for k in (node_env or {})}
    os.environ.update(node_env or {})
    try:
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": cpus_per_node, "include_dashboard": False, "_system_config": FAST_FAILURE_DETECTION})
        workers = [cluster.add_node(num_cpus=cpus_per_node) for _ in range(nodes - 1)]
        cluster.wait_for_nodes()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    cluster.worker = workers[0] if workers else None
    ray.init(address=cluster.address, logging_level="WARNING")
    for worker in workers:
        _wait_until_schedulable(ray, worker.node_id)
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def _wait_until_schedulable(ray, node_id: str, timeout: float = 60) -> None:
    """Wait until the head schedules onto the new node (its resources reach the head a moment after
    it registers; before that a soft node affinity quietly falls back to the head)."""
    import time

    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    @ray.remote(num_cpus=0)
    def where() -> str:
        return ray.get_runtime_context().get_node_id()

    deadline = time.time() + timeout
    while time.time() < deadline:
        probe = where.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=True))
        if ray.get(probe.remote()) == node_id:
            return
        time.sleep(0.5)
    raise TimeoutError(f"the head never scheduled onto node {node_id}")
