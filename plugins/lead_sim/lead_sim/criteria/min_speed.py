"""Minimum speed (Leaderboard 2.0 ``MinimumSpeedRouteTest``).

The route is split into 4 checkpoints of equal route completion. Over each, the ego's mean speed is
compared with the mean speed of the background vehicles (ticks without any are skipped); a
checkpoint below 100 % is one event carrying the percentage. Whether the events lower the score is
the evaluation protocol's choice (``min_speed_penalty``), applied when the record is finalised.
"""

from __future__ import annotations

import numpy as np

from lead_framework.scoring.messages import min_speed_message
from lead_sim.criteria.base import Criterion, TickContext
from lead_sim.scene import ActorKind

CHECKPOINTS = 4


class MinSpeedCriterion(Criterion):
    key = "min_speed_infractions"

    def __init__(self, checkpoints: int = CHECKPOINTS) -> None:
        super().__init__()
        self.checkpoints = checkpoints
        self._checkpoint = 0
        self._ego_sum = 0.0
        self._traffic_sum = 0.0
        self._kinds: np.ndarray | None = None
        self._background = np.zeros(0, dtype=np.int64)

    def update(self, ctx: TickContext) -> None:
        actors = ctx.scene.actors
        if actors.kinds is not self._kinds:  # the actor set changed: find the background vehicles again
            self._kinds = actors.kinds
            self._background = (actors.kinds == int(ActorKind.VEHICLE)).nonzero()[0]
            self._background = self._background[self._background > 0]
        if self._background.size:
            speeds = actors.velocity[self._background]
            self._ego_sum += ctx.ego_speed
            self._traffic_sum += float(np.hypot(speeds[:, 0], speeds[:, 1]).mean())
        reached = min(int(ctx.completion_pct * self.checkpoints / 100.0), self.checkpoints)
        if reached > self._checkpoint:
            self._close(ctx)
            self._checkpoint = reached

    def finish(self, ctx: TickContext) -> None:
        if self._checkpoint < self.checkpoints:
            self._close(ctx)
            self._checkpoint = self.checkpoints

    def _close(self, ctx: TickContext) -> None:
        if self._traffic_sum > 0.0:
            percentage = 100.0 * self._ego_sum / self._traffic_sum
            if percentage < 100.0:
                self._record(ctx, min_speed_message(percentage), value=round(percentage, 2))
        self._ego_sum = self._traffic_sum = 0.0
