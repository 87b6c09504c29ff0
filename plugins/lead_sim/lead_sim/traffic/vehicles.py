"""Lane-following traffic (cars and bicycles): IDM car following, lights, stop signs, junction rules.

Every vehicle drives along a queue of ``QUEUE_LANES`` lanes (the current one first; a random
successor is drawn whenever the queue shifts). Each tick, all vehicles are updated at once:

1. sample each vehicle's path ``LOOKAHEAD_M`` ahead and find the first obstacle whose box (grown by
   the vehicle's half width) covers a path point: the IDM leader (any actor: the ego, vehicles,
   walkers, props);
2. add a virtual standing leader at the junction's stop line while the lane's light is red (or
   yellow with room to stop), while a stop sign is not yet served, or while the junction has not
   granted entry;
3. grant junction entry to a vehicle near the stop line when no vehicle inside the junction (or
   already granted) drives a crossing or merging lane, and the ego is not on one;
4. integrate IDM and move along the polylines.

Only step 3 loops in Python, over the few vehicles waiting at a stop line.
"""

from __future__ import annotations

import attrs
import numpy as np

from lead_sim.scene import LightState
from lead_sim.traffic.lanes import LaneGraph

QUEUE_LANES = 5
LOOKAHEAD_M = np.concatenate([np.arange(0.0, 20.0, 1.0), np.arange(20.0, 42.0, 2.0)])
LOOKAHEAD_STEP_M = np.diff(LOOKAHEAD_M, append=LOOKAHEAD_M[-1] + 2.0)
#: Obstacles farther than this (metres) are not considered as leaders.
DETECTION_RADIUS_M = 45.0
#: Curvature is read over this many path samples (~16 m) to slow down before turns.
CURVE_SAMPLES = 16
NO_GAP = 1e6


