from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx

import pytest

from assistant.api import Assistant
from assistant.embed import MiniLMEmbedder
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SAMPLE_DUMP = SAMPLES / "bloomberg-libya-2020-04-13_14.txt"
TITLE_14 = "Libya Broadens Military Offensive, Dismissing Talks With Haftar"
TITLE_13 = "Libya's Haftar Dealt Setback in Fighting West of Tripoli"


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """No test reads the developer's .env or writes the repo's vectorstore/."""
    for k in list(os.environ):
        if k.startswith("ASSISTANT_") or k.startswith("OPENAI_"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASSISTANT_STORE_DIR", str(tmp_path / "default-store"))


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    """The real embedded model, loaded once per test session."""
    e = MiniLMEmbedder()
    e.embed_batch(["warm up"])
    return e


@pytest.fixture
def make_assistant(tmp_path, embedder):
    def make(store: Path | None = None, chat_model=None, **overrides) -> Assistant:
        settings = Settings(**{"store_dir": store or tmp_path / "store", "llm": "extractive", **overrides})
        return Assistant(settings, embedder=embedder, chat_model=chat_model)
    return make


@pytest.fixture
def samples_assistant(make_assistant):
    a = make_assistant()
    report = a.ingest([SAMPLES])
    assert report.articles_added == 2 and not report.errors
    return a


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(cmd: list[str], ready_url: str, log_path: Path, env: dict | None = None, timeout: float = 120):
    """Start a real server process, wait until ``ready_url`` answers 200, stop it afterwards.
    Its output goes to a file (a pipe would fill up and block it)."""
    log = open(log_path, "w+")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"{cmd[0]} exited: {log.read()[-2000:]}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                pytest.fail(f"{' '.join(cmd[:3])} did not answer at {ready_url} within {timeout:.0f} s")
            time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".xml": "application/rss+xml", ".html": "text/html; charset=utf-8"}

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def http_dir(tmp_path):
    """A real HTTP server on 127.0.0.1 serving a temp directory: (dir, base_url)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: _QuietHandler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
