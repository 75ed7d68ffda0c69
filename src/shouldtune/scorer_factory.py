"""The scorer a spec names, built: the pure scorers of scoring.py, or one that asks a model.

Kept apart from scoring.py because `similarity` and `judge` reach the embedder and the model
backends: the verdict and the reports read scores and categories from scoring.py without
pulling any model in.
"""

from __future__ import annotations

from shouldtune.cache import CallCache
from shouldtune.models.base import Model
from shouldtune.rag.embedder import Embedder
from shouldtune.scoring import (
    ContainsScorer,
    ExactScorer,
    F1Scorer,
    JsonScorer,
    LabelScorer,
    PythonScorer,
    RegexScorer,
    Scorer,
    ScorerError,
    _Checked,
    _load_schema,
    load_function,
)
from shouldtune.spec import TaskSpec


def build_scorer(
    spec: TaskSpec,
    *,
    labels: list[str] | None,
    allow_python: bool = False,
    cache: CallCache | None = None,
    embedder: Embedder | None = None,
    judge: Model | None = None,
) -> Scorer:
    """The scorer the spec names, behind the generic checks.

    `labels` is the label set the caller settled on (the spec's, or one inferred from the
    data); it falls back to `spec.labels`. The caller resolves scorer "auto" before this.
    similarity and judge call models through `cache`; `embedder` and `judge` replace the
    ones the spec names (tests pass fakes).
    """
    options = spec.scorer_options
    inner: Scorer
    if spec.scorer == "auto":
        raise ScorerError("scorer 'auto' must be resolved to a concrete scorer before building")
    if spec.scorer == "exact":
        inner = ExactScorer()
    elif spec.scorer == "contains":
        inner = ContainsScorer()
    elif spec.scorer == "f1":
        inner = F1Scorer()
    elif spec.scorer == "regex":
        inner = RegexScorer(options.pattern)
    elif spec.scorer == "json":
        schema = None if options.json_schema is None else _load_schema(options.json_schema)
        inner = JsonScorer(schema)
    elif spec.scorer == "label":
        label_set = labels if labels is not None else spec.labels
        if not label_set or len(label_set) < 2:
            raise ScorerError("scorer 'label' needs a label set of at least two labels")
        inner = LabelScorer(tuple(label_set))
    elif spec.scorer in ("similarity", "judge"):
        inner = _model_scorer(spec, cache, embedder, judge)
    elif spec.scorer == "python":
        if not allow_python:
            raise ScorerError(
                "scorer 'python' runs code from your scorer file; pass --allow-python to allow it"
            )
        reference = options.function or ""
        inner = PythonScorer(load_function(reference), reference)
    else:
        raise ScorerError(f"unknown scorer {spec.scorer!r}")
    return _Checked(inner, options.max_chars)


def _model_scorer(
    spec: TaskSpec, cache: CallCache | None, embedder: Embedder | None, judge: Model | None
) -> Scorer:
    """similarity or judge: the scorers that ask a model (imported only when chosen)."""
    if cache is None:
        from shouldtune.cache import CallCache as DefaultCache

        cache = DefaultCache()
    store = cache
    if spec.scorer == "similarity":
        from shouldtune.rag.embedder import load_embedder
        from shouldtune.similarity import SimilarityScorer

        chosen = embedder or load_embedder(spec.rag.embedder, store, batch_size=spec.rag.batch_size)
        return SimilarityScorer(chosen, store, spec.scorer_options.threshold)
    from shouldtune.judge import JudgeScorer
    from shouldtune.models.registry import load_model

    reference = spec.scorer_options.judge_model or ""
    model = judge or load_model(reference, store, api=spec.api)
    # f1 and similarity grade the same answers: the run reports their agreement with the judge.
    compare: dict[str, Scorer] = {"f1": F1Scorer()}
    compare["similarity"] = _model_scorer(
        spec.model_copy(update={"scorer": "similarity"}), store, embedder, None
    )
    own = reference == spec.model
    return JudgeScorer(model, store, reference, own_outputs=own, compare=compare)
