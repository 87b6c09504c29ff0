"""What every criterion sees each tick, and the criterion base class."""

from __future__ import annotations

import attrs
import numpy as np

from lead_framework.scoring.record import Infraction
from lead_sim.scene import Scene

#: The leaderboard treats the ego as standing below this speed (m/s).
STANDING_SPEED = 0.1


@attrs.define
class RouteGeometry:
    """The dense route as criteria read it: points (R, 3) every metre, yaws (R,) in radians, and
    cumulative distance (R,) in metres."""

    points: np.ndarray
    yaws: np.ndarray
    distances: np.ndarray

    @property
    def length_m(self) -> float:
        return float(self.distances[-1])

    @property
    def forward(self) -> np.ndarray:
        return np.stack([np.cos(self.yaws), np.sin(self.yaws)], axis=1)


@attrs.define
class TickContext:
    """One tick: the scene (row 0 = ego), the ego's speed, the distance it has driven so far
    (``metres_driven``; ``moved_m`` this tick) and the route completion reached (percent and metres)."""

    tick: int
    time_s: float
    scene: Scene
    ego_speed: float
    metres_driven: float
    moved_m: float
    completion_pct: float = 0.0
    completed_m: float = 0.0

    @property
    def ego_location(self) -> tuple[float, float, float]:
        x, y, z = self.scene.actors.position[0]
        return (float(x), float(y), float(z))


class Criterion:
    """A Leaderboard 2.0 check. ``update`` runs every tick; ``finish`` once at the route's end.

    Events go to :attr:`events`; a criterion that ends the route sets :attr:`failure` to its
    infraction key.
    """

    key: str = ""

    def __init__(self) -> None:
        self.events: list[Infraction] = []
        self.failure: str | None = None

    def update(self, ctx: TickContext) -> None:
        raise NotImplementedError

    def finish(self, ctx: TickContext) -> None:
        """Events decided at the end of the route (default: none)."""

    def _record(self, ctx: TickContext, message: str, *, location=None, value: float | None = None, key: str = "") -> None:
        self.events.append(
            Infraction(
                key=key or self.key,
                message=message,
                tick=ctx.tick,
                time_s=ctx.time_s,
                location=ctx.ego_location if location is None else tuple(float(v) for v in location),
                value=value,
                metres_driven=ctx.metres_driven,
            )
        )
