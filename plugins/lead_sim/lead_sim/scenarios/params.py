"""Typed scenario parameters parsed from a route file's ``<scenario>`` children.

Each scenario type declares its parameters as :class:`Param` entries; :func:`parse_params` turns
the raw XML attributes (``{"value": "12"}``, ``{"from": "20", "to": "50"}`` or
``{"x": .., "y": .., "z": ..}``) into Python values, with errors naming the route, the scenario
and the parameter.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import attrs

from lead_sim.scenarios.errors import ScenarioParameterError

log = logging.getLogger(__name__)

#: Parameter kinds: a number, a choice among strings, a string, an interval ``from``/``to``, a location.
KINDS = ("number", "choice", "text", "interval", "location")


@attrs.define(frozen=True)
class Param:
    """One declared parameter. ``low``/``high`` bound numbers and both ends of intervals (inclusive)."""

    name: str
    kind: str = "number"
    default: Any = None
    required: bool = False
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""

    def __attrs_post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name!r}: kind {self.kind!r} is not one of {KINDS}")


def _number(raw: str | None, where: str, name: str, field: str) -> float:
    if raw is None:
        raise ScenarioParameterError(f"{where}: parameter {name!r} lacks the attribute {field!r}")
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioParameterError(f"{where}: parameter {name!r} {field}={raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ScenarioParameterError(f"{where}: parameter {name!r} {field}={raw!r} is not finite")
    return value


def _check_range(param: Param, value: float, where: str, field: str) -> None:
    unit = f" {param.unit}" if param.unit else ""
    if param.low is not None and value < param.low:
        raise ScenarioParameterError(
            f"{where}: parameter {param.name!r} {field}={value:g}{unit} is below the minimum {param.low:g}{unit}"
        )
    if param.high is not None and value > param.high:
        raise ScenarioParameterError(
            f"{where}: parameter {param.name!r} {field}={value:g}{unit} is above the maximum {param.high:g}{unit}"
        )


def parse_param(param: Param, raw: Mapping[str, str], where: str) -> Any:
    """The value of ``param`` from its raw XML attributes."""
    if param.kind == "number":
        value = _number(raw.get("value"), where, param.name, "value")
        _check_range(param, value, where, "value")
        return value
    if param.kind in ("choice", "text"):
        if "value" not in raw:
            raise ScenarioParameterError(f"{where}: parameter {param.name!r} lacks the attribute 'value'")
        text = raw["value"]
        if param.kind == "choice" and text not in param.choices:
            raise ScenarioParameterError(
                f"{where}: parameter {param.name!r} value={text!r} is not one of {', '.join(param.choices)}"
            )
        return text
    if param.kind == "interval":
        low = _number(raw.get("from"), where, param.name, "from")
        high = _number(raw.get("to"), where, param.name, "to")
        _check_range(param, low, where, "from")
        _check_range(param, high, where, "to")
        if low > high:
            raise ScenarioParameterError(
                f"{where}: parameter {param.name!r} has from={low:g} > to={high:g}; swap them"
            )
        return (low, high)
    x = _number(raw.get("x"), where, param.name, "x")
    y = _number(raw.get("y"), where, param.name, "y")
    z = _number(raw.get("z"), where, param.name, "z") if "z" in raw else 0.0
    return (x, y, z)


def parse_params(declared: tuple[Param, ...], raw: Mapping[str, Mapping[str, str]], where: str) -> dict[str, Any]:
    """All declared parameters (defaults filled in); undeclared tags are logged and ignored."""
    values: dict[str, Any] = {}
    for param in declared:
        if param.name in raw:
            values[param.name] = parse_param(param, raw[param.name], where)
        elif param.required:
            raise ScenarioParameterError(
                f"{where}: the required parameter {param.name!r} is missing; add "
                f"<{param.name} {_example(param)}/> to the scenario"
            )
        else:
            values[param.name] = param.default
    extra = sorted(set(raw) - {p.name for p in declared})
    if extra:
        log.warning("%s: ignoring unknown parameter(s) %s", where, ", ".join(extra))
    return values


def _example(param: Param) -> str:
    if param.kind == "interval":
        return 'from="20" to="50"'
    if param.kind == "location":
        return 'x="0.0" y="0.0" z="0.0"'
    if param.kind == "choice":
        return f'value="{param.choices[0]}"'
    return 'value="..."'


def to_xml_params(declared: tuple[Param, ...], values: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The raw XML form of ``values`` (for route generation), in declaration order."""
    out: dict[str, dict[str, str]] = {}
    for param in declared:
        if param.name not in values or values[param.name] is None:
            continue
        value = values[param.name]
        if param.kind == "interval":
            out[param.name] = {"from": f"{value[0]:g}", "to": f"{value[1]:g}"}
        elif param.kind == "location":
            out[param.name] = {"x": f"{value[0]:.3f}", "y": f"{value[1]:.3f}", "z": f"{value[2]:.3f}"}
        elif param.kind == "number":
            out[param.name] = {"value": f"{value:g}"}
        else:
            out[param.name] = {"value": str(value)}
    return out
