"""Infraction coefficients, IS and route finalisation (status strings, rounding, errors)."""

import pytest

from lead_framework.scoring import (
    INFRACTION_KEYS,
    PENALTY_COEFFICIENTS,
    ROUTE_ENDING_KEYS,
    Infraction,
    RouteRecord,
    ScoringError,
    event_coefficient,
    finalize_record,
    infraction_penalty,
    min_speed_factor,
    outside_lanes_factor,
)
from lead_framework.scoring.messages import min_speed_message, outside_lanes_message


def event(key, value=None, message="m"):
    return Infraction(key=key, message=message, value=value)


def test_every_infraction_key_has_a_coefficient_or_ends_the_route():
    covered = set(PENALTY_COEFFICIENTS) | set(ROUTE_ENDING_KEYS) | {"min_speed_infractions", "outside_route_lanes"}
    assert covered == set(INFRACTION_KEYS)
    assert PENALTY_COEFFICIENTS == {
        "collisions_pedestrian": 0.5,
        "collisions_vehicle": 0.6,
        "collisions_layout": 0.65,
        "red_light": 0.7,
        "stop_infraction": 0.8,
        "scenario_timeouts": 0.7,
        "yield_emergency_vehicle_infractions": 0.7,
    }
    for key in ROUTE_ENDING_KEYS:
        assert event_coefficient(event(key)) == 1.0


def test_acceptance_min_speed_and_yield():
    # (1 - 0.3 * (1 - 0.7963)) * 0.7 = (1 - 0.06111) * 0.7 = 0.93889 * 0.7 = 0.657223
    events = [
        Infraction(key="min_speed_infractions", message=min_speed_message(79.63), value=79.63),
        event("yield_emergency_vehicle_infractions"),
    ]
    assert infraction_penalty(events) == pytest.approx(0.657223, abs=1e-6)


def test_percentage_read_from_message_when_value_missing():
    # the same events as the acceptance case, percentage only in the message text
    events = [
        Infraction(key="min_speed_infractions", message=min_speed_message(79.63)),
        event("yield_emergency_vehicle_infractions"),
    ]
    assert infraction_penalty(events) == pytest.approx(0.657223, abs=1e-6)


def test_min_speed_and_outside_lanes_factors():
    # 1 - 0.3 * (1 - 0.5) = 0.85 ; 0 % -> 0.7 ; >= 100 % -> 1
    assert min_speed_factor(50.0) == pytest.approx(0.85)
    assert min_speed_factor(0.0) == pytest.approx(0.7)
    assert min_speed_factor(130.0) == 1.0
    # 1 - 12.5 / 100 = 0.875
    assert outside_lanes_factor(12.5) == pytest.approx(0.875)
    with pytest.raises(ScoringError, match="outside_route_lanes percentage"):
        outside_lanes_factor(120.0)


def test_product_over_mixed_events():
    # 0.5 (pedestrian) * 0.6 * 0.6 (two vehicles) * 0.65 * 0.7 (red) * 0.8 (stop) * 0.7 (scenario timeout)
    # * 0.9 (outside 10 %) = 0.5*0.36 = 0.18; *0.65 = 0.117; *0.7 = 0.0819; *0.8 = 0.06552; *0.7 = 0.045864;
    # *0.9 = 0.0412776
    events = [
        event("collisions_pedestrian"),
        event("collisions_vehicle"),
        event("collisions_vehicle"),
        event("collisions_layout"),
        event("red_light"),
        event("stop_infraction"),
        event("scenario_timeouts"),
        Infraction(key="outside_route_lanes", message=outside_lanes_message(20.0, 10.0), value=10.0),
        event("route_dev"),
    ]
    assert infraction_penalty(events) == pytest.approx(0.0412776, abs=1e-9)
    assert infraction_penalty([]) == 1.0


