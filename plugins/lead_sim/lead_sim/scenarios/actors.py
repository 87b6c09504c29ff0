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

from lead_sim.idm import IdmParameters, idm_acceleration
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


#: Scenario actors accelerate and brake a little harder than background traffic.
SCENARIO_IDM = IdmParameters(max_accel=2.5, comfortable_decel=3.5, time_headway_s=1.0)


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
        keep = ~np.isin(scene_actors.ids, [a.id for a in extra])
        collidable = [a for a in extra if a.collidable]
        ids = np.concatenate([scene_actors.ids[keep], [a.id for a in collidable]]).astype(np.int64)
        xy = np.concatenate([scene_actors.position[keep, :2].reshape(-1, 2), np.array([a.position[:2] for a in collidable]).reshape(-1, 2)])
        extent = np.concatenate([scene_actors.extent[keep, :2].reshape(-1, 2), np.array([a.extent[:2] for a in collidable]).reshape(-1, 2)])
        yaw = np.concatenate([scene_actors.yaw[keep], [a.yaw for a in collidable]])
        speed = np.concatenate([scene_actors.speed[keep] if len(scene_actors) else np.zeros(0), [a.speed for a in collidable]])
        return cls(ids=ids, xy=xy, extent=extent, yaw=yaw, speed=speed)

    def without(self, ids: list[int]) -> Obstacles:
        """The same bodies less ``ids`` (actors that move together and need no gap to each other)."""
        keep = ~np.isin(self.ids, ids)
        return Obstacles(ids=self.ids[keep], xy=self.xy[keep], extent=self.extent[keep], yaw=self.yaw[keep], speed=self.speed[keep])


class Mover:
    """Moves a :class:`ScenarioActor` along a path at up to ``target_speed`` (m/s) with IDM."""

    LOOKAHEAD_M = 35.0

    def __init__(self, actor: ScenarioActor, path: Path, s: float = 0.0, speed: float = 0.0,
                 target_speed: float = 8.0, lateral_offset: float = 0.0, idm: IdmParameters = SCENARIO_IDM):
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
        return gaps_ahead([self], obstacles)[0]

    def step(self, dt: float, obstacles: Obstacles, gap: tuple[float | None, float] | None = None) -> None:
        """One tick; ``gap`` (from :func:`gaps_ahead`) saves the search when known."""
        if self.ignore_others:
            gap = (None, 0.0)
        elif gap is None:
            gap = self.gap_ahead(obstacles)
        gap, leader_speed = gap
        accel = idm_acceleration(self.idm, self.speed, self.target_speed, np.inf if gap is None else gap, leader_speed)
        self.speed = max(0.0, self.speed + accel * dt)
        self.s = min(self.s + self.speed * dt, self.path.length)
        if self.finished:
            self.speed = 0.0  # the end of the path holds the actor
        self.place()


def paced_speed(remaining_m: float, time_s: float, nominal: float) -> float:
    """The speed (m/s) that covers ``remaining_m`` in ``time_s``, kept within half and one and a
    half times ``nominal``: adversaries timed to meet the ego re-pace every tick while it speeds up
    or slows down."""
    return float(np.clip(remaining_m / max(time_s, 0.5), 0.5 * nominal, 1.5 * nominal))


#: Path samples (metres ahead of a mover) searched for a leader.
_AHEAD_SAMPLES = np.arange(0.0, Mover.LOOKAHEAD_M + 0.1, 1.5)


def gaps_ahead(movers: list[Mover], obstacles: Obstacles) -> list[tuple[float | None, float]]:
    """For each mover, the bumper gap to and speed of the nearest obstacle whose box (grown by the
    mover's half width) covers its path within ``LOOKAHEAD_M``; (None, 0) when the way is clear.
    Movers sharing one path and offset (a flow's vehicles) are searched in one vectorised pass."""
    result: list[tuple[float | None, float]] = [(None, 0.0)] * len(movers)
    if not movers or obstacles.ids.size == 0:
        return result
    mine = np.array([m.actor.position[:2] for m in movers])
    low, high = mine.min(axis=0) - Mover.LOOKAHEAD_M - 5.0, mine.max(axis=0) + Mover.LOOKAHEAD_M + 5.0
    near = np.flatnonzero(np.all((obstacles.xy > low) & (obstacles.xy < high), axis=1))
    if near.size == 0:
        return result
    groups: dict[tuple[int, float], list[int]] = {}
    for k, mover in enumerate(movers):
        groups.setdefault((id(mover.path), mover.lateral_offset), []).append(k)
    o_xy, o_ids = obstacles.xy[near], obstacles.ids[near]
    o_half = np.minimum(obstacles.extent[near, 0], obstacles.extent[near, 1])
    for members in groups.values():
        lead = movers[members[0]]
        s0 = np.array([movers[k].s for k in members])
        samples = s0[:, None] + _AHEAD_SAMPLES[None, :]  # (M, K)
        pts, yaws = lead.path.xy_at(samples.ravel())
        if lead.lateral_offset:
            pts = pts + lead.lateral_offset * np.stack([-np.sin(yaws), np.cos(yaws)], axis=1)
        pts = pts.reshape(len(members), len(_AHEAD_SAMPLES), 2)
        d2 = (pts[:, :, None, 0] - o_xy[None, None, :, 0]) ** 2 + (pts[:, :, None, 1] - o_xy[None, None, :, 1]) ** 2
        reach = np.array([movers[k].actor.extent[1] for k in members])[:, None] + o_half[None, :] + 0.4  # (M, O)
        own = np.array([movers[k].actor.id for k in members])[:, None] == o_ids[None, :]
        valid = samples <= lead.path.length + 0.5  # (M, K)
        hit = (d2 < (reach**2)[:, None, :]) & ~own[:, None, :] & valid[:, :, None]  # (M, K, O)
        any_hit = hit.any(axis=1)  # (M, O)
        first = np.where(any_hit, np.argmax(hit, axis=1), len(_AHEAD_SAMPLES))
        for row, k in enumerate(members):
            if not any_hit[row].any():
                continue
            j = int(np.argmin(first[row]))
            gap = _AHEAD_SAMPLES[first[row, j]] - movers[k].actor.extent[0] - o_half[j]
            result[k] = (max(float(gap), 0.0), float(obstacles.speed[near[j]]))
    return result


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
