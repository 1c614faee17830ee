"""The ``assistant`` command. A thin layer over ``Assistant``: errors become
messages here and nowhere else.

Exit codes: 0 success; 1 failure; 2 usage error; 3 done, but some inputs failed;
4 nothing to do (a brief or summary whose window holds no articles).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .errors import AssistantError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_PARTIAL, EXIT_EMPTY = 0, 1, 2, 3, 4

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _assistant(args):
    from .api import Assistant

    overrides = {}
    if getattr(args, "store", None):
        overrides["store_dir"] = Path(args.store)
    if getattr(args, "llm", None):
        overrides["llm"] = args.llm
    return Assistant(**overrides)


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


# --- ingest / articles / show / remove ----------------------------------------------
def cmd_ingest(args) -> int:
    a = _assistant(args)
    show_bar = not args.json and err.is_terminal
    with Progress(TextColumn("[bold]ingesting"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.description}"), console=err,
                  transient=True, disable=not show_bar) as bar:
        task = bar.add_task("", total=None)

        def progress(current: str, done: int, total: int) -> None:
            bar.update(task, total=total, completed=done, description=Path(current).name if current else "")

        report = a.ingest(args.paths, progress=progress)
    if args.json:
        _print_json(report.public())
    else:
        out.print(f"Added {report.articles_added} article(s), {report.chunks_added} chunk(s); "
                  f"skipped {report.duplicates} duplicate(s)"
                  + (f"; {report.near_duplicates} grouped as near-duplicates" if report.near_duplicates else "")
                  + f". Store: {a.store.article_count()} articles, {a.store.chunk_count()} chunks.")
        for e in report.errors:
            err.print(f"[red]error[/red] {e.path}: {e.error}")
    if report.errors:
        return EXIT_PARTIAL if (report.articles_added or report.duplicates) else EXIT_FAIL
    return EXIT_OK


def cmd_articles(args) -> int:
    items = _assistant(args).articles()
    if args.json:
        _print_json([a.model_dump(include={"id", "title", "published_at", "source", "url", "author", "chunks"})
                     for a in items])
        return EXIT_OK
    for a in items:
        dup = "" if a.canonical else f"  (copy of group {a.dup_group})"
        out.print(f"{a.id}  {(a.published_at or '')[:10]:10}  {a.source or '':18.18}  {a.title}{dup}")
    out.print(f"{len(items)} article(s)")
    return EXIT_OK


def cmd_show(args) -> int:
    a = _assistant(args).article(args.id)
    if args.json:
        _print_json(a.model_dump(include={"id", "title", "published_at", "source", "url", "author",
                                          "chunks", "text"}))
        return EXIT_OK
    out.print(f"[bold]{a.title}[/bold]")
    out.print(" · ".join(x for x in (a.author, a.source, a.published_at, a.url) if x))
    out.print()
    out.print(a.text, markup=False)
    return EXIT_OK


def cmd_remove(args) -> int:
    n = _assistant(args).remove(args.id)
    out.print(f"Removed article {args.id} and its {n} chunk(s).")
    return EXIT_OK


def _date(value: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def print_cited(text: str, citations, sentences=None) -> None:
    """The text, then its numbered sources with their supporting quotes."""
    out.print(text, markup=False)
    if sentences and any(not s.supported for s in sentences):
        out.print("[yellow](sentences marked [unsupported] could not be verified)[/yellow]")
    if citations:
        out.print()
        out.print("[bold]Sources[/bold]")
    for c in citations:
        meta = " · ".join(x for x in ((c.published_at or "")[:10], c.source, c.url) if x)
        out.print(f"[{c.n}] {c.title}" + (f" — {meta}" if meta else ""), markup=False)
        out.print(f"    “{c.quote}”", markup=False, style="dim")


def cmd_ask(args) -> int:
    a = _assistant(args)
    answer = a.ask(args.question, since=args.since, until=args.until, k=args.k,
                   sources=args.source or None)
    if args.json:
        _print_json(answer.model_dump(mode="json"))
        return EXIT_OK
    print_cited(answer.answer, answer.citations, answer.sentences)
    note = f"backend: {answer.backend}" + (f" (fallback: {answer.fallback_reason})" if answer.fallback_used else "")
    err.print(f"[dim]{note}; {answer.timings.get('total_ms', 0):.0f} ms[/dim]")
    return EXIT_OK


def cmd_summarize(args) -> int:
    a = _assistant(args)
    summary = a.summarize(args.ids or None, query=args.query, since=args.since, until=args.until,
                          sources=args.source or None, length=args.length)
    if args.json:
        _print_json(summary.model_dump(mode="json"))
    else:
        print_cited(summary.text, summary.citations, summary.sentences)
        note = f"{len(summary.article_ids)} article(s) read; backend: {summary.backend}"
        if summary.fallback_used:
            note += f" (fallback: {summary.fallback_reason})"
        err.print(f"[dim]{note}[/dim]")
    return EXIT_OK if summary.article_ids else EXIT_EMPTY


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_brief(args) -> int:
    from .render import RENDERERS

    if args.date and (args.since or args.until):
        err.print("[red]error:[/red] give --date or --since/--until, not both")
        return EXIT_USAGE
    a = _assistant(args)
    b = a.brief(args.date, since=args.since, until=args.until)
    text = RENDERERS[args.format](b)
    if args.out:
        write_atomic(Path(args.out), text)
        err.print(f"wrote {args.out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if b.chosen:
        err.print(f"[dim]brief for {b.date or b.since}: {b.chosen}[/dim]")
    return EXIT_OK if b.stories else EXIT_EMPTY


def cmd_ui(args) -> int:
    from .ui import launch

    a = _assistant(args)
    out.print(f"News assistant UI on http://{args.host or a.settings.ui_host}:{args.port or a.settings.ui_port} "
              f"(store: {a.settings.store_dir}, backend: {a.settings.llm})")
    launch(a, host=args.host, port=args.port)
    return EXIT_OK


def cmd_eval(args) -> int:
    import tempfile

    from .evaluate import EvalRun, markdown_report, run_eval

    llms = [x for x in args.llm.split(",") if x]
    modes = ["dense", "bm25", "hybrid"] if args.retrieval == "all" else args.retrieval.split(",")
    run = EvalRun(llms=llms, modes=modes, corpus=args.corpus, limit=args.limit, briefs=not args.no_briefs)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("ingesting the eval corpus", total=None)
        progress = lambda what, done, total: bar.update(task, description=what, completed=done, total=total)  # noqa: E731
        with tempfile.TemporaryDirectory(prefix="assistant-eval-") as work:
            res = run_eval(run, Path(work), progress=progress)
    report = markdown_report(res)
    if args.out:
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(out_dir / "report.md", report)
        write_atomic(out_dir / "results.json", json.dumps(res, indent=2, default=str))
        err.print(f"wrote {out_dir / 'report.md'} and {out_dir / 'results.json'}")
    out.print(report, markup=False)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="News assistant: ingest articles, "
                                "ask questions, write daily briefs — every claim cited.")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name, func, help_):
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--store", help="store directory (default: vectorstore/, or ASSISTANT_STORE_DIR)")
        sp.set_defaults(func=func)
        return sp

    sp = add("ingest", cmd_ingest, "Parse, chunk, embed and store articles from files, directories or URLs.")
    sp.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or http(s) URL")
    sp.add_argument("--json", action="store_true", help="print the report as JSON")

    sp = add("articles", cmd_articles, "List stored articles.")
    sp.add_argument("--json", action="store_true")

    sp = add("show", cmd_show, "Show one stored article with its text.")
    sp.add_argument("id")
    sp.add_argument("--json", action="store_true")

    sp = add("ask", cmd_ask, "Answer a question from the stored articles, every sentence cited.")
    sp.add_argument("question")
    sp.add_argument("--json", action="store_true", help="print the Answer as JSON")
    sp.add_argument("--llm", choices=["extractive", "local", "openai"], help="chat backend")
    sp.add_argument("--since", type=_date, help="only articles published on or after (YYYY-MM-DD)")
    sp.add_argument("--until", type=_date, help="only articles published on or before (YYYY-MM-DD)")
    sp.add_argument("--source", action="append", help="only articles from this outlet (repeatable)")
    sp.add_argument("--k", type=int, help="sources given to the model")

    sp = add("summarize", cmd_summarize, "Summarize whole articles: by id, by topic, or a time window.")
    sp.add_argument("ids", nargs="*", metavar="ID", help="article ids (see `assistant articles`)")
    sp.add_argument("--query", help="a topic: summarize the articles about it")
    sp.add_argument("--since", type=_date)
    sp.add_argument("--until", type=_date)
    sp.add_argument("--source", action="append", help="only this outlet (repeatable)")
    sp.add_argument("--length", choices=["short", "medium", "long", "bullets"], default="short")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--llm", choices=["extractive", "local", "openai"])

    sp = add("brief", cmd_brief, "The daily brief: the day's stories, clustered and cited.")
    sp.add_argument("--date", type=_date, help="the day (default: the latest day with articles)")
    sp.add_argument("--since", type=_date)
    sp.add_argument("--until", type=_date)
    sp.add_argument("--format", choices=["md", "html", "json"], default="md")
    sp.add_argument("--out", help="write to this file (atomically) instead of stdout")
    sp.add_argument("--llm", choices=["extractive", "local", "openai"])

    sp = add("ui", cmd_ui, "Start the web UI (Gradio).")
    sp.add_argument("--host", help="address to bind (default 127.0.0.1; others need ASSISTANT_UI_AUTH)")
    sp.add_argument("--port", type=int, help="port (default 7860)")
    sp.add_argument("--llm", choices=["extractive", "local", "openai"])

    sp = sub.add_parser("eval", help="Measure answers, citations and briefs on eval/ datasets.")
    sp.add_argument("--llm", default="extractive", help="backends, comma-separated (extractive,local,openai)")
    sp.add_argument("--retrieval", default="all", help="dense, bm25, hybrid (comma-separated) or all")
    sp.add_argument("--corpus", choices=["all", "samples"], default="all",
                    help="`samples`: only the sample-article questions (fast)")
    sp.add_argument("--limit", type=int, help="first N questions only")
    sp.add_argument("--no-briefs", action="store_true", help="skip the brief cases")
    sp.add_argument("--out", help="directory for report.md and results.json")
    sp.set_defaults(func=cmd_eval)

    sp = add("remove", cmd_remove, "Delete an article and its chunks.")
    sp.add_argument("id")
    return p


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as e:  # a bad ASSISTANT_* setting
        for problem in e.errors():
            name = "ASSISTANT_" + "_".join(str(x) for x in problem["loc"]).upper()
            err.print(f"[red]error:[/red] setting {name}: {problem['msg']}")
        return EXIT_USAGE
    except AssistantError as e:
        if os.environ.get("ASSISTANT_RAISE"):
            raise
        err.print(f"[red]error:[/red] {e}", markup=True)
        return EXIT_FAIL
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
