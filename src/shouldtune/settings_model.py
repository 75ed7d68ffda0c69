"""The base of every settings file we read: the task spec and the price table.

YAML turns `yes`, `on` and `true` into booleans and pydantic then reads a boolean as 1 where a
number belongs, so `bar: yes` became a bar of 100% and `max_test: true` a test set of one. YAML
also reads `.inf` and `1e999` as infinity, and an integer of 400 digits is valid YAML: each of
those ended in an OverflowError deep inside a run. One check here, run on every field of every
settings model before its own validators, refuses all of them with the key's name.
"""

from __future__ import annotations

import math
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

# No setting is measured in numbers this large (a 10-trillion-parameter model is 1e13):
# beyond it a value is a typo, and arithmetic on it overflows.
LARGEST_SETTING = 1e15


def _admits_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    if get_origin(annotation) in (Union, types.UnionType) or get_args(annotation):
        return any(_admits_bool(arg) for arg in get_args(annotation))
    return False


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in get_args(annotation))


def check_numbers(value: Any, *, booleans_allowed: bool) -> None:
    """Raise ValueError for a boolean where no boolean belongs, or a non-finite/huge number."""
    if isinstance(value, bool):
        if not booleans_allowed:
            raise ValueError(
                f"{str(value).lower()} is a boolean (YAML reads yes/no/on/off/true/false as "
                "booleans); this setting takes a number or a name"
            )
        return
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        if abs(value) > LARGEST_SETTING:
            shown = (
                f"{value:.3g}" if isinstance(value, float) else f"a {len(str(value))}-digit number"
            )
            raise ValueError(f"{shown} is out of range (at most {LARGEST_SETTING:.0e})")
        return
    if isinstance(value, dict):
        for item in value.values():
            check_numbers(item, booleans_allowed=booleans_allowed)
    elif isinstance(value, list | tuple):
        for item in value:
            check_numbers(item, booleans_allowed=booleans_allowed)


class SettingsModel(BaseModel):
    """Unknown keys refused, values frozen, and every number a plain finite one."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        annotation = cls.model_fields[info.field_name].annotation if info.field_name else None
        if value is None and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return {}  # `lora:` with nothing under it: the section's defaults
        # A nested settings model checks its own fields (where booleans may belong).
        if annotation is not None and not _holds_model(annotation):
            check_numbers(value, booleans_allowed=_admits_bool(annotation))
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _finite_after_conversion(cls, value: Any) -> Any:
        # YAML reads `1e300` (no dot) as a string, which pydantic then turns into a number.
        check_numbers(value, booleans_allowed=True)
        return value
