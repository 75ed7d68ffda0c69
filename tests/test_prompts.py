from __future__ import annotations

from collections import Counter

from shouldtune.prompts import default_k, messages_for, pick_demonstrations, system_prompt
from shouldtune.records import Example
from shouldtune.spec import TaskSpec


def ex(i: int, label: str) -> Example:
    return Example(id=f"id{i:03d}", input=f"text {i}", expected=label, line=i + 1)


def test_balanced_demonstrations_cover_every_label() -> None:
    train = [ex(i, "a") for i in range(30)] + [ex(100 + i, "b") for i in range(3)]
    train += [ex(200 + i, "c") for i in range(2)]
    demos = pick_demonstrations(train, 6, seed=1, balanced=True)
    counts = Counter(d.expected for d in demos)
    assert counts == {"a": 2, "b": 2, "c": 2}


def test_demonstrations_are_seeded_and_order_independent() -> None:
    train = [ex(i, "ab"[i % 2]) for i in range(20)]
    a = pick_demonstrations(train, 5, seed=3, balanced=True)
    b = pick_demonstrations(list(reversed(train)), 5, seed=3, balanced=True)
    c = pick_demonstrations(train, 5, seed=4, balanced=True)
    assert [d.id for d in a] == [d.id for d in b]
    assert [d.id for d in a] != [d.id for d in c]


def test_k_larger_than_train_takes_all() -> None:
    train = [ex(i, "x") for i in range(3)]
    assert len(pick_demonstrations(train, 10, seed=0, balanced=False)) == 3


def test_default_k() -> None:
    assert default_k(None) == 8
    assert default_k(["a", "b"]) == 8
    assert default_k([str(i) for i in range(20)]) == 20
    assert default_k([str(i) for i in range(77)]) == 32


def test_system_prompt_lists_labels_after_instructions() -> None:
    spec = TaskSpec(data="x.jsonl", instructions="Route the email.")
    text = system_prompt(spec, ["billing", "shipping"])
    assert text.startswith("Route the email.")
    assert "billing, shipping" in text


def test_messages_alternate_demonstrations() -> None:
    msgs = messages_for("sys", [ex(1, "a"), ex(2, "b")], ex(3, "a"))
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[-1].content == "text 3"
