"""Batched generation vs one request at a time (the original tool's fallback path).

Same model, same inputs, greedy decoding, one run: prints samples/s of both and their ratio, and
checks that both produce the same answers. Without --model it builds the tiny test LLaVA (CPU);
pass a real checkpoint on a GPU for meaningful figures.

    .venv/bin/python bench/infer.py                       # tiny model, CPU
    .venv/bin/python bench/infer.py --model llava-hf/llava-1.5-7b-hf --n 64 --batch-size 16 --max-new-tokens 128
    .venv-vllm/bin/python bench/infer.py --model llava-hf/llava-1.5-7b-hf --n 64 --batch-size 16 --vllm   # GPU
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.inference.transformers_engine import TransformersEngine, TransformersEngineConfig  # noqa: E402
from reachqa_builder.llm.types import ChatRequest, user_message  # noqa: E402

QUESTIONS = ["What is the value of the second bar?", "How many bars are in the chart?",
             "Which color is the highest bar?", "What is the total of all bars?",
             "What is the trend of the line between year 2010 and 2020? Let's think step by step."]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=None, help="checkpoint (default: build the tiny test model)")
    p.add_argument("--n", type=int, default=32, help="requests")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-new-tokens", type=int, default=32)
    p.add_argument("--device", default="auto")
    p.add_argument("--dtype", default="auto")
    p.add_argument("--vllm", action="store_true",
                   help="also time the vllm engine on the same requests (GPU + the .venv-vllm environment)")
    args = p.parse_args()

    from tests.evaluation.conftest import make_chart

    model = args.model
    if model is None:
        from tests.evaluation.tiny_models import build_tiny_llava

        model = str(build_tiny_llava(Path(tempfile.mkdtemp()) / "tiny-llava"))
    colors = ["tab:blue", "tab:red", "tab:green", "tab:orange"]
    charts = [make_chart(colors[i % 4], tuple(range(1 + i % 5, 4 + i % 7))) for i in range(8)]
    requests = [ChatRequest(messages=[user_message(QUESTIONS[i % len(QUESTIONS)] + " " * (i % 3), [charts[i % 8]])],
                            model="bench", max_tokens=args.max_new_tokens) for i in range(args.n)]
    engine = TransformersEngine(TransformersEngineConfig(model=model, batch_size=args.batch_size, device=args.device,
                                                         dtype=args.dtype, progress=False))
    engine.generate(requests[:2])  # warm-up (kernels, allocator)

    def timed(batch_size: int):
        engine.config.batch_size = batch_size
        if engine.device.type == "cuda":
            import torch
            torch.cuda.synchronize()
        start = time.perf_counter()
        replies = engine.generate(requests)
        if engine.device.type == "cuda":
            import torch
            torch.cuda.synchronize()
        return time.perf_counter() - start, replies

    t_one, one = timed(1)
    t_batch, batched = timed(args.batch_size)
    same = sum(a.text == b.text for a, b in zip(one, batched))
    tokens = sum(r.completion_tokens for r in batched)
    print(f"model: {model if args.model else 'tiny LLaVA (test factory)'}  device: {engine.device}  "
          f"requests: {args.n}  max_new_tokens: {args.max_new_tokens}  generated tokens: {tokens}")
    print(f"baseline  one request at a time : {args.n / t_one:8.2f} samples/s  ({t_one:.2f} s)")
    print(f"reachqa   batched (batch {args.batch_size:>3})   : {args.n / t_batch:8.2f} samples/s  ({t_batch:.2f} s)")
    print(f"ratio (batched / one at a time) : {t_one / t_batch:8.2f}x")
    print(f"identical answers               : {same}/{args.n}")
    if args.vllm:  # not run in this repository yet (no GPU was lent); see bench/README.md
        from evaluation.inference.vllm_engine import VLLMEngine, VLLMEngineConfig

        engine.close()
        import gc

        import torch
        gc.collect()
        torch.cuda.empty_cache()  # hand the transformers model's memory to vLLM
        llm = VLLMEngine(VLLMEngineConfig(model=model, dtype=args.dtype, progress=False))
        llm.generate(requests[:2])
        start = time.perf_counter()
        fast = llm.generate(requests)
        t_vllm = time.perf_counter() - start
        print(f"vllm      LLM.chat, all at once     : {args.n / t_vllm:8.2f} samples/s  ({t_vllm:.2f} s)")
        print(f"ratio (vllm / batched)          : {t_batch / t_vllm:8.2f}x   (vllm / one at a time: "
              f"{t_one / t_vllm:.2f}x)")
        print(f"same answers as batched         : {sum(a.text == b.text for a, b in zip(fast, batched))}/{args.n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
