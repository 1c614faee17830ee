"""The Gradio app. It only calls the Python API (``Assistant``); every piece of text that comes
from an article or a model is escaped here before it reaches the page."""

from __future__ import annotations

import hashlib
import html
import ipaddress
import logging
import os
import socket
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home: the machine may be offline

import gradio as gr  # noqa: E402

from .api import Assistant
from .errors import AssistantError
from .records import Answer, Citation
from .render import brief_body_html, brief_html, brief_markdown, sentences_html
from .routing import route

log = logging.getLogger(__name__)
e = html.escape

CSS = """
#sources .src{border-left:3px solid #c7d2fe;padding:.3rem .7rem;margin:.6rem 0}
#sources mark{background:#fde68a;padding:0 .1rem}
#sources .ctx{color:#555;font-size:.92rem}
.cite{text-decoration:none}
.unsupported{background:#fee2e2;text-decoration:line-through}
.backend{color:#666;font-size:.85rem}
"""


class UIError(AssistantError):
    """The UI cannot start with these settings."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def _parse_date(value: str | None, field: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise gr.Error(f"{field}: not a date (YYYY-MM-DD): {value!r}") from None


# --- rendering of answers ------------------------------------------------------------------------
def answer_html(ans: Answer) -> str:
    cites = {c.n: c for c in ans.citations}
    if not ans.answerable:
        body = f"<p>{e(ans.answer)}</p>"
    else:
        body = "<p>" + sentences_html(ans.sentences, cites) + "</p>"
    how = "summary" if ans.route == "summary" else "answer"
    note = f"{how} · backend: {e(ans.backend)}"
    if ans.fallback_used:
        note += f" · extractive fallback ({e(ans.fallback_reason or '')})"
    if ans.standalone_question and ans.route == "summary":
        note += f" · {e(ans.standalone_question)}"
    return f'{body}<div class="backend">{note}</div>'


def sources_html(citations: list[Citation], texts: dict[str, str], sentences=None, context: int = 200) -> str:
    """Only the cited sources, each with every span quoted from it highlighted in its context."""
    if not citations:
        return "<p><i>No sources cited.</i></p>"
    spans: dict[int, set[tuple[int, int]]] = {c.n: {(c.start, c.end)} for c in citations}
    for sent in sentences or []:
        for q in sent.quotes:
            spans.setdefault(q.n, set()).add((q.start, q.end))
    out = []
    for c in citations:
        text = texts.get(c.article_id, "")
        windows: list[list[tuple[int, int]]] = []
        for a, b in sorted(spans[c.n]):
            if windows and a - windows[-1][-1][1] < 2 * context:
                windows[-1].append((a, b))
            else:
                windows.append([(a, b)])
        snippets = []
        for win in windows:
            pos, parts = max(0, win[0][0] - context), ["…"]
            for a, b in win:
                a = max(a, pos)
                parts += [e(text[pos:a]), f"<mark>{e(text[a:b])}</mark>"]
                pos = max(pos, b)
            parts += [e(text[pos:min(len(text), pos + context)]), "…"]
            snippets.append(f'<p class="ctx">{"".join(parts)}</p>')
        link = (f' · <a href="{e(c.url, quote=True)}" target="_blank" rel="noopener noreferrer">link</a>'
                if c.url and c.url.startswith(("http://", "https://")) else "")
        out.append(
            f'<div class="src" id="src-{c.n}"><b>[{c.n}] {e(c.title)}</b><br>'
            f'<span class="ctx">{e((c.published_at or "")[:10])} · {e(c.source or "unknown source")}{link}</span>'
            + "".join(snippets) + "</div>")
    return "\n".join(out)


def _texts(a: Assistant, citations: list[Citation]) -> dict[str, str]:
    found = a.store.get_articles(list({c.article_id for c in citations}))
    return {i: x.text or "" for i, x in found.items()}


# --- the app -----------------------------------------------------------------------------------------
def build_app(a: Assistant) -> gr.Blocks:
    s = a.settings

    def source_choices() -> list[str]:
        return sorted({x.source for x in a.articles() if x.source})

    def articles_rows() -> list[list]:
        return [[x.id, (x.published_at or "")[:10], x.source or "", x.title, x.chunks,
                 "" if x.canonical else f"copy of {x.dup_group}"] for x in a.articles()]

    def status_md() -> str:
        chat = a.chat_model()
        return "\n".join([
            f"- **Chat backend:** `{chat.name if chat else 'extractive'}`",
            f"- **Embedder:** `{a.embedder.name}` ({a.embedder.dim} dims)",
            f"- **Store:** `{('chroma server ' + s.chroma_host + ':' + str(s.chroma_port)) if s.chroma_host else s.store_dir.resolve()}`",
            f"- **Articles:** {a.store.article_count()} · **chunks:** {a.store.chunk_count()}",
            f"- **Retrieval:** {s.retrieval}, top {s.top_k}; support threshold {s.support_threshold}",
        ])

    # chat ---------------------------------------------------------------------------------------------
    def respond(message, history, plain, since, until, outlets):
        """Streams the draft, then shows the verified answer. ``plain`` is the API-side history."""
        history, plain = list(history or []), list(plain or [])
        message = (message or "").strip()
        if not message:
            yield history, gr.update(), "", plain
            return
        history.append({"role": "user", "content": e(message)})
        history.append({"role": "assistant", "content": "…"})
        yield history, gr.update(), "", plain
        try:
            kw = dict(since=_parse_date(since, "since"), until=_parse_date(until, "until"), sources=outlets or None)
            if route(message).kind == "summary":
                ans = a.chat(message, plain, **kw)
            else:
                draft = ""
                ans = None
                for item in a.stream(message, plain, **kw):
                    if isinstance(item, str):
                        draft += item
                        history[-1] = {"role": "assistant", "content": e(draft) + " ▍"}
                        yield history, gr.update(), "", plain
                    else:
                        ans = item
            history[-1] = {"role": "assistant", "content": answer_html(ans)}
            plain = plain + [{"role": "user", "content": message}, {"role": "assistant", "content": ans.answer}]
            yield history, sources_html(ans.citations, _texts(a, ans.citations), ans.sentences), "", plain
        except gr.Error:
            raise
        except AssistantError as err:
            history[-1] = {"role": "assistant", "content": f"⚠ {e(str(err))}"}
            yield history, gr.update(), "", plain
        except Exception:  # never a stack trace in the page
            log.exception("chat request failed")
            history[-1] = {"role": "assistant", "content": "⚠ Something went wrong answering this; see the server log."}
            yield history, gr.update(), "", plain

    # brief ---------------------------------------------------------------------------------------------
    def make_brief(day):
        try:
            b = a.brief(_parse_date(day, "date"))
        except AssistantError as err:
            return f"<p>⚠ {e(str(err))}</p>", None, None
        out = Path(tempfile.mkdtemp(prefix="brief-"))
        stem = f"brief-{b.date or b.since or 'empty'}"
        (out / f"{stem}.md").write_text(brief_markdown(b), encoding="utf-8")
        (out / f"{stem}.html").write_text(brief_html(b), encoding="utf-8")
        return brief_body_html(b), str(out / f"{stem}.md"), str(out / f"{stem}.html")

    # library -------------------------------------------------------------------------------------------
    def ingest(files, urls, pasted, progress=gr.Progress()):
        inputs = [f if isinstance(f, str) else f.name for f in (files or [])]
        inputs += [u.strip() for u in (urls or "").splitlines() if u.strip()]
        if (pasted or "").strip():
            tmp = Path(tempfile.mkdtemp(prefix="pasted-")) / f"pasted-{hashlib.sha1(pasted.encode()).hexdigest()[:8]}.txt"
            tmp.write_text(pasted, encoding="utf-8")
            inputs.append(str(tmp))
        if not inputs:
            return [["", "nothing to ingest: add files, URLs or text"]], articles_rows(), status_md(), gr.update()
        try:
            report = a.ingest(inputs, progress=lambda cur, done, total: progress((done, total), desc=Path(cur).name if cur else ""))
        except AssistantError as err:
            return [["", f"error: {err}"]], articles_rows(), status_md(), gr.update()
        rows = [[Path(x.path).name if not x.path.startswith("http") else x.path, f"error: {x.error}"] for x in report.errors]
        rows.insert(0, ["(summary)", f"{report.articles_added} added, {report.chunks_added} chunks, "
                                     f"{report.duplicates} duplicates, {len(report.errors)} errors"])
        return rows, articles_rows(), status_md(), gr.update(choices=source_choices())

    def remove(article_id):
        try:
            n = a.remove((article_id or "").strip())
            msg = f"Removed {article_id} and {n} chunks."
        except AssistantError as err:
            msg = f"⚠ {err}"
        return msg, articles_rows(), status_md()

    def summarize(ids_text, length):
        ids = [x.strip() for x in (ids_text or "").replace(",", " ").split() if x.strip()]
        if not ids:
            return "<p>Enter one or more article ids from the table.</p>"
        try:
            summ = a.summarize(ids, length=length)
        except (AssistantError, ValueError) as err:
            return f"<p>⚠ {e(str(err))}</p>"
        cites = {c.n: c for c in summ.citations}
        items = "".join(f"<li>{sentences_html([x], cites)}</li>" for x in summ.sentences)
        return (f"<ul>{items}</ul><div class='backend'>backend: {e(summ.backend)}"
                f"{' · extractive fallback' if summ.fallback_used else ''}</div>"
                + sources_html(summ.citations, _texts(a, summ.citations), summ.sentences))

    with gr.Blocks(title="News assistant") as app:
        gr.Markdown("# News assistant\nAsk about the stored news; every sentence cites a quote you can check.")
        with gr.Tab("Chat"):
            with gr.Row():
                since = gr.Textbox(label="Published since (YYYY-MM-DD)", scale=1, elem_id="since")
                until = gr.Textbox(label="Published until (YYYY-MM-DD)", scale=1, elem_id="until")
                outlets = gr.Dropdown(source_choices(), multiselect=True, label="Sources", scale=2, elem_id="outlets")
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Conversation", height=460, elem_id="chat", sanitize_html=True)
                    question = gr.Textbox(placeholder="Ask a question, or: summarize the articles about …",
                                          show_label=False, elem_id="question", lines=1)
                    with gr.Row():
                        send = gr.Button("Ask", variant="primary", elem_id="send")
                        clear = gr.Button("Clear chat", elem_id="clear")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML("<p><i>Cited sources appear here.</i></p>", elem_id="sources")
            plain = gr.State([])
            for trigger in (question.submit, send.click):
                trigger(respond, [question, chat, plain, since, until, outlets], [chat, sources, question, plain])
            clear.click(lambda: ([], "<p><i>Cited sources appear here.</i></p>", []), None, [chat, sources, plain])
        with gr.Tab("Daily brief"):
            with gr.Row():
                day = gr.Textbox(label="Day (YYYY-MM-DD; empty: the latest day with articles)", elem_id="brief-date")
                gen = gr.Button("Generate brief", variant="primary", elem_id="brief-generate")
            brief_view = gr.HTML(elem_id="brief-view")
            with gr.Row():
                md_file = gr.File(label="Markdown", elem_id="brief-md")
                html_file = gr.File(label="HTML", elem_id="brief-html")
            gen.click(make_brief, [day], [brief_view, md_file, html_file])
        with gr.Tab("Library"):
            with gr.Row():
                files = gr.File(label="Upload articles (txt, md, html, json, jsonl, xml/rss/atom)",
                                file_count="multiple", elem_id="upload")
                with gr.Column():
                    urls = gr.Textbox(label="URLs (one per line)", lines=3, elem_id="urls")
                    pasted = gr.Textbox(label="…or paste article text", lines=4, elem_id="pasted")
            add = gr.Button("Ingest", variant="primary", elem_id="ingest")
            results = gr.Dataframe(headers=["input", "result"], label="Results", elem_id="ingest-results",
                                   interactive=False)
            table = gr.Dataframe(articles_rows(), headers=["id", "date", "source", "title", "chunks", "group"],
                                 label="Stored articles", elem_id="articles", interactive=False)
            with gr.Row():
                rid = gr.Textbox(label="Article id to remove", elem_id="remove-id")
                rm = gr.Button("Remove", variant="stop", elem_id="remove")
                rm_msg = gr.Markdown()
            with gr.Row():
                sids = gr.Textbox(label="Article ids to summarize (space or comma separated)", elem_id="summarize-ids")
                slen = gr.Dropdown(["short", "medium", "long", "bullets"], value="short", label="Length")
                sbtn = gr.Button("Summarize", elem_id="summarize")
            sview = gr.HTML(elem_id="summary-view")
        with gr.Tab("Status"):
            status = gr.Markdown(status_md(), elem_id="status")
            gr.Button("Refresh").click(status_md, None, status)
        add.click(ingest, [files, urls, pasted], [results, table, status, outlets])
        rm.click(remove, [rid], [rm_msg, table, status])
        sbtn.click(summarize, [sids, slen], [sview])
    return app


def launch(a: Assistant, host: str | None = None, port: int | None = None, block: bool = True):
    s = a.settings
    host = host or s.ui_host
    port = port or s.ui_port
    auth = None
    if s.ui_auth:
        user, sep, password = s.ui_auth.partition(":")
        if not sep or not user or not password:
            raise UIError("ASSISTANT_UI_AUTH must be `user:password`")
        auth = (user, password)
    if not is_loopback(host) and auth is None:
        raise UIError(f"refusing to serve on non-loopback address {host!r} without authentication: "
                      "set ASSISTANT_UI_AUTH=user:password (or use --host 127.0.0.1)")
    a.index.sync(a.store)  # open the store and its index now: errors show at start-up, not mid-request
    app = build_app(a)
    app.queue(default_concurrency_limit=4)
    return app.launch(server_name=host, server_port=port, auth=auth, css=CSS, show_error=False,
                      max_file_size=f"{int(s.ui_max_upload_mb)}mb", ssr_mode=False, quiet=True,
                      prevent_thread_lock=not block)
