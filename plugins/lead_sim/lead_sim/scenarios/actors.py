"""Scenario actors and their kinematics.

A :class:`ScenarioActor` is one row the world adds to its actor arrays (and its traffic treats as an
obstacle). Moving actors follow a :class:`~lead_sim.scenarios.geometry.Path` with a longitudinal
Intelligent Driver Model: each tick they look along their own path for the nearest actor in a
corridor (any actor of the scene or of the scenarios) and keep a safe gap, unless told to ignore
others (an adversary running a red light still stops for nothing).
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from lead_sim.scene import ActorArrays, ActorKind
from lead_sim.scenarios.geometry import Path

#: Blueprints and half extents (metres) of scenario actors, CARLA's names.
MODELS: dict[str, tuple[ActorKind, tuple[float, float, float]]] = {
    "vehicle.lincoln.mkz_2020": (ActorKind.VEHICLE, (2.45, 1.06, 0.76)),
    "vehicle.tesla.model3": (ActorKind.VEHICLE, (2.40, 1.08, 0.75)),
    "vehicle.nissan.patrol_2021": (ActorKind.VEHICLE, (2.78, 1.07, 0.95)),
    "vehicle.dodge.charger_police_2020": (ActorKind.VEHICLE, (2.51, 1.04, 0.79)),
    "vehicle.ford.ambulance": (ActorKind.EMERGENCY_VEHICLE, (3.18, 1.19, 1.20)),
    "vehicle.diamondback.century": (ActorKind.BICYCLE, (0.82, 0.35, 0.75)),
    "walker.pedestrian.0001": (ActorKind.WALKER, (0.25, 0.25, 0.9)),
    "static.prop.constructioncone": (ActorKind.OBSTACLE, (0.25, 0.25, 0.4)),
    "static.prop.warningconstruction": (ActorKind.OBSTACLE, (0.6, 1.1, 1.0)),
    "static.prop.trafficwarning": (ActorKind.OBSTACLE, (0.6, 1.4, 1.2)),
    "static.prop.vendingmachine": (ActorKind.OBSTACLE, (0.5, 0.6, 1.0)),
    "static.prop.dirtdebris01": (ActorKind.OBSTACLE, (0.9, 0.9, 0.05)),
}
PARKED_MODEL = "vehicle.tesla.model3"
CAR_MODEL = "vehicle.lincoln.mkz_2020"
BICYCLE_MODEL = "vehicle.diamondback.century"
WALKER_MODEL = "walker.pedestrian.0001"
EMERGENCY_MODEL = "vehicle.ford.ambulance"
POLICE_MODEL = "vehicle.dodge.charger_police_2020"
#: Ids of scenario actors start here, clear of the world's own rows.
FIRST_SCENARIO_ACTOR_ID = 1_000_000
#: Flat debris (metres high): it perturbs the ego's controls but is not a collision obstacle.
DEBRIS_HEIGHT_M = 0.1


@attrs.define(eq=False)
class ScenarioActor:
    """One actor a scenario spawned; ``position`` is the box centre (z = ground + extent z)."""

    id: int
    kind: ActorKind
    blueprint: str
    extent: np.ndarray
    position: np.ndarray
    yaw: float
    velocity: np.ndarray = attrs.field(factory=lambda: np.zeros(3))

    @property
    def speed(self) -> float:
        return float(np.hypot(self.velocity[0], self.velocity[1]))

    @property
    def collidable(self) -> bool:
        return float(self.extent[2]) * 2.0 > DEBRIS_HEIGHT_M


def stack_actors(actors: list[ScenarioActor]) -> ActorArrays:
    """The actors as rows of :class:`ActorArrays` (what the world appends to its own)."""
    n = len(actors)
    if n == 0:
        return ActorArrays()
    return ActorArrays(
        ids=np.array([a.id for a in actors], dtype=np.int64),
        kinds=np.array([int(a.kind) for a in actors], dtype=np.int8),
        position=np.array([a.position for a in actors], dtype=np.float64),
        yaw=np.array([a.yaw for a in actors], dtype=np.float64),
        extent=np.array([a.extent for a in actors], dtype=np.float64),
        velocity=np.array([a.velocity for a in actors], dtype=np.float64),
        blueprints=[a.blueprint for a in actors],
    )


@attrs.define(frozen=True)
class Idm:
    max_accel: float = 2.5
    comfortable_decel: float = 3.5
    max_decel: float = 8.0
    min_gap_m: float = 2.0
    time_headway_s: float = 1.0

    def accel(self, speed: float, desired: float, gap: float | None, leader_speed: float) -> float:
        free = 1.0 - (speed / max(desired, 0.1)) ** 4 if desired > 0.05 else -1.0
        interaction = 0.0
        if gap is not None:
            dv = speed - leader_speed
            s_star = self.min_gap_m + max(0.0, speed * self.time_headway_s + speed * dv / (2.0 * math.sqrt(self.max_accel * self.comfortable_decel)))
            interaction = (s_star / max(gap, 0.1)) ** 2
        return float(np.clip(self.max_accel * (free - interaction), -self.max_decel, self.max_accel))


@attrs.define(eq=False)
class Obstacles:
    """Everything a mover may have to keep a gap to this tick: ids, xy, half extents (x, y), speeds."""

    ids: np.ndarray
    xy: np.ndarray
    extent: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray

    @classmethod
    def gather(cls, scene_actors: ActorArrays, extra: list[ScenarioActor]) -> Obstacles:
        own = {a.id for a in extra}
        keep = np.array([int(i) not in own for i in scene_actors.ids], dtype=bool) if len(scene_actors) else np.zeros(0, bool)
        collidable = [a for a in extra if a.collidable]
        ids = np.concatenate([scene_actors.ids[keep], [a.id for a in collidable]]).astype(np.int64)
        xy = np.concatenate([scene_actors.position[keep, :2].reshape(-1, 2), np.array([a.position[:2] for a in collidable]).reshape(-1, 2)])
        extent = np.concatenate([scene_actors.extent[keep, :2].reshape(-1, 2), np.array([a.extent[:2] for a in collidable]).reshape(-1, 2)])
        yaw = np.concatenate([scene_actors.yaw[keep], [a.yaw for a in collidable]])
        speed = np.concatenate([scene_actors.speed[keep] if len(scene_actors) else np.zeros(0), [a.speed for a in collidable]])
        return cls(ids=ids, xy=xy, extent=extent, yaw=yaw, speed=speed)


class Mover:
    """Moves a :class:`ScenarioActor` along a path at up to ``target_speed`` (m/s) with IDM."""

    LOOKAHEAD_M = 35.0

    def __init__(self, actor: ScenarioActor, path: Path, s: float = 0.0, speed: float = 0.0,
                 target_speed: float = 8.0, lateral_offset: float = 0.0, idm: Idm = Idm()):
        self.actor = actor
        self.path = path
        self.s = s
        self.speed = speed
        self.target_speed = target_speed
        self.lateral_offset = lateral_offset
        self.idm = idm
        self.ignore_others = False
        self.place()

    @property
    def finished(self) -> bool:
        return self.s >= self.path.length - 0.05

    def place(self) -> None:
        position, yaw = self.path.pose_at(self.s)
        position = position.copy()
        if self.lateral_offset:
            position[:2] += self.lateral_offset * np.array([-math.sin(yaw), math.cos(yaw)])
        position[2] += float(self.actor.extent[2])
        self.actor.position = position
        self.actor.yaw = yaw
        self.actor.velocity = np.array([self.speed * math.cos(yaw), self.speed * math.sin(yaw), 0.0])

    def gap_ahead(self, obstacles: Obstacles) -> tuple[float | None, float]:
        """Bumper gap (metres) and speed of the nearest obstacle on the path ahead, if any."""
        if obstacles.ids.size == 0:
            return None, 0.0
        me = self.actor
        rel = obstacles.xy - me.position[:2]
        near = (np.abs(rel[:, 0]) < self.LOOKAHEAD_M + 5.0) & (np.abs(rel[:, 1]) < self.LOOKAHEAD_M + 5.0) & (obstacles.ids != me.id)
        if not near.any():
            return None, 0.0
        idx = np.flatnonzero(near)
        samples = np.arange(self.s, min(self.s + self.LOOKAHEAD_M, self.path.length) + 0.5, 1.0)
        pts = np.array([self.path.pose_at(s)[0][:2] for s in samples])
        if self.lateral_offset:
            yaws = np.array([self.path.pose_at(s)[1] for s in samples])
            pts = pts + self.lateral_offset * np.stack([-np.sin(yaws), np.cos(yaws)], axis=1)
        d = np.linalg.norm(pts[:, None, :] - obstacles.xy[idx][None, :, :], axis=2)
        reach = me.extent[1] + np.minimum(obstacles.extent[idx, 0], obstacles.extent[idx, 1]) + 0.4
        hit = d < reach[None, :]
        if not hit.any():
            return None, 0.0
        first = np.where(hit.any(axis=0), np.argmax(hit, axis=0), np.iinfo(np.int64).max)
        k = int(np.argmin(first))
        along = samples[first[k]] - self.s
        gap = along - me.extent[0] - float(np.min(obstacles.extent[idx[k]]))
        return max(gap, 0.0), float(obstacles.speed[idx[k]])

    def step(self, dt: float, obstacles: Obstacles) -> None:
        gap, leader_speed = (None, 0.0) if self.ignore_others else self.gap_ahead(obstacles)
        accel = self.idm.accel(self.speed, self.target_speed, gap, leader_speed)
        self.speed = max(0.0, self.speed + accel * dt)
        self.s = min(self.s + self.speed * dt, self.path.length)
        self.place()


class Walk:
    """A walker or bicycle crossing along a straight line at ``speed`` once started."""

    def __init__(self, actor: ScenarioActor, start: np.ndarray, end: np.ndarray, speed: float):
        self.actor = actor
        self.start = np.asarray(start, dtype=np.float64)
        self.end = np.asarray(end, dtype=np.float64)
        self.speed = speed
        self.started = False
        direction = self.end[:2] - self.start[:2]
        self.length = float(np.linalg.norm(direction))
        self.direction = direction / max(self.length, 1e-6)
        self.travelled = 0.0
        actor.yaw = math.atan2(self.direction[1], self.direction[0])
        self._place()

    @property
    def finished(self) -> bool:
        return self.travelled >= self.length

    def _place(self) -> None:
        frac = min(self.travelled / max(self.length, 1e-6), 1.0)
        position = self.start * (1.0 - frac) + self.end * frac
        position = position.copy()
        position[2] += float(self.actor.extent[2])
        self.actor.position = position
        moving = self.started and not self.finished
        v = self.speed * self.direction if moving else np.zeros(2)
        self.actor.velocity = np.array([v[0], v[1], 0.0])

    def step(self, dt: float) -> None:
        if self.started and not self.finished:
            self.travelled = min(self.travelled + self.speed * dt, self.length)
        self._place()