def test_min_speed_penalty_switch_for_bench2drive():
    events = [event("min_speed_infractions", 40.0), event("red_light")]
    # on: (1 - 0.3*0.6) * 0.7 = 0.82 * 0.7 = 0.574 ; off: 0.7
    assert infraction_penalty(events) == pytest.approx(0.574)
    assert infraction_penalty(events, min_speed_penalty=False) == pytest.approx(0.7)


def test_missing_percentage_is_a_clear_error():
    with pytest.raises(ScoringError, match="cannot read the percentage"):
        infraction_penalty([Infraction(key="min_speed_infractions", message="slow")])


def test_finalize_perfect_completed_and_failed_statuses():
    perfect = finalize_record(RouteRecord(route_id="r0"), route_completion_pct=100.0)
    assert (perfect.status, perfect.score_route, perfect.score_penalty, perfect.score_composed) == (
        "Perfect",
        100.0,
        1.0,
        100.0,
    )

    completed = finalize_record(RouteRecord(route_id="r1", infractions=[event("red_light")]), route_completion_pct=100)
    # DS = 100 * 0.7 = 70
    assert completed.status == "Completed"
    assert completed.score_composed == pytest.approx(70.0)

    # a min-speed event alone still makes the route "Completed", as in the leaderboard
    slow = finalize_record(
        RouteRecord(route_id="r2", infractions=[event("min_speed_infractions", 90.0)]),
        route_completion_pct=100,
        min_speed_penalty=False,
    )
    assert slow.status == "Completed" and slow.score_penalty == 1.0

    plain = finalize_record(RouteRecord(route_id="r3"), route_completion_pct=42.5)
    assert plain.status == "Failed" and plain.score_composed == pytest.approx(42.5)


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("route_dev", "Failed - Agent deviated from the route"),
        ("vehicle_blocked", "Failed - Agent got blocked"),
        ("route_timeout", "Failed - Agent timed out"),
    ],
)
def test_route_ending_infraction_sets_the_failure_reason(key, status):
    record = RouteRecord(route_id="r", infractions=[event("collisions_vehicle"), event(key)])
    finalize_record(record, route_completion_pct=30.0)
    assert record.status == status
    # DS = 30 * 0.6 = 18
    assert record.score_composed == pytest.approx(18.0)


@pytest.mark.parametrize(
    ("ended_by", "status"),
    [
        ("simulation_crashed", "Failed - Simulation crashed"),
        ("sensors_invalid", "Failed - Agent's sensors were invalid"),
        ("agent_setup_failed", "Failed - Agent couldn't be set up"),
        ("agent_crashed", "Failed - Agent crashed"),
    ],
)
def test_external_failure_reasons(ended_by, status):
    record = finalize_record(RouteRecord(route_id="r"), route_completion_pct=5.0, ended_by=ended_by)
    assert record.status == status


def test_route_timeout_adds_the_official_event():
    record = finalize_record(RouteRecord(route_id="r"), route_completion_pct=60.0, ended_by="route_timeout")
    assert record.status == "Failed - Agent timed out"
    assert [(e.key, e.message) for e in record.infractions] == [("route_timeout", "Route timeout.")]
    assert record.score_penalty == 1.0


def test_blocked_wins_over_timeout_as_in_the_leaderboard():
    record = RouteRecord(route_id="r", infractions=[event("vehicle_blocked"), event("route_timeout")])
    assert finalize_record(record, route_completion_pct=10.0).status == "Failed - Agent got blocked"


def test_scores_are_rounded_to_six_digits():
    # RC 33.3333333 * 0.7 = 23.33333331 -> 23.333333
    record = RouteRecord(route_id="r", infractions=[event("red_light")])
    finalize_record(record, route_completion_pct=100 / 3)
    assert record.score_route == 33.333333
    assert record.score_composed == 23.333333


def test_finalize_rejects_bad_input():
    with pytest.raises(ScoringError, match="route_completion_pct must be in"):
        finalize_record(RouteRecord(route_id="r"), route_completion_pct=101.0)
    with pytest.raises(ScoringError, match="ended_by='crash'"):
        finalize_record(RouteRecord(route_id="r"), route_completion_pct=1.0, ended_by="crash")
