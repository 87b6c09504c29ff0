"""Errors raised while configuring or running the CPU sensor suite."""

from __future__ import annotations


class SensorConfigError(ValueError):
    """A sensor specification the embedded world cannot render (names the sensor id and the field)."""


class UnknownSensorKindError(SensorConfigError):
    """A sensor kind that no renderer implements."""

    def __init__(self, sensor_id: str, kind: str, known: list[str]):
        self.sensor_id, self.kind, self.known = sensor_id, kind, known
        super().__init__(
            f"sensor {sensor_id!r}: unknown kind {kind!r}; the embedded world renders: {', '.join(sorted(known))}"
        )
