"""attrs validators whose messages read well in experiment errors (``must be > 0``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class FieldValueError(ValueError):
    """A field value outside its allowed range; ``field`` names the attribute."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def positive(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not value > 0:
        raise FieldValueError(attribute.name, f"must be > 0, got {value!r}")


def non_negative(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not value >= 0:
        raise FieldValueError(attribute.name, f"must be >= 0, got {value!r}")


def in_range(low: float, high: float):
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and not low <= value <= high:
            raise FieldValueError(attribute.name, f"must be in [{low}, {high}], got {value!r}")

    return check


def one_of(choices: Iterable[Any]):
    allowed = tuple(choices)

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value not in allowed:
            raise FieldValueError(attribute.name, f"must be one of {', '.join(map(repr, allowed))}, got {value!r}")

    return check


def increasing_pair(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (len(value) != 2 or not value[0] <= value[1]):
        raise FieldValueError(attribute.name, f"must be [low, high] with low <= high, got {value!r}")
