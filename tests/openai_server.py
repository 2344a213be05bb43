"""The tests' OpenAI-compatible server: :mod:`reachqa_builder.demo.server` (installed with the package,
so ``reachqa demo-server`` runs it from any folder). ``python -m tests.openai_server`` still works."""

import sys

from reachqa_builder.demo.server import FAULT_KINDS, BatchAPIServer, Fault, OpenAIServer, Received, Reply, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
