"""The per-route record, laid out as the leaderboard's results JSON (``_checkpoint.records[i]``)."""

from __future__ import annotations

from typing import Any

import attrs

#: Results keys of the leaderboard's infraction lists, in its order.
INFRACTION_KEYS: tuple[str, ...] = (
    "collisions_layout",
    "collisions_pedestrian",
    "collisions_vehicle",
    "red_light",
    "stop_infraction",
    "outside_route_lanes",
    "min_speed_infractions",
    "yield_emergency_vehicle_infractions",
    "scenario_timeouts",
    "route_dev",
    "vehicle_blocked",
    "route_timeout",
)


@attrs.define
class Infraction:
    """One infraction event. ``value`` carries the percentage for min-speed and outside-lanes."""

    key: str = attrs.field(validator=attrs.validators.in_(INFRACTION_KEYS))
    message: str
    tick: int = 0
    time_s: float = 0.0
    location: tuple[float, float, float] | None = None
    value: float | None = None
    metres_driven: float = 0.0


@attrs.define
class RouteRecord:
    """A finished (or failed) route: status, scores, infractions and meta."""

    route_id: str
    index: int = 0
    status: str = "Started"
    score_route: float = 0.0
    score_penalty: float = 1.0
    score_composed: float = 0.0
    infractions: list[Infraction] = attrs.field(factory=list)
    route_length_m: float = 0.0
    duration_game_s: float = 0.0
    duration_system_s: float = 0.0
    extra: dict[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The leaderboard's record layout (messages grouped by infraction key)."""
        grouped: dict[str, list[str]] = {key: [] for key in INFRACTION_KEYS}
        for event in self.infractions:
            grouped[event.key].append(event.message)
        return {
            "index": self.index,
            "route_id": self.route_id,
            "status": self.status,
            "num_infractions": len(self.infractions),
            "infractions": grouped,
            "scores": {
                "score_route": self.score_route,
                "score_penalty": self.score_penalty,
                "score_composed": self.score_composed,
            },
            "meta": {
                "route_length": self.route_length_m,
                "duration_game": self.duration_game_s,
                "duration_system": self.duration_system_s,
            },
        }

    def infraction_events(self) -> list[dict[str, Any]]:
        """Every event with tick, time and location (for ``infractions.json``)."""
        return [attrs.asdict(event) for event in self.infractions]
