"""Actor flows: vehicles (or bicycles) entering a path at seeded gaps and leaving at its end."""

from __future__ import annotations

import itertools

import numpy as np

from lead_sim.scenarios.actors import MODELS, Mover, Obstacles, ScenarioActor, gaps_ahead
from lead_sim.scenarios.geometry import Path


class Flow:
    """A stream along ``path``: a new actor enters when the last one is ``gap`` metres in, with
    ``gap`` drawn uniformly from ``gap_interval`` (metres) per actor.

    ``prefill`` places actors along the whole path at start, so the flow is dense from the first
    tick (less those that would stand on another body).
    """

    SOURCE_CLEAR_M = 8.0

    def __init__(self, path: Path, speed: float, gap_interval: tuple[float, float], rng: np.random.Generator,
                 ids: itertools.count, model: str, *, prefill: bool = True, lateral_offset: float = 0.0):
        self.path = path
        self.speed = speed
        self.gap_interval = gap_interval
        self.rng = rng
        self.ids = ids
        self.model = model
        self.lateral_offset = lateral_offset
        self.movers: list[Mover] = []
        self.stopped = False
        self._settled = not prefill
        self._next_gap = self._draw_gap()
        if prefill:
            s = path.length - 5.0
            while s > 0.0:
                self._add(s)
                s -= self._draw_gap()

    def _draw_gap(self) -> float:
        low, high = self.gap_interval
        return float(self.rng.uniform(low, high))

    def _add(self, s: float) -> None:
        kind, extent = MODELS[self.model]
        actor = ScenarioActor(next(self.ids), kind, self.model, np.array(extent), np.zeros(3), 0.0)
        self.movers.append(Mover(actor, self.path, s=s, speed=self.speed, target_speed=self.speed,
                                 lateral_offset=self.lateral_offset))

    @property
    def actors(self) -> list[ScenarioActor]:
        return [m.actor for m in self.movers]

    def step(self, dt: float, obstacles: Obstacles) -> None:
        if not self._settled:
            self._drop_prefilled_on_others(obstacles)
        for mover, gap in zip(self.movers, gaps_ahead(self.movers, obstacles)):
            mover.step(dt, obstacles, gap)
        self.movers = [m for m in self.movers if not m.finished]
        last_s = min((m.s for m in self.movers), default=np.inf)
        if not self.stopped and last_s >= self._next_gap and self._source_free(obstacles):
            self._add(0.0)
            self._next_gap = self._draw_gap()

    def _drop_prefilled_on_others(self, obstacles: Obstacles) -> None:
        """On the first tick, remove prefilled actors placed within ``SOURCE_CLEAR_M`` of another
        body (a background vehicle already on the path): an actor on top of or nose to tail with
        it would hold it, and the flow behind, for good."""
        self._settled = True
        if self.movers:
            clearance = self._clearance(obstacles, np.array([m.actor.position[:2] for m in self.movers]))
            self.movers = [m for m, c in zip(self.movers, clearance) if c > self.SOURCE_CLEAR_M]

    def _source_free(self, obstacles: Obstacles) -> bool:
        """No other body (the ego included) is within ``SOURCE_CLEAR_M`` of the path's start: a new
        actor never appears on top of something that drives over the source."""
        return bool(self._clearance(obstacles, self.path.points[:1, :2])[0] > self.SOURCE_CLEAR_M)

    def _clearance(self, obstacles: Obstacles, points: np.ndarray) -> np.ndarray:
        """Per point (N, 2), the distance to the nearest body that is not one of this flow's actors."""
        others = obstacles.without([m.actor.id for m in self.movers])
        if others.ids.size == 0:
            return np.full(len(points), np.inf)
        return np.min(np.linalg.norm(points[:, None, :] - others.xy[None, :, :], axis=2), axis=1)

    def gap_at(self, s_on_path: float) -> float:
        """Distance (metres) along the path from ``s_on_path`` back to the nearest actor approaching it."""
        behind = [s_on_path - m.s for m in self.movers if m.s <= s_on_path]
        return min(behind, default=np.inf)
