"""Path shifts around obstacles that block the route: accidents, construction sites, broken-down
or parked cars, car doors, and slow bicycles at the lane edge.

What blocks (found every few ticks within ``LOOK_AHEAD_M``): actors whose box comes closer to the
route's centre line than the ego's half width plus a margin, of these kinds:

* static obstacles and parked vehicles;
* standing vehicles never seen moving (or standing for long), unless a junction lies near them
  along the route (a queue at a light or a junction exit is traffic to wait behind, not an obstacle);
* bicycles riding along the route slower than ``SLOW_BICYCLE_SPEED``.

The nearest group of them (gaps under ``GROUP_GAP_M``) is one blocked stretch. The path is then
shifted sideways within the ego lane when that clears narrow blockers at its edge (bicycles),
else into a free neighbouring driving lane (from ``carla.Map``), ramping in before the
stretch and back after it. A lane of the same direction is preferred; the oncoming lane is used
only when no oncoming vehicle reaches the stretch before the ego has passed it (two-way
overtaking); until then the shift waits and the ego stands back from the stretch. While shifted,
the stretch is re-measured (bicycles move on) and the return moves further on when it grew.

The same shift makes way for an emergency vehicle coming up behind in the ego lane: the ego
moves into a free neighbouring lane of its direction (else to the right edge of the road) and
waits there until the vehicle has passed. While no shift is active, oncoming vehicles cutting
into the ego lane get room by a nudge within the lane (:mod:`lead_expert_pdm.invaders`).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

from lead_expert_pdm.actors import (
    BICYCLE,
    EMERGENCY,
    OBSTACLE,
    PARKED,
    VEHICLE,
    VEHICLE_KINDS,
)
from lead_expert_pdm.invaders import keep_clear_of_invaders
from lead_expert_pdm.route import ExpertRoute
from lead_expert_pdm.route_frame import route_frame

LOOK_AHEAD_M = 40.0
#: Actors up to this far behind the ego's centre still count (the ego is beside them while passing).
LOOK_BEHIND_M = 8.0
RAMP_M = 10.0
#: Fully shifted this far before the stretch; the return starts this far after it.
MARGIN_BEFORE_M = 4.0
MARGIN_AFTER_M = 2.0
RAMP_BACK_M = 8.0
#: The return ramp ends this far (metres) before a junction, shortened down to ``MIN_RAMP_BACK_M``.
JUNCTION_BACK_MARGIN_M = 4.0
MIN_RAMP_BACK_M = 4.0
#: An actor blocks when its box comes this close (metres) to the route's centre line (ego half
#: width plus a safety margin).
BLOCKING_CLEARANCE_M = 1.65
#: Narrow blockers at the lane edge are passed within the lane when the ego centre stays within
#: this distance (metres) of the lane centre, with ``SIDE_CLEARANCE_M`` between the ego's side and them.
MAX_IN_LANE_SHIFT_M = 1.2
SIDE_CLEARANCE_M = 1.06 + 0.55
#: Actors of one stretch are at most this far apart (metres, box to box along the route).
GROUP_GAP_M = 10.0
#: A group of standing vehicles with a junction this close behind / ahead of it (metres) is a queue.
JUNCTION_CLEARANCE_M = (5.0, 6.0)
STANDING_SPEED = 0.1
SLOW_BICYCLE_SPEED = 5.0
#: Speed assumed for overtaking through the oncoming lane (m/s) and the distance (metres) an
#: oncoming vehicle must still be away, this many seconds after the ego is back in its lane.
OVERTAKE_SPEED = 8.0
ONCOMING_SAFETY_M = 8.0
ONCOMING_SAFETY_S = 0.5
#: An oncoming vehicle this far (metres) behind the ego's centre has passed it.
ONCOMING_PASSED_M = 3.0
#: Oncoming vehicles are assumed to come at this speed (m/s) at least.
ONCOMING_MIN_SPEED = 4.0
CHECK_EVERY_TICKS = 5
#: The lane to pass a stretch in is chosen once the ego is this close (metres) to the stretch; a
#: pass through the oncoming lane is called off while the ego is still within this offset (metres)
#: of its lane and oncoming traffic appears.
DECIDE_WITHIN_M = MARGIN_BEFORE_M + RAMP_M + 12.0
ABORT_OFFSET_M = 1.2
#: Emergency vehicles up to this far behind (metres) get way made for them; the ego stays in the
#: side lane until they are ahead, then this much longer (metres).
EMERGENCY_LOOK_BEHIND_M = 40.0
YIELD_AHEAD_M = 15.0
#: Without a same-direction lane beside, the ego makes way on the right edge, this far (metres)
#: right of its lane centre: clear of an emergency vehicle driving down the lane centre.
YIELD_EDGE_OFFSET_M = 2.75


@attrs.define(frozen=True)
class BlockedStretch:
    """Route arc lengths where the blocking actors begin and end, their ids, and the fastest one's
    speed along the route (bicycles ride on while the ego passes them)."""

    start: float
    end: float
    ids: frozenset[int]
    speed: float = 0.0
    #: A shift within the ego lane that clears the stretch (narrow blockers at the lane edge), if any.
    in_lane_offset: float | None = None

    def passed_at(self, s: float) -> float:
        """Where the stretch's end will be when the ego, from ``s`` at ``OVERTAKE_SPEED``, has passed it."""
        if self.speed <= 0.0:
            return self.end
        catch_up = (self.end + MARGIN_AFTER_M - s) / max(OVERTAKE_SPEED - self.speed, 1.0)
        return self.end + self.speed * catch_up


