"""Benchmark: the cost per request of the API client on top of a bare HTTP loop.

Both sides send the same chat completions to the local OpenAI-compatible server
(tests/openai_server.py, run in its own process so that only the client's CPU is counted) at the
same concurrency, in one run:

* baseline - a bare ``aiohttp`` POST loop (no retries, limiter, cache or checks): the floor;
* project  - ``APIClient.chat_many`` (``openai.AsyncOpenAI`` underneath, limiter, usage counts).

Printed: requests per second and client CPU milliseconds per request of each, and their ratio.
Run: ``.venv/bin/python bench/client.py [--requests 1000 --concurrency 32]``.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def messages(i: int) -> list[dict]:
    return [{"role": "user", "content": f"question {i}: " + "word " * 200}]


async def bare(url: str, n: int, concurrency: int) -> tuple[float, float]:
    import aiohttp

    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer k"}) as session:
        async def one(i: int) -> None:
            async with sem:
                async with session.post(f"{url}/chat/completions", json={
                        "model": "m", "messages": messages(i), "max_tokens": 64}) as r:
                    assert (await r.json())["choices"][0]["message"]["content"] == "ok"
        return await _timed(lambda: asyncio.gather(*(one(i) for i in range(n))))


async def project(url: str, n: int, concurrency: int) -> tuple[float, float]:
    from reachqa_builder.llm import APIClient, APIConfig, ChatRequest

    config = APIConfig(base_url=url, api_key="k", concurrency=concurrency, no_cache=True)
    async with APIClient(config) as client:
        await client.chat(ChatRequest(messages=messages(-1), model="m"))  # connections, platform probe
        reqs = [ChatRequest(messages=messages(i), model="m", max_tokens=64) for i in range(n)]
        return await _timed(lambda: client.chat_many(reqs, return_exceptions=False))


async def _timed(make) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    await make()
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "tests.openai_server", "--port", str(port), "--api-key", "k"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()  # "serving on ..."
        url = f"http://127.0.0.1:{port}/v1"
        b_wall, b_cpu = asyncio.run(bare(url, args.requests, args.concurrency))
        p_wall, p_cpu = asyncio.run(project(url, args.requests, args.concurrency))
    finally:
        server.terminate()
        server.wait()
    n = args.requests
    print(f"setting: {n} requests, concurrency {args.concurrency}, server in its own process, no latency")
    print(f"baseline (bare aiohttp loop): {n / b_wall:7.0f} req/s, {b_cpu / n * 1000:5.2f} ms client CPU per request")
    print(f"project  (APIClient, openai): {n / p_wall:7.0f} req/s, {p_cpu / n * 1000:5.2f} ms client CPU per request")
    print(f"ratio project/baseline: {b_wall / p_wall:.2f}x req/s, "
          f"{p_cpu / b_cpu:.1f}x CPU per request")


if __name__ == "__main__":
    main()
