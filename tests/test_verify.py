"""The verifier and the citation composer, on real sentences with the real embedder."""

from __future__ import annotations

import pytest

from assistant.cite import ContextSource, compose
from assistant.verify import SourceText, Verifier, normalize_markers

S1 = ("Libya's United Nations-backed government is accelerating its campaign. "
      "Libya has reported 26 coronavirus infections so far. "
      "The UN envoy to Libya, Stephanie Williams, warned over the weekend that the escalation was imposing strains.")
S2 = ("The capture of Sabrata was announced by Col. Mohamed Konunu, spokesman for the forces. "
      "The statement was carried on the military's official Facebook page. "
      "Konunu also said they took the town of Sorman.")


@pytest.fixture
def verifier(embedder):
    return Verifier(embedder, threshold=0.55)


@pytest.fixture
def sources():
    return {1: SourceText(S1, offset=100), 2: SourceText(S2, offset=0)}


def test_verbatim_sentence_is_supported_with_exact_offsets(verifier, sources):
    c = verifier.check_sentence("Libya has reported 26 coronavirus infections so far [1].", sources)
    assert c.supported and c.support == 1.0
    (q,) = c.quotes
    assert q.quote == "Libya has reported 26 coronavirus infections so far."
    assert S1[q.start - 100:q.end - 100] == q.quote


def test_changed_number_is_not_supported(verifier, sources):
    c = verifier.check_sentence("Libya has reported 62 coronavirus infections so far [1].", sources)
    assert not c.supported and c.support == 0.0


def test_missing_entity_is_not_supported(verifier, sources):
    c = verifier.check_sentence("The UN envoy to Libya, Ghassan Salame, warned of strains [1].", sources)
    assert not c.supported


def test_paraphrase_is_supported_unrelated_claim_is_not(verifier, sources):
    assert verifier.check_sentence("Libya has so far reported 26 infections of coronavirus [1].", sources).supported
    assert not verifier.check_sentence("The government plans to hold elections in the spring [1].", sources).supported


def test_wrong_source_number_is_not_supported(verifier, sources):
    c = verifier.check_sentence("Libya has reported 26 coronavirus infections so far [2].", sources)
    assert not c.supported and c.cited == [2]


def test_marker_outside_context_is_dropped(verifier, sources):
    c = verifier.check_sentence("Libya has reported 26 coronavirus infections so far [7].", sources)
    assert c.dropped == [7] and c.cited == [] and not c.supported


def test_uncited_sentence_gets_a_verified_source_or_nothing(verifier, sources):
    c = verifier.check_sentence("Konunu said they took the town of Sorman.", sources)
    assert c.supported and c.attributed and c.quotes[0].n == 2
    c = verifier.check_sentence("Tripoli hosted a football match on Sunday.", sources)
    assert not c.supported and not c.quotes


def test_claim_needing_two_sentences_quotes_both(verifier, sources):
    c = verifier.check_sentence("Government forces captured Sabrata and Sorman [2].", sources)
    assert c.supported
    quoted = " ".join(q.quote for q in c.quotes)
    assert "Sabrata" in quoted and "Sorman" in quoted


def test_compose_removes_unsupported_and_renumbers_by_first_use(verifier, sources):
    text = ("Konunu also said they took the town of Sorman [2]. Libya has reported 99 infections [1]. "
            "Libya has reported 26 coronavirus infections so far. [1]")
    assert normalize_markers(text).endswith("so far [1].")
    checks = verifier.check_text(text, sources)
    assert [c.supported for c in checks] == [True, False, True]
    ctx = {n: ContextSource(f"a{n}", f"T{n}", "2020-04-14", None, "X", f"a{n}:0", src) for n, src in sources.items()}
    answer, sentences, citations = compose(checks, ctx)
    assert answer == ("Konunu also said they took the town of Sorman [1]. "
                      "Libya has reported 26 coronavirus infections so far [2].")
    assert [(c.n, c.article_id) for c in citations] == [(1, "a2"), (2, "a1")]
    flagged, sentences, _ = compose(checks, ctx, flag_unsupported=True)
    assert "Libya has reported 99 infections [unsupported]" in flagged
    assert [s.supported for s in sentences] == [True, False, True]
