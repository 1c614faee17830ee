"""The Gradio UI in a real headless Chromium (Debian's, driven by Playwright).
Screenshots are saved under artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.settings import Settings
from assistant.ui import UIError, launch
from conftest import ROOT, SAMPLES, TITLE_14, free_port, running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed (make browser)")]

EVIL = ("Harbour Council Vote <script>window.__xss = 'script'</script>\n\n"
        "By Ann Writer\n\nMarch 3, 2024\n\n"
        "The harbour council approved the dredging budget <img src=x onerror=\"window.__xss='img'\"> on Monday "
        "after a long debate about the dredging costs.\n\n"
        "Members said the dredging vote <script>window.__xss='inline'</script> was close, 7 to 6.\n")


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    store = tmp_path_factory.mktemp("ui") / "store"
    env = {**os.environ, "ASSISTANT_LLM": "extractive", "ASSISTANT_STORE_DIR": str(store)}
    exe = str(Path(sys.executable).parent / "assistant")
    subprocess.run([exe, "ingest", str(SAMPLES)], env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with running_server([exe, "ui", "--port", str(port)], url, store.parent / "ui.log", env=env):
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser, ui_server):
    pg = browser.new_page(viewport={"width": 1300, "height": 1000})
    pg.goto(ui_server, wait_until="load")
    pg.wait_for_selector("#question textarea", timeout=60000)
    yield pg
    pg.close()


def ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()


def test_ask_shows_answer_and_cited_quote(page):
    ask(page, "How many coronavirus infections has Libya reported?")
    page.wait_for_selector("#sources mark", timeout=60000)
    chat = page.locator("#chat").inner_text()
    assert "26" in chat and "[1]" in chat and "backend: extractive" in chat
    sources = page.locator("#sources")
    assert TITLE_14 in sources.inner_text()
    assert sources.locator("mark").first.inner_text() == "Libya has reported 26 coronavirus infections so far."
    marker = page.locator("#chat a.cite").first
    assert "Libya has reported 26" in marker.get_attribute("title")  # the quote shows on hover
    page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)
    # a follow-up uses the history; clear empties the chat
    ask(page, "Who is the UN envoy to Libya?")
    page.wait_for_function("document.querySelector('#chat').innerText.includes('Stephanie Williams')", timeout=60000)
    page.locator("#clear").click()
    page.wait_for_function("!document.querySelector('#chat').innerText.includes('Stephanie')", timeout=30000)


def test_summary_request_in_chat_is_routed(page):
    ask(page, "Summarize the articles about Haftar")
    page.wait_for_selector("#sources mark", timeout=90000)
    chat = page.locator("#chat").inner_text()
    assert "summary · backend: extractive" in chat and "articles about 'Haftar'" in chat
    assert page.locator("#sources .src").count() >= 2  # both sample articles are cited


def test_bad_filter_is_a_message_not_a_trace(page):
    page.locator("#since textarea, #since input").first.fill("last tuesday")
    ask(page, "Who is the UN envoy to Libya?")
    page.wait_for_selector("text=not a date", timeout=30000)
    assert "Traceback" not in page.content()


def test_generate_and_download_brief(page):
    page.get_by_role("tab", name="Daily brief").click()
    page.locator("#brief-date textarea, #brief-date input").first.fill("2020-04-14")
    page.locator("#brief-generate").click()
    page.wait_for_selector("#brief-view h2", timeout=60000)
    view = page.locator("#brief-view").inner_text()
    assert "Daily brief — 2020-04-14" in view and TITLE_14 in view and "[1]" in view
    page.wait_for_selector("#brief-md a, #brief-md .file-preview", timeout=30000)
    assert ".md" in page.locator("#brief-md").inner_text() and ".html" in page.locator("#brief-html").inner_text()
    page.screenshot(path=str(SHOTS / "brief.png"), full_page=True)


def test_upload_lists_article_and_hostile_markup_stays_text(page, tmp_path):
    f = tmp_path / "harbour.txt"
    f.write_text(EVIL)
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(f))
    page.wait_for_timeout(1000)
    page.locator("#ingest").click()
    page.wait_for_function("document.querySelector('#articles').innerText.includes('Harbour Council Vote')",
                           timeout=60000)
    assert "1 added" in page.locator("#ingest-results").inner_text()
    page.screenshot(path=str(SHOTS / "library.png"), full_page=True)
    page.get_by_role("tab", name="Chat").click()
    ask(page, "What did the harbour council approve about dredging?")
    page.wait_for_selector("#sources mark", timeout=60000)
    page.wait_for_timeout(500)
    text = page.locator("#sources").inner_text() + page.locator("#chat").inner_text()
    assert "dredging" in text
    assert "<img src=x onerror" in text  # shown as text
    assert page.evaluate("window.__xss") is None  # and nothing ran
    assert page.locator("img[src=x]").count() == 0
    page.screenshot(path=str(SHOTS / "hostile.png"), full_page=True)


def test_several_users_at_once(browser, ui_server):
    pages = []
    for _ in range(3):
        pg = browser.new_page()
        pg.goto(ui_server, wait_until="load")
        pg.wait_for_selector("#question textarea", timeout=60000)
        pages.append(pg)
    for pg in pages:
        ask(pg, "Who backs Haftar?")
    for pg in pages:
        pg.wait_for_selector("#sources mark", timeout=90000)
        assert "Egypt" in pg.locator("#chat").inner_text()
        pg.close()


def test_refuses_non_loopback_without_auth(tmp_path):
    a = Assistant(Settings(store_dir=tmp_path / "s", llm="extractive"))
    with pytest.raises(UIError, match="ASSISTANT_UI_AUTH"):
        launch(a, host="0.0.0.0", port=free_port(), block=False)
    with pytest.raises(UIError, match="user:password"):
        launch(Assistant(Settings(store_dir=tmp_path / "s", llm="extractive", ui_auth="nopassword")),
               host="0.0.0.0", block=False)


def test_sources_panel_highlights_every_quoted_span():
    """A sentence supported by two spans of one article shows both highlighted (no browser needed)."""
    from assistant.records import AnswerSentence, SentenceQuote
    from assistant.ui import sources_html

    text = "Alpha one. The capture of Sabrata was announced.\\n\\nThe statement ran. They took Sorman. Omega."
    s1, s2 = text.index("The capture"), text.index("They took")
    q1 = SentenceQuote(n=1, quote=text[s1:text.index("announced.") + 10], start=s1, end=text.index("announced.") + 10, score=0.9)
    q2 = SentenceQuote(n=1, quote="They took Sorman.", start=s2, end=s2 + 17, score=0.9)
    from assistant.records import Citation
    c = Citation(n=1, article_id="a", title="T <b>", chunk_id="a:0", quote=q1.quote, start=q1.start, end=q1.end)
    page = sources_html([c], {"a": text}, [AnswerSentence(text="x [1].", citations=[1], supported=True, support=0.9,
                                                          quotes=[q1, q2])])
    assert page.count("<mark>") == 2 and "They took Sorman.</mark>" in page and "T &lt;b&gt;" in page
