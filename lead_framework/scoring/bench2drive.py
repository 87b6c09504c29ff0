"""Bench2Drive metrics: DS over 220 routes, Success Rate, Efficiency, Comfortness, Multi-Ability.

Definitions follow Bench2Drive's evaluation tools:

* DS = sum of per-route DS / expected route count (220 for the full benchmark).
* Success: status ``Completed``/``Perfect`` and no infraction except min-speed; Success Rate =
  successes / expected routes (a missing route is not a success). Reported here as 0-100.
* Efficiency: per route, the mean of its checkpoint speed percentages (ego speed as % of the
  surrounding traffic's, 20 checkpoints; values > 1000 dropped); then the mean over routes that
  have at least one value.
* Comfortness: mean over routes of the share of comfortable chunks (see :mod:`.comfort`), as 0-100.
* Multi-Ability: per ability, successes / routes *with a record* whose scenario type has the
  ability (Bench2Drive leaves routes without a record out of this metric and lists them as
  crashed); the mean of the five abilities. Traffic_Signs also counts a failed route when it got
  past the first junction (RC above the route's junction threshold, see
  :func:`junction_pass_pct`) without a red-light or stop infraction; a route without a known
  threshold gets no such credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from lead_framework.scoring.aggregate import expected_route_count
from lead_framework.scoring.comfort import EgoLog, route_comfort
from lead_framework.scoring.errors import ScoringError
from lead_framework.scoring.messages import event_percentage
from lead_framework.scoring.record import RouteRecord
from lead_framework.scoring.status import is_route_finished
from lead_framework.suggestions import close_names, did_you_mean

BENCH2DRIVE_ROUTES = 220
EFFICIENCY_MAX_PCT = 1000.0
#: Dense-route waypoints (1 m apart) past the first junction waypoint that Traffic_Signs requires.
TRAFFIC_SIGNS_WAYPOINTS_PAST_JUNCTION = 8

#: Ability -> scenario types (Bench2Drive's ``ability_benchmark.py`` mapping, duplicates removed).
ABILITY_SCENARIOS: dict[str, tuple[str, ...]] = {
    "Overtaking": (
        "Accident", "AccidentTwoWays", "ConstructionObstacle", "ConstructionObstacleTwoWays",
        "HazardAtSideLaneTwoWays", "HazardAtSideLane", "ParkedObstacleTwoWays", "ParkedObstacle",
        "VehicleOpensDoorTwoWays",
    ),
    "Merging": (
        "CrossingBicycleFlow", "EnterActorFlow", "HighwayExit", "InterurbanActorFlow", "HighwayCutIn",
        "InterurbanAdvancedActorFlow", "MergerIntoSlowTrafficV2", "MergerIntoSlowTraffic",
        "NonSignalizedJunctionLeftTurn", "NonSignalizedJunctionRightTurn",
        "NonSignalizedJunctionLeftTurnEnterFlow", "ParkingExit", "SequentialLaneChange",
        "SignalizedJunctionLeftTurn", "SignalizedJunctionRightTurn", "SignalizedJunctionLeftTurnEnterFlow",
    ),
    "Emergency_Brake": (
        "BlockedIntersection", "DynamicObjectCrossing", "HardBreakRoute", "OppositeVehicleTakingPriority",
        "OppositeVehicleRunningRedLight", "ParkingCutIn", "PedestrianCrossing", "ParkingCrossingPedestrian",
        "StaticCutIn", "VehicleTurningRoute", "VehicleTurningRoutePedestrian", "ControlLoss",
    ),
    "Give_Way": ("InvadingTurn", "YieldToEmergencyVehicle"),
    "Traffic_Signs": (
        "BlockedIntersection", "OppositeVehicleTakingPriority", "OppositeVehicleRunningRedLight",
        "PedestrianCrossing", "VehicleTurningRoute", "VehicleTurningRoutePedestrian", "EnterActorFlow",
        "CrossingBicycleFlow", "NonSignalizedJunctionLeftTurn", "NonSignalizedJunctionRightTurn",
        "NonSignalizedJunctionLeftTurnEnterFlow", "SignalizedJunctionLeftTurn", "SignalizedJunctionRightTurn",
        "SignalizedJunctionLeftTurnEnterFlow", "T_Junction", "VanillaNonSignalizedTurn",
        "VanillaSignalizedTurnEncounterGreenLight", "VanillaSignalizedTurnEncounterRedLight",
        "VanillaNonSignalizedTurnEncounterStopsign",
    ),
}
ABILITIES: tuple[str, ...] = tuple(ABILITY_SCENARIOS)
#: The 44 Bench2Drive scenario types.
SCENARIO_TYPES: frozenset[str] = frozenset(t for types in ABILITY_SCENARIOS.values() for t in types)


def is_success(record: RouteRecord) -> bool:
    """Route finished (``Completed``/``Perfect``) with no infraction other than min-speed."""
    return is_route_finished(record.status) and all(
        event.key == "min_speed_infractions" for event in record.infractions
    )


def driving_score(records: Sequence[RouteRecord], *, expected: int | Sequence[str] = BENCH2DRIVE_ROUTES) -> float:
    """Sum of per-route DS / expected route count (0 without expected routes)."""
    total = expected_route_count(records, expected)
    return sum(record.score_composed for record in records) / total if total else 0.0


def success_rate(records: Sequence[RouteRecord], *, expected: int | Sequence[str] = BENCH2DRIVE_ROUTES) -> float:
    """Successful routes / expected routes, in percent."""
    total = expected_route_count(records, expected)
    return 100.0 * sum(is_success(record) for record in records) / total if total else 0.0


def checkpoint_pcts_from_record(record: RouteRecord) -> list[float]:
    """The checkpoint speed percentages a record carries as min-speed events (Bench2Drive records
    one event per checkpoint, whatever its value)."""
    return [event_percentage(e) for e in record.infractions if e.key == "min_speed_infractions"]


def efficiency(checkpoint_pcts: Iterable[Sequence[float]]) -> float | None:
    """Mean over routes of the mean checkpoint percentage (values > 1000 dropped); routes with no
    value are skipped; None when no route has one."""
    route_means = []
    for pcts in checkpoint_pcts:
        kept = [float(p) for p in pcts if float(p) <= EFFICIENCY_MAX_PCT]
        if kept:
            route_means.append(sum(kept) / len(kept))
    return sum(route_means) / len(route_means) if route_means else None


def comfortness(logs: Iterable[EgoLog]) -> float | None:
    """Mean over routes of the comfortable-chunk share, in percent; routes too short to have a
    chunk are skipped; None when no route has one."""
    shares = [share for share in (route_comfort(log) for log in logs) if share is not None]
    return 100.0 * sum(shares) / len(shares) if shares else None


def junction_pass_pct(first_junction_index: int, dense_route_points: int) -> float:
    """The RC (%) a route must exceed to be 8 waypoints past its first junction waypoint:
    ``100 * (first_junction_index + 1 + 8) / dense_route_points`` on the 1 m dense route
    (``first_junction_index`` counts from 0)."""
    if dense_route_points <= 0 or not 0 <= first_junction_index < dense_route_points:
        raise ScoringError(
            f"first_junction_index={first_junction_index} must index a dense route of {dense_route_points} points"
        )
    return 100.0 * (first_junction_index + 1 + TRAFFIC_SIGNS_WAYPOINTS_PAST_JUNCTION) / dense_route_points


def _scenario_type(record: RouteRecord, scenario_types: Mapping[str, str] | None) -> str:
    scenario = (scenario_types or {}).get(record.route_id) or record.extra.get("scenario_type")
    if scenario is None:
        raise ScoringError(
            f"route {record.route_id!r} has no scenario type: pass scenario_types={{route_id: type}} "
            "or set record.extra['scenario_type']"
        )
    if scenario not in SCENARIO_TYPES:
        hint = did_you_mean(close_names(scenario, sorted(SCENARIO_TYPES), cutoff=0.6), "see SCENARIO_TYPES")
        raise ScoringError(f"route {record.route_id!r}: unknown Bench2Drive scenario type {scenario!r}; {hint}")
    return scenario


def _passes_traffic_signs(record: RouteRecord, threshold_pct: float | None) -> bool:
    if is_success(record):
        return True
    if threshold_pct is None:
        return False
    keys = {event.key for event in record.infractions}
    return record.score_route > threshold_pct and not keys & {"red_light", "stop_infraction"}


def multi_ability(
    records: Sequence[RouteRecord],
    *,
    scenario_types: Mapping[str, str] | None = None,
    junction_pass_pcts: Mapping[str, float] | None = None,
) -> dict[str, float | None]:
    """Success rate (percent) per ability and their ``mean``; an ability with no route is None
    and left out of the mean. ``junction_pass_pcts`` maps route ids to :func:`junction_pass_pct`."""
    passed = {ability: 0 for ability in ABILITIES}
    counted = {ability: 0 for ability in ABILITIES}
    for record in records:
        scenario = _scenario_type(record, scenario_types)
        for ability, types in ABILITY_SCENARIOS.items():
            if scenario not in types:
                continue
            counted[ability] += 1
            if ability == "Traffic_Signs":
                threshold = (junction_pass_pcts or {}).get(record.route_id)
                passed[ability] += _passes_traffic_signs(record, threshold)
            else:
                passed[ability] += is_success(record)
    result: dict[str, float | None] = {
        ability: (100.0 * passed[ability] / counted[ability] if counted[ability] else None) for ability in ABILITIES
    }
    rates = [rate for rate in result.values() if rate is not None]
    result["mean"] = sum(rates) / len(rates) if rates else None
    return result


@attrs.frozen
class Bench2DriveSummary:
    """All Bench2Drive figures of a run (percent scales; None where not computable)."""

    driving_score: float
    success_rate: float
    efficiency: float | None
    comfortness: float | None
    abilities: dict[str, float | None]

    def as_columns(self) -> dict[str, float | None]:
        """Flat name -> value mapping for results tables."""
        columns: dict[str, float | None] = {
            "B2D DS": self.driving_score,
            "SR": self.success_rate,
            "Efficiency": self.efficiency,
            "Comfortness": self.comfortness,
        }
        columns.update({f"Ability {name}": value for name, value in self.abilities.items()})
        return columns


def summarize(
    records: Sequence[RouteRecord],
    *,
    expected: int | Sequence[str] = BENCH2DRIVE_ROUTES,
    scenario_types: Mapping[str, str] | None = None,
    junction_pass_pcts: Mapping[str, float] | None = None,
    checkpoint_pcts: Iterable[Sequence[float]] | None = None,
    ego_logs: Iterable[EgoLog] = (),
) -> Bench2DriveSummary:
    """Every Bench2Drive metric; checkpoint percentages default to the records' min-speed events."""
    if checkpoint_pcts is None:
        checkpoint_pcts = [checkpoint_pcts_from_record(record) for record in records]
    return Bench2DriveSummary(
        driving_score=driving_score(records, expected=expected),
        success_rate=success_rate(records, expected=expected),
        efficiency=efficiency(checkpoint_pcts),
        comfortness=comfortness(ego_logs),
        abilities=multi_ability(records, scenario_types=scenario_types, junction_pass_pcts=junction_pass_pcts),
    )
