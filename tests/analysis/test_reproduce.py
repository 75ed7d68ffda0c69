"""Re-running failures: a stable mistake is reproducible, a prompt-sensitive one is not."""

from __future__ import annotations

import json
from pathlib import Path

from shouldtune.analysis.reproduce import FRAMINGS, variants
from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.models.base import Message
from shouldtune.policy import not_reproducible_reason
from shouldtune.records import Example
from shouldtune.spec import TaskSpec
from tests.fakes import ScriptedModel, last_input


def parity_task(tmp_path: Path, rungs: list[str]) -> TaskSpec:
    path = tmp_path / "data.jsonl"
    rows = [
        {
            "text": f"item number {i} is {'odd' if i % 2 else 'even'}",
            "label": "odd" if i % 2 else "even",
        }
        for i in range(80)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return TaskSpec(data=path, input="text", expected="label", rungs=rungs)


def copy_task(tmp_path: Path) -> TaskSpec:
    path = tmp_path / "copy.jsonl"
    rows = [{"input": f"say word{i}", "expected": f"WORD{i}"} for i in range(60)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return TaskSpec(data=path, rungs=["zero_shot"])


def shout(prompt: str) -> str:
    return last_input(prompt).removeprefix("say ").upper()


def test_a_stable_mistake_is_reproducible(tmp_path: Path, cache: CallCache) -> None:
    spec = parity_task(tmp_path, ["zero_shot", "few_shot"])
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(lambda p: "odd"))
    found = result.reproducibility
    assert found is not None
    assert found.rung == "zero_shot"  # ties go to the cheaper rung
    assert found.n_checked == min(found.n_failures, spec.reproduce.max_failures) > 0
    assert found.reproducible == found.n_checked
    assert len(found.conditions) == spec.reproduce.seeds + spec.reproduce.variants
    assert found.conditions[-1] == "reworded instructions 3"  # zero-shot: no demonstrations
    assert all(f.passed_under == [] for f in found.failures)
    assert found.by_category[0].category == "wrong_label"
    assert not_reproducible_reason(found) is None
    assert "reproducible pattern" in result.verdict.answer
    assert any(r.startswith("reproducibility:") for r in result.verdict.reasons)


def test_a_prompt_sensitive_mistake_is_not_and_lora_is_not_climbed(
    tmp_path: Path, cache: CallCache
) -> None:
    # Wrong only when answering greedily with the exact original instructions.
    def greedy_only(prompt: str, temperature: float, seed: int) -> str:
        reworded = any(f.split("{system}")[0].strip() in prompt for f in FRAMINGS if f[0] != "{")
        reworded = reworded or "no explanation" in prompt
        return shout(prompt) if temperature > 0 or reworded else "I do not know"

    spec = copy_task(tmp_path).model_copy(update={"rungs": ["zero_shot", "lora"]})
    model = ScriptedModel(shout, sampled=greedy_only)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert result.rungs[0].score.point == 0.0
    found = result.reproducibility
    assert found is not None and found.n_checked == found.n_failures == result.rungs[0].n
    assert found.reproducible == 0
    assert all(f.failed_runs == 0 and f.runs == 6 for f in found.failures)
    reason = result.skipped["lora"]
    assert "do not reproduce" in reason
    assert "mostly not reproducible" in result.verdict.answer


def test_reproduction_is_cached_and_can_be_turned_off(tmp_path: Path, cache: CallCache) -> None:
    spec = parity_task(tmp_path, ["zero_shot"])
    model = ScriptedModel(lambda p: "odd")
    first = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    calls = model.calls
    second = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert model.calls == calls and second.reproducibility == first.reproducibility
    off = spec.model_copy(
        update={"reproduce": spec.reproduce.model_copy(update={"enabled": False})}
    )
    assert run_ladder(off, cache=cache, runs_dir=None, model=model).reproducibility is None


def demo(i: int) -> Example:
    return Example(id=f"d{i}", input=f"q{i}", expected=f"a{i % 2}", line=i + 1)


def test_variants_reword_reshuffle_and_resample() -> None:
    system = "Answer.\n\nContext:\npassage"
    messages = [Message("system", system)]
    for i in range(4):
        messages += [Message("user", f"q{i}"), Message("assistant", f"a{i % 2}")]
    messages.append(Message("user", "question"))
    train = [demo(i) for i in range(20)]
    found = dict(variants(messages, train, count=5, seed=1, balanced=True))
    assert list(found)[:3] == [
        "reworded instructions 1",
        "reshuffled demonstrations",
        "resampled demonstrations",
    ]
    for varied in found.values():
        assert varied[-1] == messages[-1]
        assert "passage" in varied[0].content  # a RAG prompt keeps its passages
    shuffled = found["reshuffled demonstrations"]
    assert shuffled != messages and sorted(m.content for m in shuffled) == sorted(
        m.content for m in messages
    )
    resampled = found["resampled demonstrations"]
    asked = {m.content for m in resampled[1:-1] if m.role == "user"}
    assert len(asked) == 4 and not asked & {"q0", "q1", "q2", "q3"}
    assert variants(messages[:1] + messages[-1:], train, count=5, seed=1, balanced=True)[0][0] == (
        "reworded instructions 1"
    )
    assert len(variants(messages[:1] + messages[-1:], train, count=5, seed=1, balanced=True)) == 3
