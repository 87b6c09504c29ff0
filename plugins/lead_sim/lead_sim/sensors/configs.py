"""Per-kind sensor parameters (the ``params`` of a :class:`~lead_framework.sensors.SensorSpec`).

Parameter names follow the leaderboard's sensor definitions (``width``, ``height``, ``fov`` for cameras;
CARLA blueprint attribute names for LiDAR and radar), so one spec configures both worlds.
"""

from __future__ import annotations

from typing import Any

import attrs

from lead_framework.sensors import SensorSpec
from lead_sim.sensors.errors import SensorConfigError


def _in_range(low: float, high: float):
    def check(instance: Any, attribute: attrs.Attribute, value: float) -> None:
        if not low <= value <= high:
            raise ValueError(f"{attribute.name} must be in [{low}, {high}], got {value}")

    return check


@attrs.define(frozen=True)
class CameraConfig:
    """Pinhole camera: image size in pixels, horizontal field of view in degrees."""

    width: int = attrs.field(default=800, validator=_in_range(8, 4096))
    height: int = attrs.field(default=600, validator=_in_range(8, 4096))
    fov: float = attrs.field(default=90.0, validator=_in_range(1.0, 170.0))


@attrs.define(frozen=True)
class LidarConfig:
    """Rotating LiDAR (defaults: the leaderboard's 64-channel roof LiDAR). ``semantic`` gives CARLA's
    semantic LiDAR layout (x, y, z, cos_angle, object_idx, object_tag)."""

    channels: int = attrs.field(default=64, validator=_in_range(1, 256))
    range: float = attrs.field(default=85.0, validator=_in_range(1.0, 500.0))
    upper_fov: float = attrs.field(default=10.0, validator=_in_range(-90.0, 90.0))
    lower_fov: float = attrs.field(default=-30.0, validator=_in_range(-90.0, 90.0))
    points_per_second: int = attrs.field(default=600_000, validator=_in_range(100, 10_000_000))
    rotation_frequency: float = attrs.field(default=10.0, validator=_in_range(0.5, 100.0))
    atmosphere_attenuation_rate: float = attrs.field(default=0.004, validator=_in_range(0.0, 1.0))
    semantic: bool = False

    def __attrs_post_init__(self) -> None:
        if self.lower_fov >= self.upper_fov:
            raise ValueError(f"lower_fov ({self.lower_fov}) must be below upper_fov ({self.upper_fov})")


@attrs.define(frozen=True)
class RadarConfig:
    """Radar: fields of view (degrees), range (m); ``points_per_second`` / 20 Hz caps the points per tick."""

    horizontal_fov: float = attrs.field(default=30.0, validator=_in_range(1.0, 180.0))
    vertical_fov: float = attrs.field(default=10.0, validator=_in_range(1.0, 90.0))
    range: float = attrs.field(default=100.0, validator=_in_range(1.0, 500.0))
    points_per_second: int = attrs.field(default=1500, validator=_in_range(20, 1_000_000))


@attrs.define(frozen=True)
class BevConfig:
    """Ego-centred BEV class map: size in pixels, resolution, and how far ahead of the centre the ego sits
    shifted backwards (``ego_offset_m`` > 0 shows more road ahead)."""

    width: int = attrs.field(default=256, validator=_in_range(8, 4096))
    height: int = attrs.field(default=256, validator=_in_range(8, 4096))
    pixels_per_meter: float = attrs.field(default=2.0, validator=_in_range(0.1, 50.0))
    ego_offset_m: float = attrs.field(default=0.0, validator=_in_range(-500.0, 500.0))


@attrs.define(frozen=True)
class BoxesConfig:
    """3D box labels of actors, traffic lights and stop signs within ``max_distance_m`` of the ego."""

    max_distance_m: float = attrs.field(default=100.0, validator=_in_range(1.0, 1000.0))


@attrs.define(frozen=True)
class NoParams:
    """Sensors without parameters (GNSS, IMU, speedometer)."""


def build_config(spec: SensorSpec, config_class: type) -> Any:
    """Structure ``spec.params`` into ``config_class``, naming the sensor and parameter on any error."""
    fields = attrs.fields_dict(config_class)
    values = {}
    for name, value in spec.params.items():
        field = fields.get(name)
        if field is None:
            known = ", ".join(fields) or "none"
            raise SensorConfigError(
                f"sensor {spec.id!r} ({spec.kind}): unknown param {name!r}; known params: {known}"
            )
        values[name] = _coerce(spec, name, value, field.type)
    try:
        return config_class(**values)
    except (ValueError, TypeError) as error:
        bad = next((n for n in values if n in str(error)), None)
        where = f"param {bad!r} = {values[bad]!r}" if bad else f"params {values}"
        raise SensorConfigError(f"sensor {spec.id!r} ({spec.kind}): {where}: {error}") from None


def _coerce(spec: SensorSpec, name: str, value: Any, annotation: Any) -> Any:
    expected = {"int": int, "float": float, "bool": bool}.get(str(annotation), annotation)
    ok = (
        isinstance(value, bool) if expected is bool
        else isinstance(value, (int, float)) and not isinstance(value, bool)
        and (expected is float or float(value).is_integer())
    )
    if not ok:
        raise SensorConfigError(
            f"sensor {spec.id!r} ({spec.kind}): param {name!r} = {value!r} must be {expected.__name__}"
        )
    return expected(value)
