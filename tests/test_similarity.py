"""The similarity scorer: embedding cosine, graded, with a pass threshold; embeddings cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from shouldtune.cache import CallCache
from shouldtune.scorer_factory import build_scorer
from shouldtune.scoring import Scorer, scorer_settings
from shouldtune.spec import TaskSpec
from tests.rag.fakes import HashEmbedder

REFERENCE = "Open Settings, choose Backups and tick nightly snapshots."


def scorer(
    tmp_path: Path, cache: CallCache, embedder: HashEmbedder, threshold: float = 0.7
) -> Scorer:
    spec = TaskSpec(
        data=tmp_path / "d.jsonl",
        scorer="similarity",
        scorer_options={"threshold": threshold},
    )
    return build_scorer(spec, labels=None, cache=cache, embedder=embedder)


def test_a_close_answer_passes_a_far_one_fails_and_the_cosine_is_kept(
    tmp_path: Path, cache: CallCache
) -> None:
    similarity = scorer(tmp_path, cache, HashEmbedder())
    close = similarity.score("Choose Backups in Settings and tick nightly snapshots.", REFERENCE)
    far = similarity.score("The invoice lists every seat you pay for.", REFERENCE)
    assert close.passed and close.category is None
    assert 0.7 <= close.value <= 1.0
    assert close.value == pytest.approx(close.detail["cosine"], abs=1e-4)
    assert not far.passed and far.category == "dissimilar"
    assert 0.0 <= far.value < close.value
    assert scorer_settings(similarity) == {
        "name": "similarity",
        "embedder": "fake:hash:256",
        "threshold": 0.7,
    }


def test_the_threshold_is_the_spec_s_and_generic_failures_still_come_first(
    tmp_path: Path, cache: CallCache
) -> None:
    answer = "Choose Backups in Settings and tick nightly snapshots."
    strict = scorer(tmp_path, cache, HashEmbedder(), threshold=0.99)
    assert not strict.score(answer, REFERENCE).passed
    assert strict.score("", REFERENCE).category == "empty"


def test_embeddings_are_cached_across_calls_and_scorers(tmp_path: Path, cache: CallCache) -> None:
    embedder = HashEmbedder()
    scorer(tmp_path, cache, embedder).score("an answer", REFERENCE)
    texts = len(embedder.texts)
    again = scorer(tmp_path, cache, embedder).score("an answer", REFERENCE)
    assert len(embedder.texts) == texts == 2 and again.detail["cosine"] is not None
    scorer(tmp_path, cache, embedder).score("another answer", REFERENCE)
    assert embedder.texts[2:] == ["another answer"]  # the reference is not embedded again


def test_the_real_embedder_tells_a_paraphrase_from_a_wrong_answer(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = TaskSpec(data=tmp_path / "d.jsonl", scorer="similarity")
    similarity = build_scorer(spec, labels=None, cache=cache)
    reference = "You can cancel your subscription at any time from the Billing page."
    paraphrase = similarity.score(
        "Subscriptions can be cancelled whenever you like on the Billing page.", reference
    )
    wrong = similarity.score("The mobile app supports dark mode on Android.", reference)
    assert paraphrase.value > wrong.value + 0.3
    assert paraphrase.passed and not wrong.passed
