"""Errors raised while building scenarios from route files."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Base class: a scenario of a route that cannot be built as written."""


class ScenarioParameterError(ScenarioError):
    """A scenario parameter that is missing, malformed or out of range (names route, scenario, parameter)."""


class ScenarioPlacementError(ScenarioError):
    """A scenario whose trigger or geometry does not fit the route (e.g. trigger far from the route)."""


class UnknownScenarioTypeError(ScenarioError):
    """A scenario type that no plugin registers (raised only in strict mode; otherwise a warning)."""
