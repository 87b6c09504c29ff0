"""Leaderboard 2.0 infraction coefficients, the infraction penalty (IS) and route finalisation.

IS is the product over events of each event's coefficient:

* fixed coefficients (:data:`PENALTY_COEFFICIENTS`) for collisions, red lights, stops,
  scenario timeouts and failures to yield to an emergency vehicle;
* ``1 - 0.3 * (1 - pct/100)`` per min-speed event (pct = ego speed as % of the traffic's);
* ``1 - pct/100`` per outside-lanes event (pct = % of the driven distance off the route lanes).

``route_dev``, ``vehicle_blocked`` and ``route_timeout`` carry no coefficient: they end the route,
which then keeps the route completion it had reached.
"""

from __future__ import annotations

from collections.abc import Iterable

from lead_framework.scoring.errors import ScoringError
from lead_framework.scoring.messages import event_percentage, route_timeout_message
from lead_framework.scoring.record import INFRACTION_KEYS, Infraction, RouteRecord
from lead_framework.scoring.status import (
    FAILURE_REASONS,
    STATUS_COMPLETED,
    STATUS_PERFECT,
    failed_status,
)

#: Fixed coefficient per event.
PENALTY_COEFFICIENTS: dict[str, float] = {
    "collisions_pedestrian": 0.5,
    "collisions_vehicle": 0.6,
    "collisions_layout": 0.65,
    "red_light": 0.7,
    "stop_infraction": 0.8,
    "scenario_timeouts": 0.7,
    "yield_emergency_vehicle_infractions": 0.7,
}

#: The min-speed coefficient at 0 % of the traffic's speed; it rises linearly to 1 at 100 %.
MIN_SPEED_BASE = 0.7

#: Keys whose coefficient depends on the event's percentage.
PERCENTAGE_KEYS: tuple[str, ...] = ("min_speed_infractions", "outside_route_lanes")

#: Keys that end the route and carry no coefficient, in the order the leaderboard lets them
#: override each other (a later key wins when several are present).
ROUTE_ENDING_KEYS: tuple[str, ...] = ("route_timeout", "route_dev", "vehicle_blocked")

#: The leaderboard rounds route scores to this many digits.
SCORE_DIGITS = 6


def min_speed_factor(percentage: float) -> float:
    """``1 - 0.3 * (1 - pct/100)`` for pct < 100; 1 at or above 100 % (the leaderboard records a
    min-speed event only below 100 %, so faster checkpoints never raise the score)."""
    if percentage >= 100.0:
        return 1.0
    return 1.0 - (1.0 - MIN_SPEED_BASE) * (1.0 - percentage / 100.0)


def outside_lanes_factor(percentage: float) -> float:
    """``1 - pct/100``: the share of the driven distance spent inside the route lanes."""
    if not 0.0 <= percentage <= 100.0:
        raise ScoringError(f"outside_route_lanes percentage must be in [0, 100], got {percentage}")
    return 1.0 - percentage / 100.0


def event_coefficient(event: Infraction, *, min_speed_penalty: bool = True) -> float:
    """The factor one event contributes to IS (1.0 for route-ending events and, when
    ``min_speed_penalty`` is False as in Bench2Drive, for min-speed events)."""
    if event.key in PENALTY_COEFFICIENTS:
        return PENALTY_COEFFICIENTS[event.key]
    if event.key == "min_speed_infractions":
        return min_speed_factor(event_percentage(event)) if min_speed_penalty else 1.0
    if event.key == "outside_route_lanes":
        return outside_lanes_factor(event_percentage(event))
    if event.key in ROUTE_ENDING_KEYS:
        return 1.0
    raise ScoringError(f"unknown infraction key {event.key!r}; known keys: {list(INFRACTION_KEYS)}")


def infraction_penalty(infractions: Iterable[Infraction], *, min_speed_penalty: bool = True) -> float:
    """IS: the product of every event's coefficient (1.0 without events)."""
    penalty = 1.0
    for event in infractions:
        penalty *= event_coefficient(event, min_speed_penalty=min_speed_penalty)
    return penalty


def _ending_reason(record: RouteRecord, ended_by: str | None) -> str | None:
    """The failure reason key: ``ended_by`` if given, else the last route-ending infraction."""
    if ended_by is not None:
        if ended_by not in FAILURE_REASONS:
            raise ScoringError(
                f"ended_by={ended_by!r} is not a failure reason; use one of {sorted(FAILURE_REASONS)} or None"
            )
        return ended_by
    present = {event.key for event in record.infractions}
    reason = None
    for key in ROUTE_ENDING_KEYS:
        if key in present:
            reason = key
    return reason


def finalize_record(
    record: RouteRecord,
    *,
    route_completion_pct: float,
    ended_by: str | None = None,
    min_speed_penalty: bool = True,
) -> RouteRecord:
    """Fill ``score_route`` (RC), ``score_penalty`` (IS), ``score_composed`` (DS = max(RC*IS, 0))
    and ``status`` of ``record`` in place, and return it.

    The route counts as completed when RC >= 100; then the status is ``Perfect`` without any
    infraction event (min-speed events included, as in the leaderboard) and ``Completed``
    otherwise. A route below 100 % is ``Failed - <reason>``: ``ended_by`` names an external
    reason or a route-ending key of :data:`~lead_framework.scoring.status.FAILURE_REASONS`;
    without it the reason comes from the record's route-ending infractions, and a route with
    neither is plain ``Failed``. ``ended_by="route_timeout"`` adds the ``Route timeout.`` event
    if the record lacks it, as the statistics manager does. Scores are rounded to 6 digits.
    """
    if not 0.0 <= route_completion_pct <= 100.0:
        raise ScoringError(
            f"route {record.route_id!r}: route_completion_pct must be in [0, 100], got {route_completion_pct}"
        )
    if ended_by == "route_timeout" and not any(e.key == "route_timeout" for e in record.infractions):
        record.infractions.append(Infraction(key="route_timeout", message=route_timeout_message()))
    penalty = infraction_penalty(record.infractions, min_speed_penalty=min_speed_penalty)
    record.score_route = round(float(route_completion_pct), SCORE_DIGITS)
    record.score_penalty = round(penalty, SCORE_DIGITS)
    record.score_composed = round(max(route_completion_pct * penalty, 0.0), SCORE_DIGITS)
    if route_completion_pct >= 100.0:
        record.status = STATUS_COMPLETED if record.infractions else STATUS_PERFECT
    else:
        record.status = failed_status(_ending_reason(record, ended_by))
    return record
