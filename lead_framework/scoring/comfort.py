"""Bench2Drive "Comfortness": the share of 2-second chunks whose motion stays in nuPlan's bounds.

From a per-step ego log (yaw in rad, speed in m/s) the signal is resampled to 10 Hz, cut into
chunks of 20 frames (a shorter last chunk is dropped; a log of at most 20 frames is one chunk),
and each chunk is Savitzky-Golay filtered (window 7, order 2) to get:

* longitudinal and lateral acceleration: derivative of the velocity vector ``speed * (cos, sin)``
  projected on the heading and its normal;
* jerk: derivative of the acceleration magnitude; longitudinal jerk: derivative of lon acc;
* yaw rate: derivative of the unwrapped yaw; yaw acceleration: derivative of the yaw rate.

A chunk passes when every sample lies strictly inside every bound of :data:`COMFORT_BOUNDS`.
Bench2Drive reads acceleration and angular velocity from the simulator instead; positions are not
needed here because the heading and speed give the velocity vector. One deliberate difference:
Bench2Drive's script bounds the *smoothed yaw rate* by the yaw-acceleration limit (so that check is
implied by the yaw-rate one); here the yaw acceleration is the actual derivative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
import numpy as np

from lead_framework.scoring.errors import ScoringError
from lead_framework.scoring.savgol import savgol_filter

#: Signal -> (lower, upper) open bounds, nuPlan's comfort limits (m/s2, m/s3, rad/s2, rad/s).
COMFORT_BOUNDS: dict[str, tuple[float, float]] = {
    "lon_acc": (-4.05, 2.40),
    "lat_acc": (-4.89, 4.89),
    "jerk": (-8.37, 8.37),
    "lon_jerk": (-4.13, 4.13),
    "yaw_acc": (-1.93, 1.93),
    "yaw_rate": (-0.95, 0.95),
}
COMFORT_RATE_HZ = 10.0
CHUNK_FRAMES = 20
SAVGOL_WINDOW = 7
SAVGOL_ORDER = 2


def _as_signal(name: str, values: object) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ScoringError(f"ego log field {name!r} must be 1-D, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ScoringError(f"ego log field {name!r} contains NaN or infinite values")
    return array


@attrs.frozen
class EgoLog:
    """The ego's heading (rad) and speed (m/s) at every simulation step of one route."""

    yaw: np.ndarray = attrs.field(converter=lambda v: _as_signal("yaw", v), eq=False)
    speed: np.ndarray = attrs.field(converter=lambda v: _as_signal("speed", v), eq=False)
    rate_hz: float = 20.0

    def __attrs_post_init__(self) -> None:
        if len(self.yaw) != len(self.speed):
            raise ScoringError(f"ego log: yaw has {len(self.yaw)} steps but speed has {len(self.speed)}")
        step = self.rate_hz / COMFORT_RATE_HZ
        if self.rate_hz <= 0 or abs(step - round(step)) > 1e-9 or round(step) < 1:
            raise ScoringError(
                f"ego log rate_hz={self.rate_hz} must be a whole multiple of {COMFORT_RATE_HZ} Hz (e.g. 20)"
            )

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, float]], *, rate_hz: float = 20.0) -> EgoLog:
        """From per-step dicts with at least ``yaw`` and ``speed`` (``x``, ``y`` may be present)."""
        rows = list(rows)
        for index, row in enumerate(rows):
            for key in ("yaw", "speed"):
                if key not in row:
                    raise ScoringError(f"ego log row {index} has no {key!r} (keys: {sorted(row)})")
        return cls(yaw=[row["yaw"] for row in rows], speed=[row["speed"] for row in rows], rate_hz=rate_hz)

    def resampled(self) -> tuple[np.ndarray, np.ndarray]:
        """Yaw and speed at 10 Hz (every n-th step)."""
        step = int(round(self.rate_hz / COMFORT_RATE_HZ))
        return self.yaw[::step], self.speed[::step]


def comfort_signals(yaw: np.ndarray, speed: np.ndarray, *, dt: float = 1.0 / COMFORT_RATE_HZ) -> dict[str, np.ndarray]:
    """The six bounded signals of one chunk (at least 3 frames)."""
    window = min(SAVGOL_WINDOW, len(yaw))
    window -= 1 - window % 2  # largest odd window that fits
    if window <= SAVGOL_ORDER:
        raise ScoringError(f"a comfort chunk needs at least {SAVGOL_ORDER + 1} frames, got {len(yaw)}")

    def derivative(values: np.ndarray) -> np.ndarray:
        return savgol_filter(values, window, SAVGOL_ORDER, deriv=1, delta=dt)

    heading = np.unwrap(yaw)
    forward_x, forward_y = np.cos(heading), np.sin(heading)
    acc_x, acc_y = derivative(speed * forward_x), derivative(speed * forward_y)
    lon_acc = acc_x * forward_x + acc_y * forward_y
    yaw_rate = derivative(heading)
    return {
        "lon_acc": lon_acc,
        "lat_acc": acc_y * forward_x - acc_x * forward_y,
        "jerk": derivative(np.hypot(acc_x, acc_y)),
        "lon_jerk": derivative(lon_acc),
        "yaw_acc": derivative(yaw_rate),
        "yaw_rate": yaw_rate,
    }


def chunk_is_comfortable(yaw: np.ndarray, speed: np.ndarray) -> bool:
    """True when every signal of the chunk stays strictly inside its bounds."""
    signals = comfort_signals(yaw, speed)
    return all(
        bool(np.all((signals[name] > low) & (signals[name] < high))) for name, (low, high) in COMFORT_BOUNDS.items()
    )


def route_comfort(log: EgoLog) -> float | None:
    """Share (0-1) of comfortable chunks of one route; None for a log under 3 frames at 10 Hz."""
    yaw, speed = log.resampled()
    if len(yaw) <= SAVGOL_ORDER:
        return None
    if len(yaw) <= CHUNK_FRAMES:
        return 1.0 if chunk_is_comfortable(yaw, speed) else 0.0
    full_chunks = len(yaw) // CHUNK_FRAMES
    passed = sum(
        chunk_is_comfortable(yaw[i * CHUNK_FRAMES : (i + 1) * CHUNK_FRAMES], speed[i * CHUNK_FRAMES : (i + 1) * CHUNK_FRAMES])
        for i in range(full_chunks)
    )
    return passed / full_chunks
