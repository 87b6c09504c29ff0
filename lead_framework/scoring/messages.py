"""Infraction message texts of Leaderboard 2.0 / scenario_runner, and their inverse (parsing).

The results JSON stores only these strings per infraction key, so the percentages of min-speed and
outside-lanes events (and the metres driven off the route lanes) are read back from them, as the
official statistics manager does. Coordinates are rounded to 3 digits and percentages to 2, as in
the official criteria.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lead_framework.scoring.errors import ScoringError
from lead_framework.scoring.record import Infraction

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|inf|nan)"
_LOCATION_RE = re.compile(rf"\(x=({_NUMBER}), y=({_NUMBER}), z=({_NUMBER})\)")
_MIN_SPEED_RE = re.compile(rf"Average speed is ({_NUMBER})%")
_OUTSIDE_LANES_RE = re.compile(rf"for about ({_NUMBER}) meters \(({_NUMBER})% of the completed route\)")

ROUTE_TIMEOUT_MESSAGE = "Route timeout."
SCENARIO_TIMEOUT_MESSAGE = "Agent timed out a scenario"
YIELD_EMERGENCY_VEHICLE_MESSAGE = "Agent failed to yield to an emergency vehicle"


def _at(location: Sequence[float]) -> str:
    if len(location) != 3:
        raise ScoringError(f"location must be (x, y, z), got {tuple(location)!r}")
    x, y, z = (round(float(value), 3) for value in location)
    return f"at (x={x}, y={y}, z={z})"


def collision_message(other_type_id: str, other_id: int | str, location: Sequence[float]) -> str:
    """``Agent collided against object with type=... and id=... at (x=..., y=..., z=...)``."""
    return f"Agent collided against object with type={other_type_id} and id={other_id} {_at(location)}"


def red_light_message(light_id: int | str, location: Sequence[float]) -> str:
    """``Agent ran a red light <id> at (x=..., y=..., z=...)`` (location of the traffic light)."""
    return f"Agent ran a red light {light_id} {_at(location)}"


def stop_message(stop_id: int | str, location: Sequence[float]) -> str:
    """``Agent ran a stop with id=<id> at (x=..., y=..., z=...)`` (location of the stop sign)."""
    return f"Agent ran a stop with id={stop_id} {_at(location)}"


def outside_lanes_message(metres: float, percentage: float) -> str:
    """``Agent went outside its route lanes for about X meters (Y% of the completed route)``."""
    return (
        f"Agent went outside its route lanes for about {round(float(metres), 3)} meters "
        f"({round(float(percentage), 2)}% of the completed route)"
    )


def min_speed_message(percentage: float) -> str:
    """``Average speed is X% of the surrounding traffic's one`` (the official wording)."""
    return f"Average speed is {round(float(percentage), 2)}% of the surrounding traffic's one"


def route_deviation_message(location: Sequence[float]) -> str:
    """``Agent deviated from the route at (x=..., y=..., z=...)``."""
    return f"Agent deviated from the route {_at(location)}"


def blocked_message(location: Sequence[float]) -> str:
    """``Agent got blocked at (x=..., y=..., z=...)``."""
    return f"Agent got blocked {_at(location)}"


def route_timeout_message() -> str:
    """``Route timeout.`` (written by the statistics manager, not by a criterion)."""
    return ROUTE_TIMEOUT_MESSAGE


def scenario_timeout_message() -> str:
    """``Agent timed out a scenario``."""
    return SCENARIO_TIMEOUT_MESSAGE


def yield_emergency_vehicle_message() -> str:
    """``Agent failed to yield to an emergency vehicle``."""
    return YIELD_EMERGENCY_VEHICLE_MESSAGE


def parse_location(message: str) -> tuple[float, float, float] | None:
    """The ``(x=..., y=..., z=...)`` of a message, or None when it has none."""
    match = _LOCATION_RE.search(message)
    if match is None:
        return None
    x, y, z = (float(group) for group in match.groups())
    return (x, y, z)


def parse_percentage(key: str, message: str) -> float | None:
    """The percentage carried by a min-speed or outside-lanes message; None for other keys."""
    if key == "min_speed_infractions":
        match = _MIN_SPEED_RE.search(message)
        group = 1
    elif key == "outside_route_lanes":
        match = _OUTSIDE_LANES_RE.search(message)
        group = 2
    else:
        return None
    if match is None:
        raise ScoringError(
            f"cannot read the percentage of a {key!r} infraction from its message {message!r}; "
            "write it with the functions of lead_framework.scoring.messages"
        )
    return float(match.group(group))


def parse_outside_lanes_metres(message: str) -> float:
    """Metres driven outside the route lanes, read from an outside-lanes message."""
    match = _OUTSIDE_LANES_RE.search(message)
    if match is None:
        raise ScoringError(
            f"cannot read the metres of an outside_route_lanes message {message!r}; "
            "write it with lead_framework.scoring.messages.outside_lanes_message"
        )
    return float(match.group(1))


def event_percentage(event: Infraction) -> float:
    """The percentage of a min-speed or outside-lanes event: ``event.value``, else its message."""
    if event.value is not None:
        return float(event.value)
    percentage = parse_percentage(event.key, event.message)
    if percentage is None:
        raise ScoringError(f"infraction key {event.key!r} carries no percentage")
    return percentage


def infraction_from_message(key: str, message: str) -> Infraction:
    """Rebuild an :class:`Infraction` from a results-file message (percentage and location parsed)."""
    return Infraction(
        key=key,
        message=message,
        location=parse_location(message),
        value=parse_percentage(key, message),
    )
