"""Strict YAML: repeated keys and alias bombs are errors naming the line."""

from __future__ import annotations

import time

import pytest

from shouldtune.yamlfile import YamlError, load_yaml


def test_a_repeated_key_names_both_lines() -> None:
    with pytest.raises(YamlError, match=r"duplicate key 'bar' \(first on line 1\)") as error:
        load_yaml("bar: 0.5\nname: x\nbar: 0.9\n")
    assert error.value.line == 3


def test_a_repeated_nested_key() -> None:
    with pytest.raises(YamlError) as error:
        load_yaml("api:\n  concurrency: 2\n  concurrency: 3\n")
    assert error.value.line == 3


def test_merge_keys_may_be_overridden() -> None:
    doc = load_yaml("base: &b {k: 1, j: 2}\nuse:\n  <<: *b\n  k: 3\n")
    assert doc.data["use"] == {"k": 3, "j": 2}


def test_a_billion_laughs_is_refused_quickly() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    started = time.perf_counter()
    with pytest.raises(YamlError, match="expand to more than 100,000 values"):
        load_yaml("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 5


def test_modest_aliases_are_fine() -> None:
    doc = load_yaml("x: &x [1, 2]\ny: *x\n")
    assert doc.data == {"x": [1, 2], "y": [1, 2]}


def test_a_self_referencing_alias_is_refused() -> None:
    with pytest.raises(YamlError, match="refers to the value that contains it"):
        load_yaml("a: &a [1, *a]\n")


def test_nesting_too_deep_is_an_error_not_a_crash() -> None:
    with pytest.raises(YamlError, match="invalid YAML"):
        load_yaml("x: " + "[" * 50_000 + "]" * 50_000 + "\n")


def test_key_lines() -> None:
    doc = load_yaml("data: d\napi:\n  timeout_s: 3\n  api_key_env: K\n")
    assert doc.line("api", "api_key_env") == 4
    assert doc.line("api", "nope") is None
    assert doc.line("data", "x") is None