@attrs.define(frozen=True)
class IdmParameters:
    """Intelligent Driver Model constants (Treiber et al.), plus comfort limits."""

    max_accel: float = 2.0
    comfortable_decel: float = 3.0
    max_decel: float = 8.0
    min_gap_m: float = 2.0
    time_headway_s: float = 1.2
    delta: float = 4.0
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
    """A fleet of lane-following actors; ``position``/``yaw``/``velocity`` are refreshed each tick."""

    def __init__(
        self,
        graph: LaneGraph,
        lane_light: np.ndarray,
        light_states: np.ndarray,
        lane_stop: np.ndarray,
        lanes: np.ndarray,
        s: np.ndarray,
        desired_speed: np.ndarray,
        extent: np.ndarray,
        lateral_offset: np.ndarray,
        rng: np.random.Generator,
        idm: IdmParameters = IdmParameters(),
    ) -> None:
        self.graph = graph
        self.lane_light = lane_light
        self.light_states = light_states
        self.lane_stop = lane_stop
        self.rng = rng
        self.idm = idm
        n = lanes.shape[0]
        self.s = s.astype(np.float64).copy()
        self.speed = np.zeros(n)
        self.desired_speed = desired_speed.astype(np.float64)
        self.extent = extent.astype(np.float64)
        self.lateral_offset = lateral_offset.astype(np.float64)
        self.queue = np.zeros((n, QUEUE_LANES), dtype=np.int64)
        self.queue[:, 0] = lanes
        for k in range(1, QUEUE_LANES):
            self.queue[:, k] = [self._draw_successor(int(lane)) for lane in self.queue[:, k - 1]]
        self.granted = np.zeros(n, dtype=bool)
        self.stop_served = np.zeros(n, dtype=bool)
        self.position = np.zeros((n, 3))
        self.yaw = np.zeros(n)
        self.velocity = np.zeros((n, 3))
        self.respawned = 0
        self._update_pose()

    def __len__(self) -> int:
        return int(self.s.shape[0])

    # ------------------------------------------------------------------ path
    def _draw_successor(self, lane: int) -> int:
        options = self.graph.successors[lane]
        if not options:
            return lane  # dead end: the path stops at the lane end
        return int(options[int(self.rng.integers(len(options)))])

    def _path(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Path samples (N, K, 2), their yaws (N, K) and the queue's cumulative lane ends (N, Q)."""
        g = self.graph
        lengths = g.length[self.queue]
        ends = np.cumsum(lengths, axis=1)
        s_total = self.s[:, None] + LOOKAHEAD_M[None, :]
        slot = np.minimum((s_total[:, :, None] >= ends[:, None, :]).sum(axis=2), QUEUE_LANES - 1)
        local = s_total - np.take_along_axis(ends - lengths, slot, axis=1)
        lane = np.take_along_axis(self.queue, slot, axis=1)
        points, yaws = g.pose_at(lane.ravel(), local.ravel())
        n, k = s_total.shape
        xy = points[:, :2].reshape(n, k, 2)
        yaws = yaws.reshape(n, k)
        offset = self.lateral_offset[:, None]
        xy = xy + offset[..., None] * np.stack([-np.sin(yaws), np.cos(yaws)], axis=2)
        return xy, yaws, ends

    # --------------------------------------------------------------- leaders
    def _leaders(self, path: np.ndarray, path_yaw: np.ndarray, obstacles: Obstacles, own_rows: np.ndarray):
        n = len(self)
        gap = np.full(n, NO_GAP)
        lead_speed = np.zeros(n)
        here = self.position[:, :2]
        rel = obstacles.position[None, :, :] - here[:, None, :]
        heading = np.stack([np.cos(self.yaw), np.sin(self.yaw)], axis=1)
        ahead = np.einsum("nmd,nd->nm", rel, heading) > -self.extent[:, None, 0]
        near = np.einsum("nmd,nmd->nm", rel, rel) < DETECTION_RADIUS_M**2
        mask = ahead & near
        mask[np.arange(n), own_rows] = False
        pi, pj = np.nonzero(mask)
        if pi.size == 0:
            return gap, lead_speed
        d = path[pi] - obstacles.position[pj][:, None, :]
        c = np.cos(obstacles.yaw[pj])[:, None]
        s = np.sin(obstacles.yaw[pj])[:, None]
        lx = d[..., 0] * c + d[..., 1] * s
        ly = -d[..., 0] * s + d[..., 1] * c
        half_width = (self.extent[pi, 1] + self.idm.lateral_margin_m)[:, None]
        hit = (np.abs(lx) < obstacles.extent[pj, 0][:, None] + half_width) & (
            np.abs(ly) < obstacles.extent[pj, 1][:, None] + half_width
        )
        has_hit = hit.any(axis=1)
        if not has_hit.any():
            return gap, lead_speed
        pi, pj, first = pi[has_hit], pj[has_hit], np.argmax(hit[has_hit], axis=1)
        pair_gap = LOOKAHEAD_M[first] - self.extent[pi, 0] - 0.5 * LOOKAHEAD_STEP_M[first]
        yaw_at = path_yaw[pi, first]
        pair_speed = obstacles.velocity[pj, 0] * np.cos(yaw_at) + obstacles.velocity[pj, 1] * np.sin(yaw_at)
        order = np.lexsort((pair_gap, pi))
        rows, first_of_row = np.unique(pi[order], return_index=True)
        chosen = order[first_of_row]
        gap[rows] = pair_gap[chosen]
        lead_speed[rows] = np.maximum(pair_speed[chosen], 0.0)
        return gap, lead_speed

    # ------------------------------------------------------------ junctions
    def _stop_line_gaps(self, ends: np.ndarray, ego_lanes: frozenset[int]) -> np.ndarray:
        """Virtual leader gaps for lights, stop signs and junction entry (NO_GAP where free to go)."""
        g = self.graph
        n = len(self)
        in_junction = g.is_junction[self.queue[:, 0]]
        upcoming = g.is_junction[self.queue[:, 1:]]
        has_entry = upcoming.any(axis=1) & ~in_junction
        entry_slot = np.argmax(upcoming, axis=1) + 1
        rows = np.arange(n)
        incoming = self.queue[rows, entry_slot - 1]
        junction_lane = self.queue[rows, entry_slot]
        distance = ends[rows, entry_slot - 1] - self.s - self.extent[:, 0]

        light = self.lane_light[incoming]
        state = np.where(light >= 0, self.light_states[np.maximum(light, 0)], int(LightState.GREEN))
        stopping_distance = self.speed**2 / (2.0 * self.idm.comfortable_decel)
        red = (state == int(LightState.RED)) | ((state == int(LightState.YELLOW)) & (distance > stopping_distance))
        has_stop = self.lane_stop[incoming] >= 0
        self.stop_served |= has_stop & has_entry & (self.speed < 0.1) & (distance < 4.0)
        unserved_stop = has_stop & ~self.stop_served

        waiting = has_entry & ~self.granted & (distance > -0.5)
        decision_distance = np.maximum(8.0, stopping_distance + 4.0)
        candidates = np.flatnonzero(waiting & ~red & ~unserved_stop & (distance < decision_distance))
        if candidates.size:
            self._grant(candidates, junction_lane, in_junction, ego_lanes)
        blocked = waiting & ~self.granted
        return np.where(blocked, distance + self.idm.min_gap_m - self.idm.stop_line_gap_m, NO_GAP)

    def _grant(self, candidates: np.ndarray, junction_lane: np.ndarray, in_junction: np.ndarray, ego_lanes: frozenset[int]) -> None:
        g = self.graph
        occupied = set(self.queue[in_junction, 0].tolist())
        occupied.update(self.queue[in_junction & g.is_junction[self.queue[:, 1]], 1].tolist())
        occupied.update(junction_lane[self.granted & ~in_junction].tolist())
        for i in candidates:
            lane = int(junction_lane[i])
            conflicts = g.conflicts[lane]
            if lane in ego_lanes or not conflicts.isdisjoint(ego_lanes) or not conflicts.isdisjoint(occupied):
                continue
            self.granted[i] = True
            occupied.add(lane)

    # ------------------------------------------------------------------ step
    def step(self, dt: float, obstacles: Obstacles, own_rows: np.ndarray, ego_lanes: frozenset[int]) -> None:
        """Advance all vehicles one tick. ``own_rows[i]`` is vehicle ``i``'s row in ``obstacles``."""
        p = self.idm
        path, path_yaw, ends = self._path()
        gap, lead_speed = self._leaders(path, path_yaw, obstacles, own_rows)
        line_gap = self._stop_line_gaps(ends, ego_lanes)
        use_line = line_gap < gap
        gap = np.where(use_line, line_gap, gap)
        lead_speed = np.where(use_line, 0.0, lead_speed)

        turn = np.abs(np.angle(np.exp(1j * np.diff(path_yaw[:, :CURVE_SAMPLES], axis=1)))) / LOOKAHEAD_STEP_M[: CURVE_SAMPLES - 1]
        curve_speed = np.sqrt(p.comfortable_lateral_accel / np.maximum(turn.max(axis=1), 1e-4))
        target = np.maximum(np.minimum(self.desired_speed, curve_speed), 1.0)
        v = self.speed
        free = 1.0 - (v / target) ** p.delta
        desired_gap = p.min_gap_m + np.maximum(
            0.0, v * p.time_headway_s + v * (v - lead_speed) / (2.0 * np.sqrt(p.max_accel * p.comfortable_decel))
        )
        interaction = np.where(gap < NO_GAP, (desired_gap / np.maximum(gap, 0.05)) ** 2, 0.0)
        accel = np.clip(p.max_accel * (free - interaction), -p.max_decel, p.max_accel)
        new_speed = np.maximum(v + accel * dt, 0.0)
        self.s += 0.5 * (v + new_speed) * dt
        self.speed = new_speed
        self._advance_lanes()
        self._update_pose()

    def _advance_lanes(self) -> None:
        g = self.graph
        for i in np.flatnonzero(self.s >= g.length[self.queue[:, 0]]):
            while self.s[i] >= g.length[self.queue[i, 0]]:
                lane = int(self.queue[i, 0])
                if not g.successors[lane]:
                    self.s[i] = g.length[lane]
                    self.speed[i] = 0.0
                    break
                self.s[i] -= g.length[lane]
                self.queue[i, :-1] = self.queue[i, 1:]
                self.queue[i, -1] = self._draw_successor(int(self.queue[i, -2]))
                self.stop_served[i] = False
                if not g.is_junction[self.queue[i, 0]]:
                    self.granted[i] = False

    def dead_ends(self) -> np.ndarray:
        """Vehicles standing at the end of a lane without successors (to be respawned)."""
        lane = self.queue[:, 0]
        return np.flatnonzero(self.graph.dead_end[lane] & (self.s >= self.graph.length[lane] - 1e-6))

    def place(self, i: int, lane: int, s: float) -> None:
        """Put vehicle ``i`` at ``(lane, s)`` at rest with a fresh random path."""
        self.queue[i, 0] = lane
        for k in range(1, QUEUE_LANES):
            self.queue[i, k] = self._draw_successor(int(self.queue[i, k - 1]))
        self.s[i] = s
        self.speed[i] = 0.0
        self.granted[i] = False
        self.stop_served[i] = False
        self.respawned += 1
        self._update_pose()

    def _update_pose(self) -> None:
        lane = self.queue[:, 0]
        points, yaw = self.graph.pose_at(lane, self.s)
        right = np.stack([-np.sin(yaw), np.cos(yaw)], axis=1)
        self.position[:, :2] = points[:, :2] + self.lateral_offset[:, None] * right
        self.position[:, 2] = points[:, 2] + self.extent[:, 2]
        self.yaw = yaw
        self.velocity[:, 0] = self.speed * np.cos(yaw)
        self.velocity[:, 1] = self.speed * np.sin(yaw)
