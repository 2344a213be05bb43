"""The program check: model-written programs, run in the render sandbox, against the stated answers."""

from __future__ import annotations

import json
import subprocess
import sys

from reachqa_builder.checks.program import compare_answer, extract_program, wrap_program
from reachqa_builder.cli import main
from tests.checks.checks_fixtures import write_folder
from tests.openai_server import OpenAIServer

PROGRAMS = {
    "visitors came in 2020": "answer = 1400",
    "visitors came in 2021": "visitors = [1250, 1400, 1610]\nanswer = visitors[2]",
    "colour": "answer = 'teal'",
    "grow from 2019 to 2021": "import numpy as np\nv = np.array([1250, 1400, 1610])\nanswer = float(v[-1] - v[0])",
}


def reply_for(escape_to):
    def reply(req):
        text = req.text
        assert "Question:" in text and "visitors = [1250, 1400, 1610]" in text  # the chart's code is in the prompt
        for key, program in PROGRAMS.items():
            if key in text:
                return f"Here you go:\n```python\n{program}\n```"
        raise AssertionError(text[-200:])
    return reply


def test_compare_answer_rules():
    assert compare_answer("Total is 156%", "156.0").verdict == "supported"
    assert compare_answer("WhatsApp accounts for approximately 38.46%", "0.3846").verdict == "supported"
    assert compare_answer("The gap is 40 units", "35").verdict == "contradicted"
    assert compare_answer("Violet red", "violet red").verdict == "supported"
    assert compare_answer("Violet red", "crimson").verdict == "not_checkable"
    assert compare_answer("12", None, "the program failed: NameError").evidence == ["the program failed: NameError"]
    assert extract_program("text\n```python\nanswer = 1\n```\nmore") == "answer = 1\n"
    assert extract_program("no code here!") is None


def test_reachqa_verify_with_a_model_runs_its_programs_in_the_sandbox(tmp_path):
    data = write_folder(tmp_path / "reachqa_test")
    server = OpenAIServer(reply_for(None), api_key="test-key")
    server.start()
    try:
        out = tmp_path / "verdicts.jsonl"
        status = main(["verify", str(data), "--out", str(out), "--render-env", "current", "--render-cache-dir",
                       str(tmp_path / "cache"), "--workers", "1", "--no-progress", "--model", "coder",
                       "--base-url", server.url, "--api-key", "test-key", "--program-cache",
                       str(tmp_path / "replies.sqlite"), "--backoff-base", "0.01"])
        assert status == 0
        rows = {r["qa_id"]: r for r in map(json.loads, out.read_text().splitlines())}
        program = {k: r["program"]["verdict"] for k, r in rows.items()}
        # q0 right (1,400), q1 wrong (says 1,900; the data says 1610), q2 a text, q3 right (1610 - 1250 = 360)
        assert program == {"q0": "supported", "q1": "contradicted", "q2": "supported", "q3": "supported"}
        assert "1610" in rows["q1"]["program"]["evidence"][0]
        assert len(server.completions()) == 4
        # A rerun asks the model nothing (reply cache) and runs nothing (render cache).
        server.reset_log()
        assert main(["verify", str(data), "--out", str(out), "--render-env", "current", "--render-cache-dir",
                     str(tmp_path / "cache"), "--workers", "1", "--no-progress", "--model", "coder",
                     "--base-url", server.url, "--api-key", "test-key", "--program-cache",
                     str(tmp_path / "replies.sqlite")]) == 0
        assert server.completions() == []
    finally:
        server.stop()


def test_a_program_that_attacks_is_stopped_by_the_sandbox(tmp_path):
    target = tmp_path / "pwned.txt"
    hostile = f"open({str(target)!r}, 'w').write('owned')\nanswer = 1"
    # Run as plain Python (a weakened setting: no sandbox), the program does what it wants ...
    subprocess.run([sys.executable, "-c", hostile], check=True)
    assert target.read_text() == "owned"
    target.unlink()
    # ... run by the program check, it is refused and the pair is not checkable.
    from reachqa_builder.checks.program import run_programs

    results = run_programs({"h": hostile}, env="current", workers=1, cache_dir=str(tmp_path / "c"))
    computed, problem = results["h"]
    assert computed is None and "SandboxViolation" in problem and not target.exists()
    assert compare_answer("1", computed, problem).verdict == "not_checkable"
    assert wrap_program("answer = 2").startswith("answer = 2\n")
