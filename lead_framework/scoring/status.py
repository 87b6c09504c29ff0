"""Route and entry status strings exactly as the Leaderboard 2.0 statistics manager writes them.

Route status: ``Perfect`` (route completed, no infraction event at all, min-speed included),
``Completed`` (route completed with infractions), ``Failed`` or ``Failed - <reason>``.
The reasons below are the official texts: three come from criteria that end the route, four
from failures outside the route (simulation, sensors, agent set-up, agent runtime).
"""

from __future__ import annotations

from lead_framework.scoring.errors import ScoringError

STATUS_STARTED = "Started"
STATUS_PERFECT = "Perfect"
STATUS_COMPLETED = "Completed"
STATUS_FAILED = "Failed"

#: Why a route ended early -> the text after ``"Failed - "``. Keys that are infraction keys
#: are derived from the record; the others are passed by the runner as ``ended_by``.
FAILURE_REASONS: dict[str, str] = {
    "route_dev": "Agent deviated from the route",
    "vehicle_blocked": "Agent got blocked",
    "route_timeout": "Agent timed out",
    "simulation_crashed": "Simulation crashed",
    "sensors_invalid": "Agent's sensors were invalid",
    "agent_setup_failed": "Agent couldn't be set up",
    "agent_crashed": "Agent crashed",
}

#: Entry status of a whole results file and whether it is eligible for the leaderboard.
ELIGIBLE_BY_ENTRY_STATUS: dict[str, bool] = {
    "Started": False,
    "Finished": True,
    "Rejected": False,
    "Crashed": False,
    "Invalid": False,
}


def failed_status(reason_key: str | None) -> str:
    """``"Failed"`` or ``"Failed - <official reason>"`` for a key of :data:`FAILURE_REASONS`."""
    if reason_key is None:
        return STATUS_FAILED
    if reason_key not in FAILURE_REASONS:
        raise ScoringError(
            f"unknown failure reason {reason_key!r}; use one of {sorted(FAILURE_REASONS)} or None"
        )
    return f"{STATUS_FAILED} - {FAILURE_REASONS[reason_key]}"


def is_failed(status: str) -> bool:
    """True for ``Failed`` and every ``Failed - ...`` status."""
    return status.startswith(STATUS_FAILED)


def is_route_finished(status: str) -> bool:
    """True for ``Completed`` and ``Perfect``: the route reached its end."""
    return status in (STATUS_COMPLETED, STATUS_PERFECT)


def entry_status_of(statuses: list[str], *, routes_done: int, routes_expected: int) -> str:
    """The file's entry status: ``Started`` until every route has a record, ``Crashed`` if a
    route's simulation crashed, ``Rejected`` if the sensors were invalid, else ``Finished``."""
    if routes_done < routes_expected:
        return "Started"
    entry = "Finished"
    for status in statuses:
        if FAILURE_REASONS["simulation_crashed"] in status:
            entry = "Crashed"
        elif FAILURE_REASONS["sensors_invalid"] in status:
            entry = "Rejected"
    return entry
