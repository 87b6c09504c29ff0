"""Running a red light (Leaderboard 2.0 ``RunningRedLightTest``).

Lights within 15 m of the ego are checked. The ego's tail segment (on its axis, from
-0.8 * half length to -(half length + 1 m) behind the centre) crossing the stop line of a lane the
light governs, while the light is red and the ego heads along that lane, is one infraction; the
same light is not counted twice in a row.
"""

from __future__ import annotations

import numpy as np

from lead_framework.scoring.messages import red_light_message
from lead_sim.criteria.base import Criterion, TickContext
from lead_sim.criteria.geometry import segments_intersect
from lead_sim.scene import LightState, TrafficLight

LIGHT_DISTANCE_M = 15.0


class RedLightCriterion(Criterion):
    key = "red_light"

    def __init__(self, lights: list[TrafficLight]) -> None:
        super().__init__()
        self.lights = lights
        centres = [line.mean(axis=0)[:2] for light in lights for line in light.stop_lines]
        self._line_centres = np.array(centres).reshape(-1, 2)
        self._line_owner = np.array([k for k, light in enumerate(lights) for _ in light.stop_lines], dtype=np.int64)
        self._line_index = np.array([j for light in lights for j in range(len(light.stop_lines))], dtype=np.int64)
        self._last_light: int | None = None

    def update(self, ctx: TickContext) -> None:
        if self._line_centres.size == 0:
            return
        actors = ctx.scene.actors
        ego = actors.position[0, :2]
        d = self._line_centres - ego
        near = (d[:, 0] ** 2 + d[:, 1] ** 2 < LIGHT_DISTANCE_M**2).nonzero()[0]
        if near.size == 0:
            return
        yaw = float(actors.yaw[0])
        forward = np.array([np.cos(yaw), np.sin(yaw)])
        half_length = float(actors.extent[0, 0])
        tail_start = ego - 0.8 * half_length * forward
        tail_end = ego - (half_length + 1.0) * forward
        for line in near:
            light = self.lights[int(self._line_owner[line])]
            if light.state != LightState.RED or light.id == self._last_light:
                continue
            j = int(self._line_index[line])
            if np.cos(yaw - float(light.stop_yaws[j])) <= 0.0:
                continue
            a, b = light.stop_lines[j, 0, :2], light.stop_lines[j, 1, :2]
            if segments_intersect(tail_start, tail_end, a, b):
                self._last_light = light.id
                self._record(ctx, red_light_message(light.id, light.position))
                return
