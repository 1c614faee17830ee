"""Render stage: briefs and cited texts as Markdown, a self-contained HTML page, or JSON.

Everything that comes from an article or a model is escaped in HTML: no markup of theirs
reaches the page (a ``<script>`` in an article shows as text).
"""

from __future__ import annotations

import html
import json
import re

from .records import Brief, Citation

_MARK = re.compile(r"\[(\d+)\]")


def _date(c: Citation) -> str:
    return (c.published_at or "")[:10]


def _window(b: Brief) -> str:
    return b.date or f"{b.since} to {b.until}"


def brief_markdown(b: Brief) -> str:
    lines = [f"# Daily brief — {_window(b)}", ""]
    meta = f"{b.articles} article(s), {len(b.stories)} stor{'y' if len(b.stories) == 1 else 'ies'}"
    if b.chosen:
        meta += f"; {b.chosen}"
    lines += [f"_{meta}._", ""]
    if not b.stories:
        lines += ["No articles were published in this window.", ""]
    for i, s in enumerate(b.stories, start=1):
        lines += [f"## {i}. {s.headline}", "", s.summary or "_No sentence of this story could be verified._", ""]
        if s.key_figures:
            lines.append("**Key figures:** " + "; ".join(f"{f['figure']} [{f['citation']}]" for f in s.key_figures))
            lines.append("")
        if s.duplicates:
            lines += [f"_Also reported by {len(s.duplicates)}: {', '.join(s.also_reported_by)}._", ""]
    if b.citations:
        lines += ["## Sources", ""]
        for c in b.citations:
            head = f"[{c.n}] **{c.title}** — {c.source or 'unknown source'}, {_date(c)}"
            lines.append(head + (f" <{c.url}>" if c.url else ""))
            lines.append(f"    > “{c.quote}”")
        lines.append("")
    if b.undated:
        lines += ["## Left out (no publication date)", ""]
        lines += [f"- {u['title']} (`{u['id']}`)" for u in b.undated]
        lines.append("")
    return "\n".join(lines)


def cited_html(text: str, citations: dict[int, Citation], quotes: dict[int, str] | None = None) -> str:
    """Escaped text whose [n] markers become links to their source, the supporting quote on hover
    (``quotes``: this sentence's own quote per source, else the citation's)."""
    out, pos = [], 0
    for m in _MARK.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        n = int(m.group(1))
        c = citations.get(n)
        quote = (quotes or {}).get(n) or (c.quote if c else "")
        # one line: a blank line inside an attribute breaks Markdown renderers (Gradio's chatbot)
        title = html.escape(" ".join(f"{c.title}: “{quote}”".split()) if c else "", quote=True)
        out.append(f'<sup><a class="cite" href="#src-{n}" title="{title}">[{n}]</a></sup>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def sentences_html(sentences, citations: dict[int, Citation]) -> str:
    """Cited sentences, each marker showing that sentence's own supporting quote."""
    parts = []
    for sent in sentences:
        quotes: dict[int, str] = {}
        for q in sent.quotes:
            quotes[q.n] = (quotes[q.n] + " … " + q.quote) if q.n in quotes else q.quote
        frag = cited_html(sent.text, citations, quotes)
        parts.append(frag if sent.supported else
                     f'<span class="unsupported" title="not supported by the sources">{frag}</span>')
    return " ".join(parts)


STYLE = """body{font:16px/1.55 Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.7rem}h2{font-size:1.2rem;margin-top:2rem}.meta,.dups{color:#666;font-style:italic}
sup a.cite{text-decoration:none;color:#0b57d0}ol.sources li{margin:.6rem 0}
blockquote{margin:.3rem 0 0 0;padding-left:.8rem;border-left:3px solid #ddd;color:#444}
.figures{font-size:.95rem}"""


def brief_html(b: Brief) -> str:
    """A self-contained page (inline CSS, no scripts, a CSP that forbids them)."""
    e = html.escape
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>Daily brief — {e(_window(b))}</title><style>{STYLE}</style></head><body>\n"
            f"{brief_body_html(b)}\n</body></html>")


def brief_body_html(b: Brief) -> str:
    """The brief as an HTML fragment (the UI embeds it); all article and model text escaped."""
    cites = {c.n: c for c in b.citations}
    e = html.escape
    parts = [f"<h1>Daily brief — {e(_window(b))}</h1>",
             f"<p class=meta>{b.articles} article(s), {len(b.stories)} story(ies)"
             + (f"; {e(b.chosen)}" if b.chosen else "") + "</p>"]
    if not b.stories:
        parts.append("<p>No articles were published in this window.</p>")
    for i, s in enumerate(b.stories, start=1):
        body = sentences_html(s.sentences, cites) if s.sentences else e(s.summary)
        parts.append(f"<section><h2>{i}. {e(s.headline)}</h2><p>{body}</p>")
        if s.key_figures:
            figs = "; ".join(e(f["figure"]) + " " + cited_html("[%d]" % f["citation"], cites) for f in s.key_figures)
            parts.append(f"<p class=figures><b>Key figures:</b> {figs}</p>")
        if s.duplicates:
            parts.append(f"<p class=dups>Also reported by {len(s.duplicates)}: {e(', '.join(s.also_reported_by))}</p>")
        parts.append("</section>")
    if b.citations:
        parts.append("<h2>Sources</h2><ol class=sources>")
        for c in b.citations:
            link = f' — <a href="{e(c.url, quote=True)}" rel="noopener noreferrer">{e(c.url)}</a>' \
                if c.url and c.url.startswith(("http://", "https://")) else ""
            parts.append(f'<li id="src-{c.n}" value="{c.n}"><b>{e(c.title)}</b> — {e(c.source or "unknown source")}, '
                         f"{e(_date(c))}{link}<blockquote>“{e(c.quote)}”</blockquote></li>")
        parts.append("</ol>")
    if b.undated:
        parts.append("<h2>Left out (no publication date)</h2><ul>")
        parts += [f"<li>{e(u['title'])}</li>" for u in b.undated]
        parts.append("</ul>")
    return "\n".join(parts)


def brief_json(b: Brief) -> str:
    return json.dumps(b.model_dump(mode="json"), ensure_ascii=False, indent=2)


RENDERERS = {"md": brief_markdown, "html": brief_html, "json": brief_json}
