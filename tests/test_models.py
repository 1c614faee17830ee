"""Chat backends for real: llama.cpp's OpenAI-compatible server on 127.0.0.1 (openai SDK path),
the embedded SmolLM2 (local path), and a misbehaving server for faults."""

from __future__ import annotations

import http.server
import json
import sys
import threading
import time

import pytest

from assistant.cli import main as cli_main
from assistant.errors import ModelError, ModelUnavailableError
from assistant.llm import OpenAIChat, default_gguf
from assistant.records import Answer
from conftest import SAMPLES, TITLE_13, TITLE_14, free_port, running_server
from test_answer import assert_quotes_verbatim, cited_titles

SAMPLE_QA = [
    ("Which towns did government forces capture west of Tripoli?", ["Sabrata", "Sorman"], TITLE_13),
    ("How many coronavirus infections has Libya reported?", ["26"], TITLE_14),
    ("Who is the UN envoy to Libya?", ["Stephanie Williams"], TITLE_14),
]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama.cpp's OpenAI-compatible server serving SmolLM2 on 127.0.0.1."""
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_gguf()), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"]
    base = f"http://127.0.0.1:{port}/v1"
    with running_server(cmd, f"{base}/models", tmp_path_factory.mktemp("llama") / "server.log"):
        yield base


@pytest.mark.slow
def test_openai_sdk_against_llama_cpp_server(llama_server):
    chat = OpenAIChat(base_url=llama_server, timeout=120)
    assert chat.model == "smollm2" and chat.name == "openai:smollm2"
    out = chat.complete([{"role": "user", "content": "Say hello."}], max_tokens=12)
    assert out.text.strip() and out.usage["completion_tokens"] > 0
    deltas = list(chat.stream([{"role": "user", "content": "Count to five."}], max_tokens=16))
    assert len(deltas) > 2 and "".join(deltas).strip()


@pytest.mark.slow
def test_ask_and_stream_through_the_server(make_assistant, llama_server):
    a = make_assistant(llm="openai", llm_base_url=llama_server, llm_timeout=120)
    a.ingest([SAMPLES])
    ans = a.ask("How many coronavirus infections has Libya reported?")
    assert ans.backend == "openai:smollm2" and ans.answerable and "26" in ans.answer
    assert ans.usage.get("prompt_tokens", 0) > 100 or ans.fallback_used
    assert_quotes_verbatim(a, ans)
    items = list(a.stream("Who is the UN envoy to Libya?"))
    assert isinstance(items[-1], Answer) and len(items) > 2
    assert "Stephanie Williams" in items[-1].answer
    assert_quotes_verbatim(a, items[-1])


@pytest.mark.slow
@pytest.mark.parametrize("question,expected,title", SAMPLE_QA)
def test_embedded_default_answers_sample_questions(samples_assistant, question, expected, title):
    """The embedded default backend (SmolLM2 on llama.cpp, verified, extractive fallback)."""
    ans = samples_assistant.ask(question, llm="local")
    assert ans.backend.startswith("local:") and ans.answerable
    for e in expected:
        assert e in ans.answer, (ans.answer, ans.fallback_reason)
    assert title in cited_titles(ans)
    assert all(s.supported for s in ans.sentences)
    quoted = " ".join(q.quote for s in ans.sentences for q in s.quotes)
    for e in expected:
        assert e in quoted  # the quoted evidence itself names the answer
    assert_quotes_verbatim(samples_assistant, ans)


# --- faults ----------------------------------------------------------------------------------
class FaultHandler(http.server.BaseHTTPRequestHandler):
    counts: dict[str, int] = {}

    def log_message(self, *a):
        pass

    def do_GET(self):
        self._send(200, json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]}))

    def do_POST(self):
        mode = self.path.strip("/").split("/")[0]
        FaultHandler.counts[mode] = FaultHandler.counts.get(mode, 0) + 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if mode == "429":
            self._send(429, json.dumps({"error": {"message": "slow down"}}))
        elif mode == "500":
            self._send(500, json.dumps({"error": {"message": "boom"}}))
        elif mode == "badjson":
            self._send(200, "{this is not json")
        elif mode == "hang":
            time.sleep(3)
            self._send(200, "{}")

    def _send(self, code, body):
        data = body.encode()
        try:
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def fault_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FaultHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("mode,error,requests", [
    ("429", "rate limited", 2), ("500", "HTTP 500", 2), ("badjson", "malformed response", 1),
    ("hang", "timed out", 2),
])
def test_faults_become_typed_errors_after_retries(fault_server, mode, error, requests):
    FaultHandler.counts.pop(mode, None)
    chat = OpenAIChat(model="m", base_url=f"{fault_server}/{mode}/v1", timeout=1, max_retries=1)
    with pytest.raises(ModelError, match=error):
        chat.complete([{"role": "user", "content": "hi"}])
    assert FaultHandler.counts[mode] == requests


def test_unreachable_server_and_missing_key_are_typed():
    with pytest.raises(ModelUnavailableError, match="cannot reach"):
        OpenAIChat(model="m", base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=0).complete(
            [{"role": "user", "content": "hi"}])
    with pytest.raises(ModelUnavailableError, match="OPENAI_API_KEY"):
        OpenAIChat(model="m")


@pytest.mark.parametrize("mode", ["429", "500", "badjson", "hang"])
def test_faults_fall_back_to_extractive_answer(make_assistant, fault_server, mode):
    a = make_assistant(llm="openai", llm_base_url=f"{fault_server}/{mode}/v1", llm_model="m",
                       llm_timeout=1, llm_max_retries=0)
    a.ingest([SAMPLES])
    ans = a.ask("How many coronavirus infections has Libya reported?")
    assert ans.fallback_used and ans.fallback_reason.startswith("model error")
    assert "26" in ans.answer and ans.citations


def test_cli_with_a_broken_server_prints_an_answer_not_a_traceback(fault_server, tmp_path, capsys, embedder,
                                                                    monkeypatch):
    store = str(tmp_path / "s")
    assert cli_main(["ingest", str(SAMPLES), "--store", store]) == 0
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", f"{fault_server}/500/v1")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "m")
    monkeypatch.setenv("ASSISTANT_LLM_MAX_RETRIES", "0")
    assert cli_main(["ask", "How many coronavirus infections has Libya reported?", "--llm", "openai",
                     "--store", store]) == 0
    captured = capsys.readouterr()
    assert "26" in captured.out and "Traceback" not in captured.err and "fallback" in captured.err


@pytest.mark.slow
def test_local_model_serves_concurrent_requests_one_at_a_time(samples_assistant):
    """UI users share one Assistant: the embedded model runs one request at a time, none fails."""
    from concurrent.futures import ThreadPoolExecutor

    questions = ["How many coronavirus infections has Libya reported?", "Who is the UN envoy to Libya?",
                 "Who backs Haftar?"]
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda q: samples_assistant.ask(q, llm="local"), questions))
    assert [a.answerable for a in answers] == [True, True, True]
    assert "26" in answers[0].answer and "Stephanie Williams" in answers[1].answer
