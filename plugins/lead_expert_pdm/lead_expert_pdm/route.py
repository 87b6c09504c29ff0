"""The expert's route: the world's dense route, smoothed, with per-point speed limits, junction
flags and lane-change flags; progress tracking; and lateral shifts for driving around obstacles.

Points are 1 m apart (the leaderboard's dense route); positions between points are interpolated
linearly, so queries take continuous arc lengths ``s`` (metres from the route start).
"""

from __future__ import annotations

import bisect
import math
import re
from typing import Any

import numpy as np

from lead_framework.route import arc_lengths

#: Limit used where a road declares none (CARLA's urban default), m/s.
DEFAULT_SPEED_LIMIT = 50.0 / 3.6
SMOOTHING_WINDOW = 5
#: Progress search window around the last projection (points).
SEARCH_BEHIND, SEARCH_AHEAD = 3, 40
_ROAD_PATTERN = re.compile(r"<road\b([^>]*)>(.*?)</road>", re.S)
_ID_PATTERN = re.compile(r'\bid="([^"]+)"')
_SPEED_PATTERN = re.compile(r'<speed\b[^>]*\bmax="([^"]+)"(?:[^>]*\bunit="([^"]+)")?')
_UNITS = {"km/h": 1.0 / 3.6, "mph": 0.44704, "m/s": 1.0, None: 1.0}
CHANGE_LANE_OPTIONS = (5, 6)


def road_speed_limits(xodr: str) -> dict[int, float]:
    """Road id -> speed limit (m/s) from the ``<type><speed max=...>`` records of OpenDRIVE text."""
    limits: dict[int, float] = {}
    for head, body in _ROAD_PATTERN.findall(xodr):
        road = _ID_PATTERN.search(head)
        speed = _SPEED_PATTERN.search(body)
        if road is None or speed is None:
            continue
        try:
            value = float(speed.group(1)) * _UNITS.get(speed.group(2), 1.0)
            limits[int(road.group(1))] = value
        except ValueError:
            continue
    return limits


def smooth_polyline(points: np.ndarray, window: int = SMOOTHING_WINDOW) -> np.ndarray:
    """Moving average of (N, 2) points with shrinking windows at the ends (ends stay fixed)."""
    n = points.shape[0]
    if n < 3 or window < 2:
        return points.copy()
    half = window // 2
    cumulative = np.vstack([np.zeros((1, 2)), np.cumsum(points, axis=0)])
    index = np.arange(n)
    reach = np.minimum(np.minimum(index, n - 1 - index), half)
    return (cumulative[index + reach + 1] - cumulative[index - reach]) / (2 * reach + 1)[:, None]


