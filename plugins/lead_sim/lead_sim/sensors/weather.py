"""How CARLA's weather parameters change the RGB cameras: light, contrast, wetness, fog and sky.

The model is deliberately simple and affine per pixel (``out = gain * colour + offset``), so it can be baked
into the colour palettes instead of costing a pass over every image:

- light: full above 30 deg sun altitude, falling to night level below -10 deg; clouds and rain dim it;
- contrast: clouds and rain pull colours towards mid-grey;
- wetness: road and marking colours darken (wet asphalt);
- fog: colour blends towards the fog colour with ``1 - exp(-k * (depth - fog_distance))``,
  ``k = FOG_PER_M * fog_density / 100``;
- sky: a vertical gradient, bluer with sun, greyer with clouds, dark at night, whiter with fog;
- headlights: at night surfaces are lit by ``1 + HEADLIGHT_GAIN * exp(-depth / HEADLIGHT_REACH_M)`` (no cone).
"""

from __future__ import annotations

import functools

import attrs
import numpy as np

from lead_framework.route import Weather
from lead_sim.sensors.tags import GROUND_BGR, Ground

FOG_PER_M = 0.1  # extinction per metre at fog_density 100 (half the colour is fog at ~7 m)
NIGHT_LIGHT = 0.12
HEADLIGHT_GAIN = 10.0
HEADLIGHT_REACH_M = 20.0
_FOG_BGR = np.array([200.0, 200.0, 200.0])
_SKY_DAY_TOP, _SKY_DAY_HORIZON = np.array([200.0, 140.0, 80.0]), np.array([235.0, 210.0, 185.0])
_SKY_CLOUD = np.array([175.0, 172.0, 170.0])
_WET_GROUND = (Ground.ROAD, Ground.PARKING, Ground.SHOULDER, Ground.MARKING_WHITE, Ground.MARKING_YELLOW,
               Ground.CROSSWALK, Ground.STOP_LINE)


@attrs.define(frozen=True, eq=False)
class Look:
    """A weather turned into rendering constants (colours already toned)."""

    gain: float
    offset: float
    ground_bgr: np.ndarray  # (256, 3) base colour per ground class (wetness applied, not toned)
    fog_per_m: float
    fog_start_m: float
    fog_bgr: np.ndarray  # (3,) float, toned
    sky_top: np.ndarray  # (3,) float, toned
    sky_horizon: np.ndarray  # (3,) float, toned
    sun_direction: np.ndarray  # (3,) world, towards the sun
    ambient: float
    headlight: float  # extra light factor of the ego's headlights at 0 m (night only)

    def tone(self, bgr: np.ndarray) -> np.ndarray:
        """Apply light and contrast to colours (any shape ending in 3), as float."""
        return np.asarray(bgr, dtype=np.float64) * self.gain + self.offset

    def fog_weight(self, depth: np.ndarray) -> np.ndarray:
        """Share of fog colour at ``depth`` metres."""
        return 1.0 - np.exp(-self.fog_per_m * np.maximum(np.asarray(depth) - self.fog_start_m, 0.0))

    def shade(self, bgr: np.ndarray, depth: np.ndarray, light: np.ndarray | float = 1.0) -> np.ndarray:
        """Final colour of surfaces (..., 3) at ``depth`` (...,) m: lit (sun ``light`` factor and the ego's
        headlights), toned, then fogged."""
        depth = np.asarray(depth, dtype=np.float64)[..., None]
        lit = np.asarray(bgr, np.float64) * (np.asarray(light, np.float64)[..., None] if np.ndim(light) else light)
        lit = lit * (1.0 + self.headlight * np.exp(-depth / HEADLIGHT_REACH_M))
        fog = self.fog_weight(depth)
        return np.clip(self.tone(lit) * (1.0 - fog) + self.fog_bgr * fog, 0, 255)


def _smoothstep(edge0: float, edge1: float, x: float) -> float:
    t = min(max((x - edge0) / (edge1 - edge0), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def weather_key(weather: Weather) -> tuple:
    return attrs.astuple(weather)


@functools.lru_cache(maxsize=64)
def _look(key: tuple) -> Look:
    weather = Weather(*key)
    clouds = min(max(weather.cloudiness, 0.0), 100.0) / 100.0
    rain = min(max(weather.precipitation, 0.0), 100.0) / 100.0
    wet = min(max(max(weather.wetness, weather.precipitation_deposits), 0.0), 100.0) / 100.0
    fog = min(max(weather.fog_density, 0.0), 100.0) / 100.0
    daylight = _smoothstep(-10.0, 30.0, weather.sun_altitude_angle)
    light = (NIGHT_LIGHT + (1.0 - NIGHT_LIGHT) * daylight) * (1.0 - 0.35 * clouds) * (1.0 - 0.2 * rain)
    contrast = (1.0 - 0.4 * clouds) * (1.0 - 0.2 * rain)
    gain, offset = contrast * light, 128.0 * (1.0 - contrast) * light

    ground = GROUND_BGR.astype(np.float64)
    ground[list(_WET_GROUND)] *= 1.0 - 0.4 * wet
    sky_top = (1 - clouds) * _SKY_DAY_TOP + clouds * _SKY_CLOUD
    sky_horizon = (1 - clouds) * _SKY_DAY_HORIZON + clouds * _SKY_CLOUD
    sky_top, sky_horizon = (fog * _FOG_BGR + (1 - fog) * c for c in (sky_top, sky_horizon))

    def toned(bgr: np.ndarray) -> np.ndarray:
        return np.clip(bgr * gain + offset, 0, 255)

    alt, azi = np.radians(weather.sun_altitude_angle), np.radians(weather.sun_azimuth_angle)
    sun = np.array([np.cos(alt) * np.cos(azi), np.cos(alt) * np.sin(azi), np.sin(alt)])
    return Look(
        gain=gain,
        offset=offset,
        ground_bgr=ground,
        fog_per_m=FOG_PER_M * fog,
        fog_start_m=max(weather.fog_distance, 0.0),
        fog_bgr=toned(_FOG_BGR),
        sky_top=toned(sky_top),
        sky_horizon=toned(sky_horizon),
        sun_direction=sun if weather.sun_altitude_angle > 0 else np.array([0.0, 0.0, 1.0]),
        ambient=0.55 if weather.sun_altitude_angle > 0 else 0.8,
        headlight=HEADLIGHT_GAIN * (1.0 - daylight),
    )


def look_for(weather: Weather) -> Look:
    """Rendering constants of a weather (cached: worlds change weather rarely)."""
    return _look(weather_key(weather))
