"""Lane-following traffic (cars and bicycles): IDM car following, lights, stop signs, junction rules.

Each vehicle owns a *path buffer*: its future path sampled every metre for ``BUFFER_M`` metres along
a queue of lanes (random successors drawn ahead of time), with headings and a curve speed limit
per sample. The buffer is rebuilt only when the vehicle has used it up or is respawned, so the
per-tick update is array indexing over all vehicles at once:

1. every ``SENSE_EVERY_TICKS`` ticks, gather each vehicle's path samples ``LOOKAHEAD_M`` ahead and
   find the nearest obstacle whose box lies within the vehicle's half width (plus a margin) of a sample: the
   IDM leader (any actor: the ego, vehicles, walkers, props, scenario actors);
2. as often (on another tick), hold a vehicle at its junction's stop line (a virtual standing
   leader) while the lane's light is red (or yellow with room to stop), while a stop sign is not
   yet served, or while the junction has not granted entry;
3. grant junction entry to a vehicle near the stop line when no vehicle inside the junction (or
   already granted) drives a crossing or merging lane, the ego is not on one, and there is room
   behind the junction exit (no blocking the box);
4. integrate IDM and move along the buffer.

Python loops run only over the few vehicles that wait at a stop line, change lane or rebuild.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
import numpy as np

from lead_sim.idm import IdmParameters, idm_acceleration
from lead_sim.scene import LightState
from lead_sim.traffic.lanes import LaneGraph

BUFFER_M = 128
LOOKAHEAD_M = np.concatenate([np.arange(0, 20, 1), np.arange(20, 42, 2)]).astype(np.int64)
#: Gap to an obstacle first met at sample k: the sample's distance less half a sample step, so
#: the estimate errs towards shorter gaps.
LOOKAHEAD_GAP_M = LOOKAHEAD_M - 0.5 * np.diff(LOOKAHEAD_M, append=LOOKAHEAD_M[-1] + 2)
COARSE_STEP_M = 5
COARSE_LOOKAHEAD_M = np.arange(0, 45, COARSE_STEP_M, dtype=np.int64)
#: Rebuild the buffer when fewer than this many metres of it lie ahead.
REBUILD_AHEAD_M = 64
#: Leaders are searched, and junction rules applied (on another tick), every this many ticks (a
#: 0.15 s reaction time); in between the leader gap is advanced with both speeds.
SENSE_EVERY_TICKS = 3
#: Room (metres) a vehicle needs behind the junction exit before it enters the junction, unless
#: its leader moves faster than MOVING_LEADER_SPEED (m/s).
EXIT_ROOM_M = 7.0
MOVING_LEADER_SPEED = 2.0
#: Obstacles farther than this (metres) are not considered as leaders.
DETECTION_RADIUS_M = 45.0
#: The curve speed limit looks this far (metres) ahead.
CURVE_WINDOW_M = 16
NO_GAP = 1e6
NO_ENTRY = np.inf


@attrs.define(frozen=True)
class TrafficParameters(IdmParameters):
    """Car following (IDM) plus the comfort and clearance limits of background vehicles."""

    comfortable_lateral_accel: float = 2.5
    #: Distance (metres) between the front bumper and the stop line when stopped at it.
    stop_line_gap_m: float = 1.0
    #: Half-width margin (metres) added when testing whether an obstacle is on the path.
    lateral_margin_m: float = 0.3


@attrs.define
class Obstacles:
    """Everything a vehicle may have to follow or stop for (rows include the vehicles themselves)."""

    position: np.ndarray  # (M, 2)
    yaw: np.ndarray  # (M,)
    extent: np.ndarray  # (M, 2) half length, half width
    velocity: np.ndarray  # (M, 2)


class LaneFollowers:
    """A fleet of lane-following actors; ``position``/``yaw``/``velocity`` are refreshed each tick.

    ``odometer`` is the distance each vehicle has driven along its path; lane ``queue[i][k]`` ends
    at odometer ``lane_end[i][k]``.
    """

    def __init__(
        self,
        graph: LaneGraph,
        lane_light: np.ndarray,
        light_states: np.ndarray,
        lane_stop: np.ndarray,
        lanes: np.ndarray,
        s: np.ndarray,
        desired_speed: np.ndarray,
        limit_fraction: np.ndarray,
        extent: np.ndarray,
        lateral_offset: np.ndarray,
        rng: np.random.Generator,
        idm: TrafficParameters = TrafficParameters(),
    ) -> None:
        self.graph = graph
        self.lane_light = lane_light
        self.light_states = light_states
        self.lane_stop = lane_stop
        self.rng = rng
        self.idm = idm
        n = lanes.shape[0]
        #: Each vehicle drives at ``limit_fraction`` of the lane's speed limit, at most ``desired_speed``.
        self.desired_speed = desired_speed.astype(np.float64)
        self.limit_fraction = limit_fraction.astype(np.float64)
        self.extent = extent.astype(np.float64).reshape(n, 3)
        self.lateral_offset = lateral_offset.astype(np.float64)
        self.speed = np.zeros(n)
        self.odometer = np.zeros(n)
        self.granted = np.zeros(n, dtype=bool)
        self.stop_served = np.zeros(n, dtype=bool)
        self.queue: list[list[int]] = [[] for _ in range(n)]
        self.lane_end: list[list[float]] = [[] for _ in range(n)]
        # Per-vehicle summaries of the queue, refreshed when it changes.
        self.lane = np.zeros(n, dtype=np.int64)
        self.current_lane_end = np.zeros(n)
        self.in_junction = np.zeros(n, dtype=bool)
        self.entry_odometer = np.full(n, NO_ENTRY)
        self.entry_incoming = np.zeros(n, dtype=np.int64)
        self.entry_lane = np.zeros(n, dtype=np.int64)
        self.at_dead_end = np.zeros(n, dtype=bool)
        #: Odometer at which a vehicle next changes lane or needs a new path buffer.
        self.next_event = np.zeros(n)
        self.stranded: list[int] = []
        # Path buffers.
        self.buffer_xy = np.zeros((n, BUFFER_M, 2))
        #: The same buffer as complex numbers x + iy (a view: writes to buffer_xy show here).
        self.buffer_c = self.buffer_xy.view(np.complex128)[..., 0]
        self.buffer_z = np.zeros((n, BUFFER_M))
        self.buffer_yaw = np.zeros((n, BUFFER_M))
        #: Speed allowed at each sample: the lane's limit (times limit_fraction) and the curvature,
        #: whichever is lower over the next CURVE_WINDOW_M metres.
        self.buffer_curve_speed = np.zeros((n, BUFFER_M))
        self.buffer_start = np.zeros(n)
        self.buffer_valid = np.zeros(n, dtype=np.int64)
        self.position = np.zeros((n, 3))
        self.yaw = np.zeros(n)
        self.velocity = np.zeros((n, 3))
        self.respawned = 0
        self._rows = np.arange(n)
        self._tick = 0
        self._gap = np.full(n, NO_GAP)
        self._lead_speed = np.zeros(n)
        self._held = np.zeros(n, dtype=bool)
        for i in range(n):
            self._reset_vehicle(i, int(lanes[i]), float(s[i]))
        self._update_pose()

    def __len__(self) -> int:
        return int(self.speed.shape[0])

    # --------------------------------------------------------------- queue
    def _draw_successor(self, lane: int) -> int | None:
        options = self.graph.successors[lane]
        if not options:
            return None
        return int(options[int(self.rng.integers(len(options)))])

    def _reset_vehicle(self, i: int, lane: int, s: float) -> None:
        self.odometer[i] = s
        self.queue[i] = [lane]
        self.lane_end[i] = [float(self.graph.length[lane])]
        self.granted[i] = False
        self.stop_served[i] = False
        self._rebuild(i)

    def _extend_queue(self, i: int, until: float) -> None:
        queue, ends = self.queue[i], self.lane_end[i]
        while ends[-1] < until:
            nxt = self._draw_successor(queue[-1])
            if nxt is None:
                break
            queue.append(nxt)
            ends.append(ends[-1] + float(self.graph.length[nxt]))

    def _rebuild(self, i: int) -> None:
        """Resample vehicle ``i``'s path buffer from its current odometer (extending its queue)."""
        g = self.graph
        start = math.floor(self.odometer[i])
        self._extend_queue(i, start + BUFFER_M)
        queue = np.asarray(self.queue[i])
        ends = np.asarray(self.lane_end[i])
        lengths = g.length[queue]
        odo = start + np.arange(BUFFER_M, dtype=np.float64)
        slot = np.minimum(np.searchsorted(ends, odo, side="right"), len(queue) - 1)
        points, yaws = g.pose_at(queue[slot], odo - (ends[slot] - lengths[slot]))
        offset = self.lateral_offset[i]
        self.buffer_xy[i, :, 0] = points[:, 0] - offset * np.sin(yaws)
        self.buffer_xy[i, :, 1] = points[:, 1] + offset * np.cos(yaws)
        self.buffer_z[i] = points[:, 2]
        self.buffer_yaw[i] = yaws
        turn = np.abs(np.angle(np.exp(1j * np.diff(yaws, append=yaws[-1]))))
        curve_speed = np.sqrt(self.idm.comfortable_lateral_accel / np.maximum(turn, 1e-4))
        curve_speed = np.minimum(curve_speed, g.speed_limit[queue[slot]] * self.limit_fraction[i])
        padded = np.concatenate([curve_speed, np.full(CURVE_WINDOW_M, curve_speed[-1])])
        self.buffer_curve_speed[i] = np.lib.stride_tricks.sliding_window_view(padded, CURVE_WINDOW_M)[:BUFFER_M].min(axis=1)
        self.buffer_start[i] = start
        self.buffer_valid[i] = int(min(BUFFER_M, max(ends[-1] - start, 1.0)))
        self._summarise_queue(i)

    def _summarise_queue(self, i: int) -> None:
        g = self.graph
        queue, ends = self.queue[i], self.lane_end[i]
        self.lane[i] = queue[0]
        self.current_lane_end[i] = ends[0]
        self.in_junction[i] = bool(g.is_junction[queue[0]])
        self.at_dead_end[i] = len(queue) == 1 and bool(g.dead_end[queue[0]])
        self._refresh_next_event(i)
        self.entry_odometer[i] = NO_ENTRY
        for k in range(1, len(queue)):
            if g.is_junction[queue[k]] and not g.is_junction[queue[k - 1]]:
                self.entry_odometer[i] = ends[k - 1]
                self.entry_incoming[i] = queue[k - 1]
                self.entry_lane[i] = queue[k]
                break

    def _refresh_next_event(self, i: int) -> None:
        rebuild_at = np.inf
        if self.buffer_valid[i] == BUFFER_M:
            rebuild_at = self.buffer_start[i] + BUFFER_M - REBUILD_AHEAD_M
        self.next_event[i] = min(self.current_lane_end[i], rebuild_at)

    def _handle_events(self) -> None:
        """Lane changes along the queue, buffer rebuilds and dead ends, for the vehicles due."""
        self.stranded = []
        for i in (self.odometer >= self.next_event).nonzero()[0]:
            i = int(i)
            queue, ends = self.queue[i], self.lane_end[i]
            while len(queue) > 1 and self.odometer[i] >= ends[0]:
                queue.pop(0)
                ends.pop(0)
                self.stop_served[i] = False
                if not self.graph.is_junction[queue[0]]:
                    self.granted[i] = False
            used = self.odometer[i] - self.buffer_start[i]
            if self.buffer_valid[i] == BUFFER_M and used > BUFFER_M - REBUILD_AHEAD_M:
                self._rebuild(i)
            else:
                self._summarise_queue(i)
            if self.at_dead_end[i] and self.odometer[i] >= self.current_lane_end[i] - 1e-6:
                self.stranded.append(i)

    # -------------------------------------------------------------- leaders
    def _leaders(self, index: np.ndarray, obstacles: Obstacles, own_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gap (metres, bumper to obstacle) and speed along the path of each vehicle's nearest
        obstacle on its path; NO_GAP where there is none. Points are complex numbers x + iy."""
        n = len(self)
        gap = np.full(n, NO_GAP)
        lead_speed = np.zeros(n)
        others = obstacles.position[:, 0] + 1j * obstacles.position[:, 1]
        here = self.position[:, 0] + 1j * self.position[:, 1]
        relative = (others[None, :] - here[:, None]) * np.exp(-1j * self.yaw)[:, None]
        mask = (relative.real > -self.extent[:, 0:1]) & (np.abs(relative) < DETECTION_RADIUS_M)
        mask[self._rows, own_rows] = False
        pi, pj = np.nonzero(mask)
        if pi.size == 0:
            return gap, lead_speed
        grow = self.extent[pi, 1] + self.idm.lateral_margin_m
        # Coarse pass: path samples every COARSE_STEP_M against the obstacles' enclosing circles.
        coarse = np.minimum(index[pi, None] + COARSE_LOOKAHEAD_M, self.buffer_valid[pi, None] - 1)
        reach = 0.5 * COARSE_STEP_M + np.hypot(obstacles.extent[pj, 0], obstacles.extent[pj, 1]) + grow
        near_path = (np.abs(self.buffer_c[pi[:, None], coarse] - others[pj, None]) < reach[:, None]).any(axis=1)
        if not near_path.any():
            return gap, lead_speed
        pi, pj, grow = pi[near_path], pj[near_path], grow[near_path, None]
        samples = np.minimum(index[pi, None] + LOOKAHEAD_M, self.buffer_valid[pi, None] - 1)
        local = (self.buffer_c[pi[:, None], samples] - others[pj, None]) * np.exp(-1j * obstacles.yaw[pj])[:, None]
        # A path sample is blocked when it lies within ``grow`` of the obstacle's box (the box with
        # rounded corners): a square-grown box would also block a lane beside a car standing at an angle.
        outside_x = np.maximum(np.abs(local.real) - obstacles.extent[pj, 0:1], 0.0)
        outside_y = np.maximum(np.abs(local.imag) - obstacles.extent[pj, 1:2], 0.0)
        hit = outside_x**2 + outside_y**2 < grow**2
        first = np.argmax(hit, axis=1)
        found = hit[np.arange(pi.size), first]
        if not found.any():
            return gap, lead_speed
        pi, pj, first = pi[found], pj[found], first[found]
        pair_gap = LOOKAHEAD_GAP_M[first] - self.extent[pi, 0]
        yaw_at = self.buffer_yaw[pi, samples[found, first]]
        pair_speed = obstacles.velocity[pj, 0] * np.cos(yaw_at) + obstacles.velocity[pj, 1] * np.sin(yaw_at)
        order = np.argsort(pair_gap, kind="stable")
        rows, first_of_row = np.unique(pi[order], return_index=True)
        chosen = order[first_of_row]
        gap[rows] = pair_gap[chosen]
        lead_speed[rows] = np.maximum(pair_speed[chosen], 0.0)
        return gap, lead_speed

    # ------------------------------------------------------------ junctions
    def _held_at_line(self, ego_lanes: Callable[[], frozenset[int]]) -> np.ndarray:
        """Which vehicles must stay behind their stop line (lights, stop signs, junction entry)."""
        distance = self.entry_odometer - self.odometer - self.extent[:, 0]
        approaching = ~self.granted & (distance < DETECTION_RADIUS_M) & (distance > -0.5)
        if not approaching.any():
            return approaching
        light = self.lane_light[self.entry_incoming]
        state = np.where(light >= 0, self.light_states[np.maximum(light, 0)], int(LightState.GREEN))
        stopping_distance = self.speed**2 / (2.0 * self.idm.comfortable_decel)
        red = (state == int(LightState.RED)) | ((state == int(LightState.YELLOW)) & (distance > stopping_distance))
        has_stop = self.lane_stop[self.entry_incoming] >= 0
        self.stop_served |= approaching & has_stop & (self.speed < 0.1) & (distance < 4.0)
        unserved_stop = has_stop & ~self.stop_served
        decision_distance = np.maximum(8.0, stopping_distance + 4.0)
        # Do not block the box: enter only with room behind the junction exit, or behind a moving leader.
        beyond_exit = distance + self.graph.length[self.entry_lane] + EXIT_ROOM_M
        exit_clear = (self._gap >= beyond_exit) | (self._lead_speed > MOVING_LEADER_SPEED)
        candidates = (approaching & ~red & ~unserved_stop & exit_clear & (distance < decision_distance)).nonzero()[0]
        if candidates.size:
            self._grant(candidates, ego_lanes())
        return approaching & ~self.granted

    def _grant(self, candidates: np.ndarray, ego_lanes: frozenset[int]) -> None:
        occupied = set(self.lane[self.in_junction].tolist())
        occupied.update(self.entry_lane[self.granted & ~self.in_junction].tolist())
        for i in candidates:
            lane = int(self.entry_lane[i])
            conflicts = self.graph.conflicts[lane]
            if lane in ego_lanes or not conflicts.isdisjoint(ego_lanes) or not conflicts.isdisjoint(occupied):
                continue
            self.granted[i] = True
            occupied.add(lane)

    # ------------------------------------------------------------------ step
    def step(
        self, dt: float, obstacles: Obstacles, own_rows: np.ndarray, ego_lanes: Callable[[], frozenset[int]]
    ) -> None:
        """Advance all vehicles one tick. ``own_rows[i]`` is vehicle ``i``'s row in ``obstacles``;
        ``ego_lanes()`` gives the junction lanes held for the ego (asked only when a vehicle may
        enter a junction)."""
        p = self.idm
        v = self.speed
        index = (self.odometer - self.buffer_start).astype(np.int64)
        if self._tick % SENSE_EVERY_TICKS == 0:
            self._gap, self._lead_speed = self._leaders(index, obstacles, own_rows)
        else:
            self._gap = np.where(self._gap < NO_GAP, self._gap - (v - self._lead_speed) * dt, NO_GAP)
        if self._tick % SENSE_EVERY_TICKS == SENSE_EVERY_TICKS - 1:
            self._held = self._held_at_line(ego_lanes)
        self._tick += 1
        gap, lead_speed = self._gap, self._lead_speed
        distance = self.entry_odometer - self.odometer - self.extent[:, 0]
        line_gap = np.where(self._held, distance + p.min_gap_m - p.stop_line_gap_m, NO_GAP)
        use_line = line_gap < gap
        gap = np.where(use_line, line_gap, gap)
        lead_speed = np.where(use_line, 0.0, lead_speed)

        curve_speed = self.buffer_curve_speed[self._rows, np.minimum(index, BUFFER_M - 1)]
        target = np.maximum(np.minimum(self.desired_speed, curve_speed), 1.0)
        new_speed = np.maximum(v + idm_acceleration(p, v, target, gap, lead_speed) * dt, 0.0)
        self.odometer += 0.5 * (v + new_speed) * dt
        self.speed = new_speed
        self._handle_events()
        self._update_pose()

    def dead_ends(self) -> list[int]:
        """Vehicles standing at the end of a lane without successors (to be respawned)."""
        return self.stranded

    def place(self, i: int, lane: int, s: float) -> None:
        """Put vehicle ``i`` at ``(lane, s)`` at rest with a fresh random path."""
        self.speed[i] = 0.0
        self._gap[i], self._lead_speed[i], self._held[i] = NO_GAP, 0.0, False
        self._reset_vehicle(i, lane, s)
        self.respawned += 1
        self._update_pose()

    def _update_pose(self) -> None:
        u = np.minimum(np.maximum(self.odometer - self.buffer_start, 0.0), self.buffer_valid - 1.0001)
        k = u.astype(np.int64)
        rows = self._rows
        xy0 = self.buffer_c[rows, k]
        xy = xy0 + (self.buffer_c[rows, k + 1] - xy0) * (u - k)
        self.position[:, 0] = xy.real
        self.position[:, 1] = xy.imag
        self.position[:, 2] = self.buffer_z[rows, k] + self.extent[:, 2]
        self.yaw = self.buffer_yaw[rows, k]
        self.velocity[:, 0] = self.speed * np.cos(self.yaw)
        self.velocity[:, 1] = self.speed * np.sin(self.yaw)