class ExpertRoute:
    """Smoothed dense route with attributes per point and a progress pointer."""

    def __init__(self, positions: np.ndarray, options: np.ndarray, is_junction: np.ndarray,
                 speed_limits: np.ndarray):
        self.center = smooth_polyline(np.asarray(positions, float)[:, :2])
        self.z = np.asarray(positions, float)[:, 2] if positions.shape[1] > 2 else np.zeros(len(positions))
        self.options = np.asarray(options, dtype=np.int64)
        self.is_junction = np.asarray(is_junction, dtype=bool)
        self.speed_limits = np.asarray(speed_limits, dtype=float)
        self.offsets = np.zeros(len(self.center))
        #: Counts changes of the path (shifts), for what is derived from it.
        self.version = 0
        #: Arc lengths and headings of the unshifted centre line.
        self.center_distances = arc_lengths(self.center)
        self.center_yaws = (np.arctan2(np.gradient(self.center[:, 1]), np.gradient(self.center[:, 0]))
                            if len(self.center) > 1 else np.zeros(1))
        self._geometry()
        self.index = 0
        self.s = 0.0

    @classmethod
    def from_view(cls, view: Any) -> ExpertRoute:
        """From a privileged view with ``dense_route`` (positions, options, is_junction, road_ids)."""
        dense = view.dense_route
        positions = np.asarray(dense.positions, float)
        n = positions.shape[0]
        options = np.asarray(getattr(dense, "options", np.full(n, 4)))
        junction = np.asarray(getattr(dense, "is_junction", np.zeros(n, bool)))
        limits = np.full(n, DEFAULT_SPEED_LIMIT)
        town = getattr(view, "town", None)
        road_ids = getattr(dense, "road_ids", None)
        if town is not None and road_ids is not None and getattr(town, "xodr", None):
            table = road_speed_limits(town.xodr)
            limits = np.array([table.get(int(r), DEFAULT_SPEED_LIMIT) for r in road_ids])
        return cls(positions, options, junction, limits)

    def _geometry(self) -> None:
        right = np.stack([-np.sin(self.center_yaws), np.cos(self.center_yaws)], axis=1)
        self.points = self.center + self.offsets[:, None] * right
        self.distances = arc_lengths(self.points)
        d = np.diff(self.points, axis=0)
        self.yaws = np.concatenate([np.arctan2(d[:, 1], d[:, 0]), [0.0]]) if len(self.points) > 1 else np.zeros(1)
        if len(self.points) > 1:
            self.yaws[-1] = self.yaws[-2]
        # Plain lists for the scalar look-ups of the forecasts (much faster than numpy per call).
        self._s_list = self.distances.tolist()
        self._xy_list = self.points.tolist()

    def set_offsets(self, offsets: np.ndarray) -> None:
        """Shift the path sideways by ``offsets`` (metres per point, positive = right)."""
        self.offsets = np.asarray(offsets, float).copy()
        self.version += 1
        self._geometry()

    @property
    def length(self) -> float:
        return float(self.distances[-1])

    def __len__(self) -> int:
        return int(self.points.shape[0])

    # -- progress ---------------------------------------------------------------------------
    def update_progress(self, xy: np.ndarray) -> float:
        """Project the ego onto the route near the last projection; returns arc length ``s``."""
        lo = max(self.index - SEARCH_BEHIND, 0)
        hi = min(self.index + SEARCH_AHEAD, len(self) - 1)
        if hi <= lo:
            self.s = float(self.distances[lo])
            return self.s
        a, b = self.points[lo:hi], self.points[lo + 1 : hi + 1]
        ab = b - a
        t = np.clip(np.sum((xy[:2] - a) * ab, axis=1) / np.maximum(np.sum(ab * ab, axis=1), 1e-9), 0.0, 1.0)
        foot = a + t[:, None] * ab
        k = int(np.argmin(np.sum((foot - xy[:2]) ** 2, axis=1)))
        self.index = lo + k
        self.s = float(self.distances[self.index] + t[k] * (self.distances[self.index + 1] - self.distances[self.index]))
        return self.s

    def index_at(self, s: float) -> int:
        return int(min(max(np.searchsorted(self.distances, s, side="right") - 1, 0), len(self) - 1))

    def point_at(self, s: float) -> tuple[float, float]:
        """Interpolated position at arc length ``s`` (clamped to the route; extended past its end)."""
        if s >= self.length:
            yaw = float(self.yaws[-1])
            extra = s - self.length
            return float(self.points[-1, 0] + extra * math.cos(yaw)), float(self.points[-1, 1] + extra * math.sin(yaw))
        s = max(s, 0.0)
        distances, xy = self._s_list, self._xy_list
        i = min(max(bisect.bisect_right(distances, s) - 1, 0), len(distances) - 2)
        t = (s - distances[i]) / max(distances[i + 1] - distances[i], 1e-9)
        (x0, y0), (x1, y1) = xy[i], xy[i + 1]
        return x0 + t * (x1 - x0), y0 + t * (y1 - y0)

    def ahead(self, s: float, metres: float, spacing: float = 1.0) -> np.ndarray:
        """Points every ``spacing`` metres from ``s`` on, ``metres`` long (M, 2)."""
        samples = s + np.arange(0.0, metres, spacing)
        return np.array([self.point_at(float(v)) for v in samples])

    def center_s(self, s: float) -> float:
        """Arc length on the unshifted centre line of the point at arc length ``s`` of the path."""
        i = self.index_at(s)
        return float(self.center_distances[i] + (s - self.distances[i]))

    def center_window(self, s_center: float, metres: float) -> slice:
        """Point indices from centre-line arc length ``s_center`` to ``s_center + metres``."""
        lo = int(np.searchsorted(self.center_distances, s_center, side="right")) - 1
        hi = int(np.searchsorted(self.center_distances, s_center + metres, side="right"))
        return slice(min(max(lo, 0), len(self) - 1), min(max(hi, 1), len(self)))

    def window(self, s: float, metres: float) -> slice:
        """Point indices from arc length ``s`` to ``s + metres``."""
        return slice(self.index_at(s), self.index_at(s + metres) + 1)

    def curvature_ahead(self, s: float, metres: float) -> float:
        """Largest absolute curvature (1/m) of the road in the next ``metres`` (heading change per metre).

        Measured on the unshifted centre line: lateral shifts around obstacles are gentle ramps
        that the look-ahead controller smooths further; they do not slow the ego down.
        """
        window = self.window(s, metres)
        part = self.center_yaws[window]
        if part.size < 3:
            return 0.0
        turn = np.abs(np.angle(np.exp(1j * np.diff(part))))
        steps = np.maximum(np.diff(self.center_distances[window]), 1e-3)[: turn.size]
        window = 4
        if turn.size >= window:
            turn = np.convolve(turn, np.ones(window), "valid")
            steps = np.convolve(steps, np.ones(window), "valid")
        return float(np.max(turn / steps))

    def curvature_at(self, s: float, span: float = 4.0) -> float:
        """Signed curvature (1/m) around arc length ``s``: heading change over ``span`` metres."""
        a, b = self.index_at(s - span / 2), self.index_at(s + span / 2)
        if b <= a:
            return 0.0
        turn = float(np.angle(np.exp(1j * (self.yaws[b] - self.yaws[a]))))
        return turn / max(float(self.distances[b] - self.distances[a]), 1e-3)