class ObstacleShifter:
    """Decides and applies lateral shifts of an :class:`ExpertRoute`."""

    def __init__(self, route: ExpertRoute, town_map: Any | None):
        self.route = route
        self.map = town_map
        self.active = False
        #: The active shift makes way for an emergency vehicle coming from behind (close: it is behind now).
        self.yielding = False
        self.emergency_close = False
        #: The active shift goes through a lane of the opposite direction.
        self.oncoming = False
        #: A blocked stretch lies ahead but no lane beside it is free yet.
        self.waiting = False
        self.stretch: BlockedStretch | None = None
        self._offset = 0.0
        self._end_s = -math.inf
        self._tick = 0

    def _cancel(self) -> None:
        self.route.set_offsets(np.zeros(len(self.route)))
        self.active = self.oncoming = self.yielding = False
        self.stretch = None

    @property
    def blocking_ids(self) -> frozenset[int]:
        return frozenset() if self.stretch is None else self.stretch.ids

    def update(self, actors: Any, path_s: float, parked_ids: set[int]) -> None:
        """One tick at path arc length ``path_s``; ``parked_ids``: standing actors never seen moving
        or standing for long (:meth:`ActorTracker.parked_ids`).

        Stretches are measured along the unshifted centre line (shifting does not move them).
        """
        self._tick += 1
        s = self.route.center_s(path_s)
        if self.active and s > self._end_s:
            self._cancel()
        if self.map is None or self._tick % CHECK_EVERY_TICKS:
            return
        emergency = self._emergency_behind(actors, s)
        if self.yielding:
            if emergency is not None:  # still behind or beside: stay aside a while longer
                self.stretch = attrs.evolve(self.stretch, end=max(self.stretch.end, s + YIELD_AHEAD_M))
                self._apply(s)
            elif self.stretch.end > s:  # it has passed: back into the lane right away
                self.stretch = attrs.evolve(self.stretch, start=min(self.stretch.start, s), end=s)
                self._apply(s)
            return
        stretch = self._blocked_stretch(actors, s, parked_ids)
        if not self.active and stretch is None and emergency is not None:
            self._make_way(actors, s, emergency)
            return
        if not self.active:
            keep_clear_of_invaders(self.route, actors, s)
        if stretch is not None and self._junction_before_passed(stretch, s):
            stretch = None  # riding on into a junction: follow them instead
        still_in_lane = abs(float(self.route.offsets[self.route.index])) < ABORT_OFFSET_M
        if self.active and self.oncoming and still_in_lane and not self._oncoming_clear(actors, self.stretch, s, self._offset):
            self._cancel()  # not yet out: wait behind the stretch after all
            self.stretch, self.waiting = stretch, True
            return
        if self.active:
            if stretch is not None and stretch.end > self.stretch.end:
                self.stretch = attrs.evolve(stretch, start=self.stretch.start, ids=self.stretch.ids | stretch.ids)
                self._apply(s)
            return
        self.stretch = stretch
        self.waiting = False
        if stretch is None:
            return
        if stretch.in_lane_offset is None and stretch.start - s > DECIDE_WITHIN_M:
            return  # decide on the lane (and on oncoming traffic) when close
        lane = (stretch.in_lane_offset, True) if stretch.in_lane_offset is not None else self._free_lane(actors, stretch, s)
        if lane is None:
            self.waiting = True
            return
        self._offset, same_direction = lane
        self.oncoming = not same_direction
        self._apply(s)

    # ------------------------------------------------------------------------------ finding
    def _candidate_rows(self, actors: Any, parked_ids: set[int]) -> np.ndarray:
        kinds = np.asarray(actors.kinds, int)
        speed = np.linalg.norm(np.asarray(actors.velocity, float)[:, :2], axis=1)
        ids = np.asarray(actors.ids)
        parked = np.isin(ids, np.fromiter(parked_ids, dtype=ids.dtype, count=len(parked_ids)))
        standing_vehicle = np.isin(kinds, (VEHICLE, EMERGENCY)) & (speed < STANDING_SPEED) & parked
        slow_bicycle = (kinds == BICYCLE) & (speed < SLOW_BICYCLE_SPEED)
        candidate = np.isin(kinds, (OBSTACLE, PARKED)) | standing_vehicle | slow_bicycle
        candidate[0] = False
        return np.flatnonzero(candidate)

    def _blocked_stretch(self, actors: Any, s: float, parked_ids: set[int]) -> BlockedStretch | None:
        rows = self._candidate_rows(actors, parked_ids)
        if rows.size == 0:
            return None
        route = self.route
        frame = route_frame(route, actors, rows, route.center_window(s - LOOK_BEHIND_M, LOOK_AHEAD_M + LOOK_BEHIND_M))
        if frame is None:
            return None
        along, heading, half_along = frame.along, frame.heading, frame.half_along
        kinds = np.asarray(actors.kinds, int)[rows]
        blocking = (np.abs(frame.lateral) - frame.half_across < BLOCKING_CLEARANCE_M) & (frame.distance < 6.0)
        blocking &= (kinds != BICYCLE) | (np.cos(heading) > 0.8)  # bicycles riding along the route
        blocking &= along + half_along > s - LOOK_BEHIND_M
        if not blocking.any():
            return None
        order = np.argsort(along[blocking])
        lo = (along - half_along)[blocking][order]
        hi = (along + half_along)[blocking][order]
        group_kinds = kinds[blocking][order]
        group_ids = np.asarray(actors.ids)[rows][blocking][order]
        count = 1
        while count < lo.size and lo[count] - hi[:count].max() < GROUP_GAP_M:
            count += 1
        start, end = float(lo[0]), float(hi[:count].max())
        if np.isin(group_kinds[:count], (VEHICLE, EMERGENCY)).all() and self._near_junction(start, end):
            return None
        # Ego centre left of every blocker's left edge, or right of every right edge (positive = right).
        pass_left = float((frame.lateral - frame.half_across)[blocking][order][:count].min()) - SIDE_CLEARANCE_M
        pass_right = float((frame.lateral + frame.half_across)[blocking][order][:count].max()) + SIDE_CLEARANCE_M
        in_lane = [o for o in (pass_left, pass_right) if abs(o) <= MAX_IN_LANE_SHIFT_M]
        velocity = np.asarray(actors.velocity, float)[rows][blocking][order][:count, :2]
        yaw = route.center_yaws[self._center_index(start)]
        speed = float(np.max(velocity @ np.array([math.cos(yaw), math.sin(yaw)]), initial=0.0))
        return BlockedStretch(start, end, frozenset(int(i) for i in group_ids[:count]), max(speed, 0.0),
                              min(in_lane, key=abs) if in_lane else None)

    def _center_index(self, s: float) -> int:
        return min(int(np.searchsorted(self.route.center_distances, s)), len(self.route) - 1)

    def _junction_before_passed(self, stretch: BlockedStretch, s: float) -> bool:
        """Moving actors that the ego cannot pass (and get back in lane) before the next junction."""
        if stretch.speed <= 0.0:
            return False
        back = stretch.passed_at(s) + MARGIN_AFTER_M + RAMP_BACK_M
        return bool(self.route.is_junction[self.route.center_window(s, back - s)].any())

    def _near_junction(self, start: float, end: float) -> bool:
        behind, ahead = JUNCTION_CLEARANCE_M
        return bool(self.route.is_junction[self.route.center_window(start - behind, end - start + behind + ahead)].any())

    def _free_lane(self, actors: Any, stretch: BlockedStretch, s: float) -> tuple[float, bool] | None:
        """(lateral offset, same direction) of the lane to pass the stretch in, None while none is free."""
        import carla

        i = self._center_index(0.5 * (stretch.start + stretch.end))
        x, y = self.route.center[i]
        z = float(self.route.z[i])
        waypoint = self.map.get_waypoint(carla.Location(float(x), float(y), z), project_to_road=True,
                                         lane_type=carla.LaneType.Driving)
        if waypoint is None:
            return None
        yaw = float(self.route.center_yaws[i])
        right = np.array([-math.sin(yaw), math.cos(yaw)])
        candidates = []
        # Probe one lane width to each side: neighbours may lie on another OpenDRIVE road (divided roads).
        for side in (-1.0, 1.0):
            px, py = np.array([x, y]) + side * waypoint.lane_width * right
            neighbour = self.map.get_waypoint(carla.Location(float(px), float(py), z), project_to_road=False,
                                              lane_type=carla.LaneType.Driving)
            if neighbour is None or (neighbour.road_id, neighbour.lane_id) == (waypoint.road_id, waypoint.lane_id):
                continue
            location = neighbour.transform.location
            offset = float(np.dot(np.array([location.x - x, location.y - y]), right))
            same_direction = math.cos(math.radians(neighbour.transform.rotation.yaw) - yaw) > 0.0
            candidates.append((0 if same_direction else 1, offset, same_direction))
        for _, offset, same_direction in sorted(candidates):
            if same_direction or self._oncoming_clear(actors, stretch, s, offset):
                return offset, same_direction
        return None

    def _oncoming_clear(self, actors: Any, stretch: BlockedStretch, s: float, offset: float) -> bool:
        """No vehicle in the oncoming lane reaches the point where the ego is back in its lane
        (``ONCOMING_SAFETY_M`` to spare) before the ego, driving at ``OVERTAKE_SPEED``, got there."""
        back_in_lane = stretch.end + MARGIN_AFTER_M + 0.5 * RAMP_BACK_M
        time_to_pass = (back_in_lane - s) / OVERTAKE_SPEED + ONCOMING_SAFETY_S
        kinds = np.asarray(actors.kinds, int)
        rows = np.flatnonzero(np.isin(kinds, VEHICLE_KINDS))
        rows = rows[(rows > 0) & ~np.isin(np.asarray(actors.ids)[rows], list(stretch.ids))]
        if rows.size == 0:
            return True
        frame = route_frame(self.route, actors, rows, self.route.center_window(s - 2.0 * RAMP_M, back_in_lane - s + 2.0 * RAMP_M + 80.0))
        if frame is None:
            return True
        along = frame.along
        across = (offset - frame.lateral) * math.copysign(1.0, offset)  # positive: towards the ego lane
        velocity = np.asarray(actors.velocity, float)[rows, :2]
        speed = np.linalg.norm(velocity, axis=1)
        toward = -speed * np.cos(frame.heading)
        # A vehicle not driving along the lane (turning in from a junction ahead) may come either way.
        closing = np.where(np.abs(toward) > 0.7 * speed, np.maximum(toward, 0.0), speed)
        # Standing or slow ones (queued at a light, about to turn in) may set off towards the ego.
        closing = np.where(toward > -0.5, np.maximum(closing, ONCOMING_MIN_SPEED), closing)
        in_lane = (np.abs(across) < 2.5) | ((along > stretch.end) & (across < 1.5) & (across > -8.0))
        in_lane &= np.abs(frame.lateral) < 12.0  # past the route end too: the lane goes on
        ahead_of_ego = along > s - ONCOMING_PASSED_M  # the ones beside or behind the ego drive away
        arrives_early = along - closing * time_to_pass < back_in_lane + ONCOMING_SAFETY_M
        return not (in_lane & ahead_of_ego & arrives_early).any()

    # ------------------------------------------------------------------------------ emergency
    def _emergency_behind(self, actors: Any, s: float) -> int | None:
        """Id of an emergency vehicle coming up behind (or beside) the ego along its lane, if any."""
        self.emergency_close = False
        kinds = np.asarray(actors.kinds, int)
        rows = np.flatnonzero(kinds == EMERGENCY)
        rows = rows[rows > 0]
        if rows.size == 0:
            return None
        frame = route_frame(self.route, actors, rows, self.route.center_window(s - EMERGENCY_LOOK_BEHIND_M, EMERGENCY_LOOK_BEHIND_M + 10.0))
        if frame is None:
            return None
        speed = np.linalg.norm(np.asarray(actors.velocity, float)[rows, :2], axis=1)
        behind = (frame.along < s + 3.0) & (frame.along > s - EMERGENCY_LOOK_BEHIND_M) & (np.abs(frame.lateral) < 2.5)
        behind &= (np.cos(frame.heading) > 0.5) & (frame.distance < 6.0) & (speed > 0.5)
        found = np.flatnonzero(behind)
        self.emergency_close = bool(found.size)
        return int(np.asarray(actors.ids)[rows[found[0]]]) if found.size else None

    @property
    def aside(self) -> bool:
        """Yielding and already (nearly) fully moved aside at the ego's position."""
        return self.yielding and abs(float(self.route.offsets[self.route.index])) > 0.9 * abs(self._offset)

    def _make_way(self, actors: Any, s: float, emergency_id: int) -> None:
        """Move aside so that the emergency vehicle can pass: into a free neighbouring lane of the
        same direction, else onto the right edge of the road (never into the oncoming lane)."""
        start = s + RAMP_M + MARGIN_BEFORE_M
        stretch = BlockedStretch(start, start + YIELD_AHEAD_M, frozenset({emergency_id}))
        lane = self._free_lane(actors, stretch, s)
        self.stretch = stretch
        self._offset = lane[0] if lane is not None and lane[1] else YIELD_EDGE_OFFSET_M
        self.yielding = True
        self._apply(s)

    # ------------------------------------------------------------------------------ applying
    def _apply(self, s: float) -> None:
        """Shift by ``self._offset`` over the stretch: ramp in (from the ego on at the latest), hold, ramp back."""
        start, end = self.stretch.start, self.stretch.end
        d = self.route.center_distances
        full_at = start - MARGIN_BEFORE_M
        ramp_from = max(full_at - RAMP_M, min(s, full_at - 3.0))
        ramp_in = np.clip((d - ramp_from) / max(full_at - ramp_from, 1e-3), 0.0, 1.0)
        back_from = end + MARGIN_AFTER_M
        # Back in the lane before the next junction (its stop line or stop sign lies at its entry).
        ahead = self.route.center_window(back_from, RAMP_BACK_M + JUNCTION_BACK_MARGIN_M)
        junction = np.flatnonzero(self.route.is_junction[ahead])
        back_m = RAMP_BACK_M
        if junction.size:
            junction_s = float(self.route.center_distances[ahead.start + junction[0]])
            back_m = float(np.clip(junction_s - JUNCTION_BACK_MARGIN_M - back_from, MIN_RAMP_BACK_M, RAMP_BACK_M))
        ramp_out = np.clip((back_from + back_m - d) / back_m, 0.0, 1.0)
        weight = np.minimum(ramp_in, ramp_out)
        weight = weight * weight * (3.0 - 2.0 * weight)  # smoothstep
        self.route.set_offsets(self._offset * weight)
        self.active = True
        self._end_s = back_from + back_m
