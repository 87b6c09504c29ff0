"""Plan-view geometry for generated roads: straight lines and constant-curvature arcs only.

Spirals are never written: the ``carla`` parser returns NaN waypoints on spirals whose start and
end curvature are equal, and lines plus arcs are enough for grid and highway towns. All angles in
radians, OpenDRIVE's right-handed frame (x east, y north, heading counter-clockwise from +x).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

_EPS = 1e-6


class GeometryError(ValueError):
    """Two poses that lines and arcs cannot join in the requested way."""


@attrs.define(frozen=True)
class Segment:
    """One ``<geometry>``: start pose, length and curvature (0 for a line)."""

    x: float
    y: float
    hdg: float
    length: float
    curvature: float = 0.0

    def pose_at(self, ds: float) -> tuple[float, float, float]:
        """Pose ``(x, y, heading)`` at distance ``ds`` from the segment start."""
        if abs(self.curvature) < 1e-12:
            return (self.x + ds * math.cos(self.hdg), self.y + ds * math.sin(self.hdg), self.hdg)
        radius = 1.0 / self.curvature
        hdg = self.hdg + ds * self.curvature
        x = self.x + radius * (math.sin(hdg) - math.sin(self.hdg))
        y = self.y - radius * (math.cos(hdg) - math.cos(self.hdg))
        return (x, y, hdg)

    def end_pose(self) -> tuple[float, float, float]:
        return self.pose_at(self.length)


def wrap_angle(angle: float) -> float:
    """``angle`` mapped into (-pi, pi]."""
    wrapped = math.atan2(math.sin(angle), math.cos(angle))
    return math.pi if wrapped == -math.pi else wrapped


def right_normal(heading: float) -> tuple[float, float]:
    """Unit vector pointing to the right of ``heading``."""
    return (math.sin(heading), -math.cos(heading))


def path_length(segments: Sequence[Segment]) -> float:
    return sum(seg.length for seg in segments)


def pose_along(segments: Sequence[Segment], s: float) -> tuple[float, float, float]:
    """Pose at arc length ``s`` along consecutive ``segments`` (clamped to the path)."""
    remaining = max(0.0, s)
    for seg in segments:
        if remaining <= seg.length:
            return seg.pose_at(remaining)
        remaining -= seg.length
    return segments[-1].end_pose()


class PathBuilder:
    """Appends lines and arcs, each starting where the previous one ended."""

    def __init__(self, x: float, y: float, hdg: float) -> None:
        self.segments: list[Segment] = []
        self._pose = (x, y, hdg)

    @property
    def pose(self) -> tuple[float, float, float]:
        return self._pose

    def line(self, length: float) -> PathBuilder:
        return self._add(length, 0.0)

    def arc(self, length: float, curvature: float) -> PathBuilder:
        return self._add(length, curvature)

    def _add(self, length: float, curvature: float) -> PathBuilder:
        if length > _EPS:
            seg = Segment(*self._pose, length=length, curvature=curvature)
            self.segments.append(seg)
            x, y, hdg = seg.end_pose()
            self._pose = (x, y, wrap_angle(hdg))
        return self


def connect(
    start: tuple[float, float], start_hdg: float, end: tuple[float, float], end_hdg: float
) -> list[Segment]:
    """Lines and arcs from ``start`` (heading ``start_hdg``) to ``end`` (heading ``end_hdg``).

    Parallel headings give a line (aligned points) or an S-curve of two opposite arcs (lateral
    offset); other headings give line, arc, line through the intersection of the two tangents.
    """
    dx, dy = end[0] - start[0], end[1] - start[1]
    turn = wrap_angle(end_hdg - start_hdg)
    cos0, sin0 = math.cos(start_hdg), math.sin(start_hdg)
    builder = PathBuilder(start[0], start[1], start_hdg)
    if abs(turn) < 1e-6:
        along = dx * cos0 + dy * sin0
        lateral = -dx * sin0 + dy * cos0
        if along <= _EPS:
            raise GeometryError(f"end point lies behind the start (along={along:.3f} m)")
        if abs(lateral) < 1e-4:
            return builder.line(math.hypot(dx, dy)).segments
        half_angle = 2.0 * math.atan(abs(lateral) / along)
        radius = along / (2.0 * math.sin(half_angle))
        sign = 1.0 if lateral > 0 else -1.0
        builder.arc(radius * half_angle, sign / radius).arc(radius * half_angle, -sign / radius)
        return builder.segments
    cos1, sin1 = math.cos(end_hdg), math.sin(end_hdg)
    det = cos0 * sin1 - sin0 * cos1
    # start + a * dir0 = end - b * dir1
    a = (dx * sin1 - dy * cos1) / det
    b = (cos0 * dy - sin0 * dx) / det
    if a < -_EPS or b < -_EPS:
        raise GeometryError(
            f"tangents meet behind the start or end (a={a:.3f} m, b={b:.3f} m); cannot join with one arc"
        )
    tangent = min(a, b)
    radius = tangent / math.tan(abs(turn) / 2.0)
    if radius < _EPS:
        raise GeometryError("start and end coincide with the tangent intersection")
    builder.line(a - tangent)
    builder.arc(radius * abs(turn), math.copysign(1.0 / radius, turn))
    builder.line(b - tangent)
    return builder.segments


def rounded_polyline(points: Sequence[tuple[float, float]], corner_radius: float) -> list[Segment]:
    """Lines through ``points`` with every inner corner replaced by an arc of ``corner_radius``.

    The radius shrinks where a corner's tangent would use more than half of an adjacent leg.
    """
    if len(points) < 2:
        raise GeometryError("a polyline needs at least two points")
    headings = [
        math.atan2(points[i + 1][1] - points[i][1], points[i + 1][0] - points[i][0])
        for i in range(len(points) - 1)
    ]
    legs = [math.dist(points[i], points[i + 1]) for i in range(len(points) - 1)]
    tangents = [0.0] * len(points)
    radii = [0.0] * len(points)
    for i in range(1, len(points) - 1):
        turn = wrap_angle(headings[i] - headings[i - 1])
        if abs(turn) < 1e-9:
            continue
        half = math.tan(abs(turn) / 2.0)
        limit = min(legs[i - 1] if i == 1 else legs[i - 1] / 2.0,
                    legs[i] if i == len(points) - 2 else legs[i] / 2.0)
        tangents[i] = min(corner_radius * half, limit)
        radii[i] = tangents[i] / half
    builder = PathBuilder(points[0][0], points[0][1], headings[0])
    for i, leg in enumerate(legs):
        builder.line(leg - tangents[i] - tangents[i + 1])
        if i + 1 < len(points) - 1 and radii[i + 1] > 0:
            turn = wrap_angle(headings[i + 1] - headings[i])
            builder.arc(radii[i + 1] * abs(turn), math.copysign(1.0 / radii[i + 1], turn))
    return builder.segments
