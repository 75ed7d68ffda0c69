"""The gate on personal data and secrets: what a run may do with examples the scan flagged.

With findings, two things need `--allow-pii` (pii.allow): sending the examples to a model on
another machine (an OpenAI-compatible server not on loopback: the prompted model, the judge
or the prompt search's proposer) and training an adapter on them (the lora rung, when there
is a local student to tune). Anything else, a local prompt-only run, proceeds with a warning.
The gate runs on the spec and the findings alone, before any model is called.
"""

from __future__ import annotations

from collections.abc import Sequence

from shouldtune.models.remote import RemoteRefError, is_loopback, is_remote, parse_remote
from shouldtune.pii import Finding, counts, describe_counts, finding_lines
from shouldtune.spec import TaskSpec

ALLOW_FLAG = "--allow-pii"


class PiiGateError(Exception):
    """A run stopped before any model call: the message names the counts and the flag."""


def remote_destinations(spec: TaskSpec) -> list[str]:
    """The models of this run that would receive examples over the network, by role."""
    roles: list[tuple[str, str | None]] = [("model", spec.model)]
    if spec.scorer == "judge":
        roles.append(("judge", spec.scorer_options.judge_model))
    if "prompt_search" in spec.rungs:
        roles.append(("proposer", spec.prompt_search.proposer))
    found = []
    for role, reference in roles:
        if reference is None or not is_remote(reference):
            continue
        try:
            url = parse_remote(reference).base_url
        except RemoteRefError:
            url = reference  # unusable anyway: loading it fails with its own message
        if not is_loopback(url):
            found.append(f"{role} {reference} ({url})")
    return found


def trains_adapter(spec: TaskSpec) -> bool:
    return "lora" in spec.rungs and spec.student_model is not None


def gate_risks(spec: TaskSpec, *, training: bool) -> list[str]:
    """What a run of this spec would do with the examples that needs --allow-pii."""
    risks = [f"send them to {d}" for d in remote_destinations(spec)]
    if training and trains_adapter(spec):
        risks.append(
            "train an adapter on them (the lora rung; --rungs without lora keeps to prompts)"
        )
    return risks


def check_gate(spec: TaskSpec, findings: Sequence[Finding], *, training: bool) -> str | None:
    """Raise PiiGateError when the run may not go on; else the warning to show (None: clean).

    `training`: whether this use of the spec can train at all (a run with enough data for
    the lora rung can; a plan cannot).
    """
    if not findings:
        return None
    per_kind = describe_counts(counts(findings))
    what = f"{len(findings)} value(s) that look like personal data or secrets ({per_kind})"
    risks = gate_risks(spec, training=training)
    if not risks:
        return (
            f"warning: {what} in {spec.data}; this run keeps them on this machine and the "
            "reports show them masked"
        )
    if spec.pii.allow:
        return (
            f"warning: {what} in {spec.data}; {ALLOW_FLAG} (pii.allow) given: the run will "
            + " and ".join(risks)
        )
    listed = "\n".join(finding_lines(spec.data, findings))
    raise PiiGateError(
        f"{listed}\n{spec.data}: {what}: this run would {' and '.join(risks)}. Nothing was "
        "sent. Remove them, list the ones that are not personal data in an allow-list "
        f"(pii.allow_list; see docs/personal-data.md), or pass {ALLOW_FLAG} (pii.allow: true) "
        "to proceed."
    )
