"""A spec file may not pick which secret goes to its server, nor allow plain http for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shouldtune.spec import SpecError, load_spec


def spec_file(tmp_path: Path, api: str) -> Path:
    (tmp_path / "d.jsonl").write_text('{"input": "a", "expected": "b"}\n', encoding="utf-8")
    path = tmp_path / "task.yaml"
    path.write_text(f"data: d.jsonl\nmodel: https://x.example.com/v1:m\napi:\n{api}", "utf-8")
    return path


def test_a_secret_that_is_not_an_api_key_needs_confirming(tmp_path: Path) -> None:
    path = spec_file(tmp_path, "  concurrency: 2\n  api_key_env: AWS_SECRET_ACCESS_KEY\n")
    with pytest.raises(SpecError) as refused:
        load_spec(path)
    message = str(refused.value)
    assert message.startswith(f"{path}:5: api.api_key_env: 'AWS_SECRET_ACCESS_KEY'")
    assert "--api-key-env AWS_SECRET_ACCESS_KEY" in message
    assert "\n" not in message


def test_the_command_line_confirms_it(tmp_path: Path) -> None:
    path = spec_file(tmp_path, "  api_key_env: MY_SERVER_SECRET\n")
    spec = load_spec(path, {"api": {"api_key_env": "MY_SERVER_SECRET"}})
    assert spec.api.api_key_env == "MY_SERVER_SECRET"


def test_an_api_key_name_needs_no_confirming(tmp_path: Path) -> None:
    spec = load_spec(spec_file(tmp_path, "  api_key_env: TOGETHER_API_KEY\n"))
    assert spec.api.api_key_env == "TOGETHER_API_KEY"


def test_plain_http_cannot_be_allowed_from_a_file(tmp_path: Path) -> None:
    path = spec_file(tmp_path, "  allow_insecure_key: true\n")
    with pytest.raises(SpecError, match=rf"^{path}:4: api.allow_insecure_key: .*command line"):
        load_spec(path)
    spec = load_spec(
        spec_file(tmp_path, "  concurrency: 1\n"), {"api": {"allow_insecure_key": True}}
    )
    assert spec.api.allow_insecure_key


def test_a_saved_specs_false_is_accepted(tmp_path: Path) -> None:
    assert not load_spec(
        spec_file(tmp_path, "  allow_insecure_key: false\n")
    ).api.allow_insecure_key


def test_the_flag_confirms_it_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.hostile import assert_clean_exit, invoke

    monkeypatch.setenv("SHOULDTUNE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")
    path = spec_file(tmp_path, "  api_key_env: AWS_SECRET_ACCESS_KEY\n")
    refused = invoke(["check", str(path)])
    assert_clean_exit(refused, 2)
    assert f"{path}:4: api.api_key_env" in refused.output
    confirmed = invoke(["check", str(path), "--api-key-env", "AWS_SECRET_ACCESS_KEY"])
    assert_clean_exit(confirmed, 0)  # no request is made by check: nothing listens there
    assert "s3cr3t" not in confirmed.output + refused.output
