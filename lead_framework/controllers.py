"""Vehicle controllers shared by agents (the PDM expert and TFv6): lateral PID on a speed-dependent
look-ahead point, longitudinal throttle/brake from target and current speed.

Both are plain state machines with ``copy()``, so the ego forecast can run them in the loop on a
copy without disturbing the real ones.
"""

from __future__ import annotations

import collections
import math

import attrs


@attrs.define(frozen=True)
class LateralParameters:
    """PID gains on the heading error to the look-ahead point (error in units of 90 degrees).

    Look-ahead distance (metres) = clip(speed_gain * v_kmh + offset, low, high) / 10: PDM-Lite's
    speed-dependent index on a 10 points-per-metre route.
    """

    k_p: float = 3.12
    k_i: float = 0.64
    k_d: float = 1.38
    window: int = 20
    speed_gain: float = 0.9755
    offset: float = 1.915
    low: float = 24.0
    high: float = 105.0

    def lookahead_m(self, speed: float) -> float:
        return min(max(self.speed_gain * speed * 3.6 + self.offset, self.low), self.high) / 10.0


class LateralPid:
    """Steer towards a point of the route ahead; the integral is the mean over a sliding window."""

    def __init__(self, params: LateralParameters = LateralParameters()):
        self.params = params
        self.errors: collections.deque[float] = collections.deque(maxlen=params.window)

    def copy(self) -> LateralPid:
        twin = LateralPid(self.params)
        twin.errors.extend(self.errors)
        return twin

    def step(self, heading_error_rad: float) -> float:
        """Steer in [-1, 1] from the angle (radians, positive = target to the right) to the point."""
        error = math.degrees(heading_error_rad) / 90.0
        previous = self.errors[-1] if self.errors else error
        self.errors.append(error)
        integral = sum(self.errors) / len(self.errors)
        steer = self.params.k_p * error + self.params.k_i * integral + self.params.k_d * (error - previous)
        return max(-1.0, min(1.0, steer))


@attrs.define(frozen=True)
class LongitudinalParameters:
    """Throttle = feed-forward for holding ``target`` + ``k_p`` x speed error, at most ``max_throttle``.

    Brake fully when the target is below ``stop_speed`` or the car is more than ``brake_ratio``
    faster than the target (PDM-Lite's rule); full brake also holds a stopped car in place.
    """

    k_p: float = 0.35
    max_throttle: float = 0.75
    brake_ratio: float = 1.1
    stop_speed: float = 0.01
    #: Feed-forward: throttle needed to hold speed v is ff_base + ff_linear * v + ff_quadratic * v^2.
    ff_base: float = 0.04
    ff_linear: float = 0.002
    ff_quadratic: float = 0.00012


class LongitudinalController:
    """Stateless throttle/brake law (see :class:`LongitudinalParameters`)."""

    def __init__(self, params: LongitudinalParameters = LongitudinalParameters()):
        self.params = params

    def copy(self) -> LongitudinalController:
        return self

    def step(self, target_speed: float, speed: float) -> tuple[float, float]:
        """(throttle, brake) for ``target_speed`` at ``speed`` (m/s)."""
        p = self.params
        if target_speed < p.stop_speed or speed > p.brake_ratio * target_speed:
            return 0.0, 1.0
        hold = p.ff_base + p.ff_linear * target_speed + p.ff_quadratic * target_speed**2
        throttle = hold + p.k_p * (target_speed - speed)
        return float(min(max(throttle, 0.0), p.max_throttle)), 0.0
