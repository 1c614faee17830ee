"""A fast subset of the evaluation (sample-article questions and briefs, extractive backend)
with floors the current system meets: a regression fails CI."""

from __future__ import annotations

import json

from assistant.cli import main as cli_main
from assistant.evaluate import EVAL_DIR, EvalRun, load_jsonl, markdown_report, run_eval


def test_datasets_are_well_formed():
    qs = load_jsonl(EVAL_DIR / "questions.jsonl")
    assert len({q["id"] for q in qs}) == len(qs)
    assert sum(not q.get("unanswerable") for q in qs) >= 60 and sum(bool(q.get("unanswerable")) for q in qs) >= 10
    for q in qs:
        assert q.get("unanswerable") or (q["answers"] and (q.get("gold_articles") or q.get("gold_titles")))
    cases = load_jsonl(EVAL_DIR / "briefs.jsonl")
    assert cases and all(c["expected_stories"] for c in cases)


def test_fast_eval_meets_floors(tmp_path, embedder):
    res = run_eval(EvalRun(llms=["extractive"], modes=["hybrid", "bm25"], corpus="samples"), tmp_path, embedder=embedder)
    for key in ("extractive/hybrid", "extractive/bm25"):
        s = res["answers"][key]["summary"]
        assert s["questions"] == 10 and s["unanswerable"] == 4
        assert s["recall_at_k"] == 1.0
        assert s["hit_rate"] >= 0.6, s
        assert s["citation_accuracy"] >= 0.8, s
        assert s["support_rate"] == 1.0 and s["fabricated_citations"] == 0
        assert s["refusal_accuracy"] == 1.0
    for case in res["briefs"]["extractive"]:
        assert case["story_accuracy"] == 1.0 and case["citations_inside_window"] == 1.0
        assert case["verbatim_quote_rate"] == 1.0 and case["duplicate_story_rate"] == 0.0
    report = markdown_report(res)
    assert "| extractive/hybrid |" in report and "## Briefs (extractive)" in report


def test_eval_cli_writes_report(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli_main(["eval", "--corpus", "samples", "--retrieval", "hybrid", "--limit", "4", "--no-briefs",
                     "--out", str(out)]) == 0
    assert (out / "report.md").read_text().startswith("# Evaluation report")
    data = json.loads((out / "results.json").read_text())
    assert data["answers"]["extractive/hybrid"]["summary"]["questions"] == 4
