"""Traffic-light controllers: one cycle per junction, one green phase per signal in turn.

Signals come from the town's traffic-light landmarks (type ``1000001``) that govern the lanes
entering a junction. As CARLA's default light groups do, a junction gives green to one signal at a
time (green, then yellow), all others red, with a short all-red clearance between phases. Each
junction starts at a seeded random point of its cycle.
"""

from __future__ import annotations

import attrs
import numpy as np

from lead_sim.scene import LightState, TrafficLight
from lead_sim.traffic.lanes import LaneGraph


@attrs.define(frozen=True)
class LightTiming:
    green_s: float = 10.0
    yellow_s: float = 3.0
    all_red_s: float = 1.0


class TrafficLightController:
    """Owns the :class:`TrafficLight` objects of a town and updates their states every tick.

    ``lane_light`` maps each lane to the index of the light governing its end (-1: none), so
    traffic reads a lane's light state as ``states[lane_light[lane]]`` without a search.
    """

    def __init__(self, graph: LaneGraph, rng: np.random.Generator, timing: LightTiming = LightTiming()) -> None:
        self.timing = timing
        self.lane_light = np.full(graph.num_lanes, -1, dtype=np.int64)
        incoming = graph.incoming_lanes()
        keys: list[tuple[int, str]] = []  # (junction id, landmark id), one light each
        lanes_of: dict[tuple[int, str], list[int]] = {}
        for lane in incoming:
            landmark = graph.light_landmark[lane]
            if not landmark:
                continue
            junction = int(graph.junction_id[graph.successors[lane][0]]) if graph.successors[lane] else -1
            key = (junction, landmark)
            if key not in lanes_of:
                keys.append(key)
                lanes_of[key] = []
            lanes_of[key].append(int(lane))

        self.lights: list[TrafficLight] = []
        phase_index: list[int] = []
        phase_count: list[int] = []
        junction_of: list[int] = []
        junctions = sorted({junction for junction, _ in keys})
        for junction in junctions:
            members = [key for key in keys if key[0] == junction]
            centre = np.mean([graph.lane_points(lanes_of[k][0])[-1, :2] for k in members], axis=0)

            def angle(key: tuple[int, str], centre: np.ndarray = centre) -> float:
                end = graph.lane_points(lanes_of[key][0])[-1, :2]
                return float(np.arctan2(end[1] - centre[1], end[0] - centre[0]))

            for phase, key in enumerate(sorted(members, key=angle)):
                index = len(self.lights)
                lanes = lanes_of[key]
                for lane in lanes:
                    self.lane_light[lane] = index
                self.lights.append(_make_light(index, graph, lanes))
                phase_index.append(phase)
                phase_count.append(len(members))
                junction_of.append(junction)
        self._phase = np.array(phase_index, dtype=np.float64)
        self._count = np.array(phase_count, dtype=np.float64)
        slot = timing.green_s + timing.yellow_s + timing.all_red_s
        self._slot = slot
        junction_offsets = {j: float(rng.uniform(0.0, 4 * slot)) for j in junctions}
        self._offset = np.array([junction_offsets[j] for j in junction_of], dtype=np.float64)
        self._frozen = np.full(len(self.lights), -1, dtype=np.int8)
        self._next_change = -np.inf
        self.states = np.full(len(self.lights), int(LightState.RED), dtype=np.int8)
        self.update(0.0)

    def update(self, time_s: float) -> None:
        if not self.lights or time_s < self._next_change:
            return
        # Phases change on a grid of slot boundaries per junction offset; the earliest one next.
        boundaries = np.array([self.timing.green_s, self.timing.green_s + self.timing.yellow_s, self._slot])
        slot_time = np.mod(time_s + self._offset, self._slot)
        until = boundaries[None, :] - slot_time[:, None]
        self._next_change = time_s + float(np.min(np.where(until > 1e-9, until, np.inf)))
        t = self.timing
        cycle = self._count * self._slot
        local = np.mod(time_s + self._offset, cycle) - self._phase * self._slot
        states = np.full(len(self.lights), int(LightState.RED), dtype=np.int8)
        states[(local >= 0.0) & (local < t.green_s)] = int(LightState.GREEN)
        states[(local >= t.green_s) & (local < t.green_s + t.yellow_s)] = int(LightState.YELLOW)
        states = np.where(self._frozen >= 0, self._frozen, states).astype(np.int8)
        changed = np.flatnonzero(states != self.states)
        for index in changed:
            self.lights[index].state = LightState(int(states[index]))
        self.states = states

    def freeze(self, light_index: int, state: LightState) -> None:
        """Hold one light in a state (scenarios that give the ego green, or run a red)."""
        self._frozen[light_index] = int(state)
        self._next_change = -np.inf
        self.states[light_index] = int(state)
        self.lights[light_index].state = state

    def release(self, light_index: int) -> None:
        """Return a frozen light to its cycle."""
        self._frozen[light_index] = -1
        self._next_change = -np.inf


def _make_light(index: int, graph: LaneGraph, lanes: list[int]) -> TrafficLight:
    """The light over the stop lines of ``lanes``: housing above their middle, pole beside the road."""
    lines = []
    yaws = []
    for lane in lanes:
        points = graph.lane_points(lane)
        end = points[-1]
        yaw = float(graph.yaws[graph.offset[lane] + graph.count[lane] - 1])
        half = 0.5 * float(graph.width[lane])
        right = np.array([-np.sin(yaw), np.cos(yaw), 0.0])
        lines.append([end - half * right, end + half * right])
        yaws.append(yaw)
    stop_lines = np.asarray(lines, dtype=np.float64)
    ends = stop_lines.reshape(-1, 3)
    position = ends.mean(axis=0)
    yaw = float(np.arctan2(np.mean(np.sin(yaws)), np.mean(np.cos(yaws))))
    right = np.array([-np.sin(yaw), np.cos(yaw), 0.0])
    outer = ends[int(np.argmax(ends @ right))]
    return TrafficLight(
        id=index, position=position, state=LightState.RED, stop_lines=stop_lines, stop_yaws=np.asarray(yaws),
        pole_position=graph.beside_the_road(outer, right),
    )

