"""Collisions of the ego with any actor (Leaderboard 2.0 ``CollisionTest``).

A collision is an overlap of the ego's box with another actor's box while the ego moves at
>= 0.1 m/s. As in the leaderboard, the criterion remembers the last registered collision: its
actor for 5 s, and its place while the ego stays within 5 m of it. A contact with the remembered
actor, or with any actor while the ego is still within 5 m of the remembered place, is the same
crash and does not count again; so pushing into two parked cars at once is one collision, not one
per tick.
"""

from __future__ import annotations

import numpy as np

from lead_framework.scoring.messages import collision_message
from lead_sim.criteria.base import STANDING_SPEED, Criterion, TickContext
from lead_sim.criteria.geometry import obb_overlaps
from lead_sim.scene import ActorKind

DEDUP_TIME_S = 5.0
DEDUP_DISTANCE_M = 5.0

#: Actor kind -> results key (bicycles and parked cars are vehicles in CARLA).
COLLISION_KEYS: dict[int, str] = {
    int(ActorKind.VEHICLE): "collisions_vehicle",
    int(ActorKind.BICYCLE): "collisions_vehicle",
    int(ActorKind.PARKED_VEHICLE): "collisions_vehicle",
    int(ActorKind.EMERGENCY_VEHICLE): "collisions_vehicle",
    int(ActorKind.WALKER): "collisions_pedestrian",
    int(ActorKind.OBSTACLE): "collisions_layout",
}


class CollisionCriterion(Criterion):
    key = "collisions_vehicle"

    def __init__(self) -> None:
        super().__init__()
        self._last_id: int | None = None
        self._last_time = -np.inf
        self._last_location: np.ndarray | None = None
        self._extent: np.ndarray | None = None
        self._reach2 = np.zeros(0)

    def update(self, ctx: TickContext) -> None:
        actors = ctx.scene.actors
        ego = actors.position[0]
        self._forget(ego, ctx.time_s)
        if ctx.ego_speed < STANDING_SPEED or len(actors) < 2:
            return
        if actors.extent is not self._extent:  # the actor set changed: recompute the contact radii
            self._extent = actors.extent
            radius = np.hypot(actors.extent[:, 0], actors.extent[:, 1])
            self._reach2 = (radius[0] + radius[1:]) ** 2
        reach2 = self._reach2
        d = actors.position[1:, :2] - ego[:2]
        near = (d[:, 0] ** 2 + d[:, 1] ** 2 <= reach2).nonzero()[0] + 1
        if near.size == 0:
            return
        hits = near[
            obb_overlaps(
                ego[:2], float(actors.yaw[0]), actors.extent[0, :2],
                actors.position[near, :2], actors.yaw[near], actors.extent[near, :2],
            )
        ]
        for row in hits:
            self._register(ctx, int(row))

    def _forget(self, ego: np.ndarray, time_s: float) -> None:
        """Drop the remembered place once the ego is more than 5 m from it, and the remembered actor
        5 s after the collision."""
        if self._last_location is not None and np.linalg.norm(ego - self._last_location) > DEDUP_DISTANCE_M:
            self._last_location = None
        if self._last_id is not None and time_s - self._last_time > DEDUP_TIME_S:
            self._last_id = None

    def _register(self, ctx: TickContext, row: int) -> None:
        actors = ctx.scene.actors
        other_id = int(actors.ids[row])
        ego = actors.position[0]
        if other_id == self._last_id or self._last_location is not None:  # a place is kept only within 5 m
            return
        self._last_id, self._last_time, self._last_location = other_id, ctx.time_s, ego.copy()
        key = COLLISION_KEYS[int(actors.kinds[row])]
        self._record(ctx, collision_message(actors.blueprints[row], other_id, ego), key=key)
