"""Building road networks: roads, road-to-road links, junctions with connecting roads and controls.

Layouts (``lead_sim.maps.layouts``) place roads; :class:`TownBuilder` turns junction arms into
connecting roads (one lane each, reference line on the lane's inner edge), adds traffic lights or
stop signs on the incoming lanes and crosswalks at the junction mouths, and :func:`write_town`
saves a preset as an ``.xodr`` file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from lead_sim.maps.geometry import Segment, connect, wrap_angle
from lead_sim.maps.opendrive_model import (
    Arm,
    ConnectionDef,
    CrosswalkDef,
    JunctionDef,
    LaneDef,
    RoadDef,
    RoadLink,
    SignalDef,
    TownDef,
)

#: OpenDRIVE signal types as CARLA reports them in ``get_all_landmarks()``.
TRAFFIC_LIGHT_TYPE = "1000001"
STOP_SIGN_TYPE = "206"

#: Distance from a junction mouth to the stop line (signals sit here; the crosswalk lies between).
STOP_LINE_SETBACK_M = 5.0
CROSSWALK_DEPTH_M = 3.0


def lane_stack(
    driving: int, width: float, *, parking: bool = False, sidewalk: bool = True, one_way_edge: bool = False
) -> list[LaneDef]:
    """Lanes of one side from the centre out: driving lanes, optional parking lane, optional sidewalk.

    Marks: broken white between driving lanes, solid white on the outermost driving lane edge.
    """
    lanes = [LaneDef("driving", width, "broken", "standard") for _ in range(driving)]
    if lanes:
        lanes[-1] = LaneDef("driving", width, "solid", "standard")
    if parking:
        lanes.append(LaneDef("parking", 2.5, "none"))
    if sidewalk:
        lanes.append(LaneDef("sidewalk", 2.0, "none"))
    return lanes


class TownBuilder:
    """Accumulates roads and junctions with fresh ids; ``build()`` returns the :class:`TownDef`."""

    def __init__(self, name: str, *, lat0: float = 49.0, lon0: float = 8.0) -> None:
        self.town = TownDef(name=name, lat0=lat0, lon0=lon0)
        self._next_road = 0
        self._next_junction = 1000
        self._next_object = 5000

    def _object_id(self) -> int:
        self._next_object += 1
        return self._next_object

    def add_road(
        self,
        segments: Sequence[Segment],
        right: list[LaneDef],
        left: list[LaneDef] | None = None,
        *,
        speed_kmh: float = 50.0,
        road_type: str = "town",
        junction: int = -1,
    ) -> RoadDef:
        road = RoadDef(
            id=self._next_road, segments=list(segments), right=right, left=left or [],
            junction=junction, speed_kmh=speed_kmh, road_type=road_type,
        )
        if not road.left:
            road.center_mark, road.center_mark_color = "solid", "standard"
        elif road.driving_count(-1) == 1 and road.driving_count(1) == 1:
            road.center_mark = "broken"
        self._next_road += 1
        self.town.roads[road.id] = road
        return road

    def link_roads(self, first: RoadDef, second: RoadDef, lane_pairs: Sequence[tuple[int, int]]) -> None:
        """Joins ``first``'s end to ``second``'s start directly (no junction); lanes as given."""
        first.successor = RoadLink("road", second.id, "start")
        second.predecessor = RoadLink("road", first.id, "end")
        for lane_a, lane_b in lane_pairs:
            pred, _ = first.lane_links.get(lane_a, (None, None))
            first.lane_links[lane_a] = (pred, lane_b)
            _, succ = second.lane_links.get(lane_b, (None, None))
            second.lane_links[lane_b] = (lane_a, succ)

    def add_junction(self, arms: Sequence[Arm], *, control: str = "none", crosswalks: bool = False) -> JunctionDef:
        """A junction over ``arms`` with connections chosen by turn angle (see :func:`default_lane_pairs`)."""
        junction = self.new_junction(arms, control=control)
        for arm_in in arms:
            for arm_out in arms:
                if arm_out is arm_in:
                    continue
                for k_in, k_out in default_lane_pairs(arm_in, arm_out, arms):
                    self.add_connection(junction, arm_in, k_in, arm_out, k_out)
        self._add_controls(junction, arms, control)
        if crosswalks:
            self._add_crosswalks(arms)
        return junction

    def new_junction(self, arms: Sequence[Arm], *, control: str = "none") -> JunctionDef:
        junction = JunctionDef(id=self._next_junction, control=control)
        self._next_junction += 1
        self.town.junctions[junction.id] = junction
        for arm in arms:
            link = RoadLink("junction", junction.id)
            if arm.at_end:
                arm.road.successor = link
            else:
                arm.road.predecessor = link
        return junction

    def add_connection(self, junction: JunctionDef, arm_in: Arm, k_in: int, arm_out: Arm, k_out: int) -> RoadDef:
        """A one-lane connecting road from lane ``k_in`` of ``arm_in`` to lane ``k_out`` of ``arm_out``."""
        start = arm_in.lane_inner_edge(k_in, incoming=True)
        end = arm_out.lane_inner_edge(k_out, incoming=False)
        segments = connect(start, arm_in.incoming_heading, end, arm_out.outgoing_heading)
        width = arm_in.lane_width(k_in, incoming=True)
        road = self.add_road(
            segments, [LaneDef("driving", width, "none")], junction=junction.id,
            speed_kmh=min(arm_in.road.speed_kmh, arm_out.road.speed_kmh), road_type=arm_in.road.road_type,
        )
        road.center_mark = "none"
        lane_in, lane_out = arm_in.lane_id(k_in, True), arm_out.lane_id(k_out, False)
        road.predecessor = RoadLink("road", arm_in.road.id, arm_in.contact_point)
        road.successor = RoadLink("road", arm_out.road.id, arm_out.contact_point)
        road.lane_links[-1] = (lane_in, lane_out)
        junction.connections.append(ConnectionDef(arm_in.road.id, road.id, "start", [(lane_in, -1)]))
        return road

    def _add_controls(self, junction: JunctionDef, arms: Sequence[Arm], control: str) -> None:
        if control == "none":
            return
        sig_type = TRAFFIC_LIGHT_TYPE if control == "signal" else STOP_SIGN_TYPE
        for arm in arms:
            n_in = arm.n_incoming()
            if n_in == 0:
                continue
            road, side = arm.road, arm.incoming_side
            setback = min(STOP_LINE_SETBACK_M, road.length / 3.0)
            s = road.length - setback if arm.at_end else setback
            t = side * road.side_width(side, ("driving", "parking"))
            lanes = sorted((side, side * n_in))
            road.signals.append(SignalDef(
                id=self._object_id(), s=s, t=t, orientation="+" if arm.at_end else "-", type=sig_type,
                valid_from=lanes[0], valid_to=lanes[1], dynamic=control == "signal",
                name="TrafficLight" if control == "signal" else "StopSign",
                height=3.0 if control == "signal" else 2.0,
            ))

    def _add_crosswalks(self, arms: Sequence[Arm]) -> None:
        for arm in arms:
            road = arm.road
            if road.length < STOP_LINE_SETBACK_M * 3:
                continue
            mid = STOP_LINE_SETBACK_M / 2.0  # between the junction mouth and the stop line
            s = road.length - mid if arm.at_end else mid
            right = road.side_width(-1, ("driving", "parking"))
            left = road.side_width(1, ("driving", "parking"))
            road.crosswalks.append(CrosswalkDef(
                id=self._object_id(), s=s, t=(left - right) / 2.0, across_m=left + right,
                along_m=CROSSWALK_DEPTH_M,
            ))

    def build(self) -> TownDef:
        return self.town


def classify_turn(arm_in: Arm, arm_out: Arm) -> str:
    """"straight", "left", "right" or "uturn" from the incoming to the outgoing travel heading."""
    turn = math.degrees(wrap_angle(arm_out.outgoing_heading - arm_in.incoming_heading))
    if abs(turn) > 150.0:
        return "uturn"
    if abs(turn) < 40.0:
        return "straight"
    return "left" if turn > 0 else "right"


def default_lane_pairs(arm_in: Arm, arm_out: Arm, arms: Sequence[Arm]) -> list[tuple[int, int]]:
    """Lane pairs (1-based from the centre) connected from ``arm_in`` to ``arm_out``.

    Straight: lane k to lane k (extra incoming lanes merge into the outermost one). Left turns
    leave from the innermost lane, right turns from the outermost. Where an arm has no straight
    exit (the stem of a T), its inner half turns left and its outer half turns right, so every
    incoming lane has somewhere to go.
    """
    n_in, n_out = arm_in.n_incoming(), arm_out.n_outgoing()
    if n_in == 0 or n_out == 0:
        return []
    kind = classify_turn(arm_in, arm_out)
    if kind == "uturn":
        return []
    if kind == "straight":
        return [(k, min(k, n_out)) for k in range(1, n_in + 1)]
    has_straight = any(
        other is not arm_in and other.n_outgoing() > 0 and classify_turn(arm_in, other) == "straight"
        for other in arms
    )
    if has_straight:
        return [(1, 1)] if kind == "left" else [(n_in, n_out)]
    split = (n_in + 1) // 2
    if kind == "left":
        return [(k, min(k, n_out)) for k in range(1, split + 1)]
    return [(k, max(1, n_out - (n_in - k))) for k in range(split + 1 if n_in > 1 else 1, n_in + 1)]


def write_town(name: str, path: str | Path) -> Path:
    """Writes preset ``name`` (see ``lead_sim.maps.presets.PRESETS``) as OpenDRIVE to ``path``."""
    from lead_sim.maps.presets import preset_xodr

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(preset_xodr(name), encoding="utf-8")
    return target
