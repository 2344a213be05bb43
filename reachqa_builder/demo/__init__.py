"""The offline demo: a real OpenAI-compatible server on 127.0.0.1 (:mod:`.server`, needs
``aiohttp``: ``pip install reachqa[demo]``) with stand-in models (:mod:`.models`). The test suite
uses the same server with scripted replies and faults (``tests/openai_server.py``)."""
