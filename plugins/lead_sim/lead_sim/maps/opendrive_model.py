"""The road network a town generator builds, before it is written as OpenDRIVE.

Conventions (right-hand traffic, OpenDRIVE frame): lanes right of the reference line (negative ids)
drive along it, lanes left of it (positive ids) against it. Driving lanes are the innermost lanes of
each side; parking and sidewalk lanes lie outside them.
"""

from __future__ import annotations

import math

import attrs

from lead_sim.maps.geometry import Segment, path_length, pose_along, right_normal, wrap_angle


@attrs.define
class LaneDef:
    """One lane of a side: ``type`` is an OpenDRIVE lane type, ``mark`` the mark on its outer edge."""

    type: str
    width: float
    mark: str = "none"
    mark_color: str = "standard"


@attrs.define
class RoadLink:
    element_type: str  # "road" or "junction"
    element_id: int
    contact_point: str | None = None  # "start"/"end" for roads


@attrs.define
class SignalDef:
    """A signal on a road; ``s`` is the stop line of the lanes in ``valid_from..valid_to``."""

    id: int
    s: float
    t: float
    orientation: str  # "+" governs lanes driving along s, "-" against
    type: str
    valid_from: int
    valid_to: int
    name: str = ""
    subtype: str = "-1"
    dynamic: bool = False
    height: float = 1.0


@attrs.define
class CrosswalkDef:
    """A crosswalk across the road at ``s``: ``across_m`` wide (along t) and ``along_m`` deep (along s)."""

    id: int
    s: float
    t: float
    across_m: float
    along_m: float


@attrs.define
class RoadDef:
    id: int
    segments: list[Segment]
    right: list[LaneDef]
    left: list[LaneDef] = attrs.field(factory=list)
    junction: int = -1
    predecessor: RoadLink | None = None
    successor: RoadLink | None = None
    lane_links: dict[int, tuple[int | None, int | None]] = attrs.field(factory=dict)
    signals: list[SignalDef] = attrs.field(factory=list)
    crosswalks: list[CrosswalkDef] = attrs.field(factory=list)
    speed_kmh: float = 50.0
    road_type: str = "town"
    center_mark: str = "solid"
    center_mark_color: str = "yellow"

    @property
    def length(self) -> float:
        return path_length(self.segments)

    def pose_at(self, s: float) -> tuple[float, float, float]:
        return pose_along(self.segments, s)

    def driving_count(self, side: int) -> int:
        """Number of driving lanes on the right (``side=-1``) or left (``side=+1``) side."""
        lanes = self.right if side < 0 else self.left
        count = 0
        for lane in lanes:
            if lane.type != "driving":
                break
            count += 1
        return count

    def side_width(self, side: int, lane_types: tuple[str, ...] | None = None) -> float:
        lanes = self.right if side < 0 else self.left
        return sum(lane.width for lane in lanes if lane_types is None or lane.type in lane_types)

    def inner_offset(self, side: int, index: int) -> float:
        """Distance from the reference line to the inner edge of lane ``index`` (1-based) of a side."""
        lanes = self.right if side < 0 else self.left
        return sum(lane.width for lane in lanes[: index - 1])


@attrs.define
class ConnectionDef:
    incoming_road: int
    connecting_road: int
    contact_point: str
    lane_links: list[tuple[int, int]]


@attrs.define
class JunctionDef:
    id: int
    connections: list[ConnectionDef] = attrs.field(factory=list)
    control: str = "none"  # "signal", "stop" or "none"


@attrs.define
class TownDef:
    name: str
    roads: dict[int, RoadDef] = attrs.field(factory=dict)
    junctions: dict[int, JunctionDef] = attrs.field(factory=dict)
    lat0: float = 49.0
    lon0: float = 8.0


@attrs.define(frozen=True)
class Arm:
    """Where a road touches a junction: at its end (``at_end``) or its start."""

    road: RoadDef
    at_end: bool

    @property
    def contact_point(self) -> str:
        return "end" if self.at_end else "start"

    @property
    def mouth(self) -> tuple[float, float, float]:
        return self.road.pose_at(self.road.length if self.at_end else 0.0)

    @property
    def incoming_side(self) -> int:
        """Side whose lanes drive into the junction: right (-1) at the road end, left (+1) at its start."""
        return -1 if self.at_end else 1

    @property
    def incoming_heading(self) -> float:
        hdg = self.mouth[2]
        return hdg if self.at_end else wrap_angle(hdg + math.pi)

    @property
    def outgoing_heading(self) -> float:
        return wrap_angle(self.incoming_heading + math.pi)

    def n_incoming(self) -> int:
        return self.road.driving_count(self.incoming_side)

    def n_outgoing(self) -> int:
        return self.road.driving_count(-self.incoming_side)

    def lane_id(self, index: int, incoming: bool) -> int:
        side = self.incoming_side if incoming else -self.incoming_side
        return side * index

    def lane_inner_edge(self, index: int, incoming: bool) -> tuple[float, float]:
        """Inner edge of driving lane ``index`` at the mouth (the connecting road's reference point)."""
        side = self.incoming_side if incoming else -self.incoming_side
        heading = self.incoming_heading if incoming else self.outgoing_heading
        offset = self.road.inner_offset(side, index)
        x, y, _ = self.mouth
        nx, ny = right_normal(heading)
        return (x + offset * nx, y + offset * ny)

    def lane_width(self, index: int, incoming: bool) -> float:
        side = self.incoming_side if incoming else -self.incoming_side
        lanes = self.road.right if side < 0 else self.road.left
        return lanes[index - 1].width
