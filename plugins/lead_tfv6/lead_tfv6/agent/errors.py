"""Errors of the TFv6 driving agent, each naming the setting or sensor and the fix."""

from __future__ import annotations


class AgentConfigError(ValueError):
    """An invalid ``tfv6`` agent setting (checkpoint path, device, threshold, rig choice)."""


class CheckpointLoadError(AgentConfigError):
    """A checkpoint that cannot be found, read, or combined with the others of an ensemble."""


class SensorInputError(ValueError):
    """Live sensor data that is missing or has an unexpected layout."""


class RoutePlanError(ValueError):
    """A route plan the agent cannot localise against or follow."""
