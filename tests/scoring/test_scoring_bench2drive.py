"""Bench2Drive DS, Success Rate, Efficiency and Multi-Ability."""

import pytest

from lead_framework.scoring import Infraction, RouteRecord, ScoringError, finalize_record
from lead_framework.scoring import bench2drive as b2d
from lead_framework.scoring import messages as m


def min_speed(pct):
    return Infraction(key="min_speed_infractions", message=m.min_speed_message(pct), value=pct)


def routes():
    """b0 Accident: perfect. b1 red-light turn: completed, min-speed events only (not penalised).
    b2 PedestrianCrossing: completed with a pedestrian collision (DS 50). b3 SignalizedJunctionLeftTurn:
    blocked at RC 60 without red-light/stop infraction. b4: no record."""
    b0 = finalize_record(RouteRecord(route_id="b0", extra={"scenario_type": "Accident"}), route_completion_pct=100)
    b1 = finalize_record(
        RouteRecord(route_id="b1", infractions=[min_speed(50.0), min_speed(1500.0), min_speed(70.0)]),
        route_completion_pct=100,
        min_speed_penalty=False,
    )
    b2 = finalize_record(
        RouteRecord(route_id="b2", infractions=[Infraction(key="collisions_pedestrian", message="p")]),
        route_completion_pct=100,
    )
    b3 = finalize_record(
        RouteRecord(route_id="b3", infractions=[Infraction(key="vehicle_blocked", message="b")]),
        route_completion_pct=60,
    )
    return [b0, b1, b2, b3]


TYPES = {
    "b1": "VanillaSignalizedTurnEncounterRedLight",
    "b2": "PedestrianCrossing",
    "b3": "SignalizedJunctionLeftTurn",
}
EXPECTED = ["b0", "b1", "b2", "b3", "b4"]


def test_ability_table_covers_the_44_scenario_types():
    assert len(b2d.SCENARIO_TYPES) == 44
    assert b2d.ABILITIES == ("Overtaking", "Merging", "Emergency_Brake", "Give_Way", "Traffic_Signs")


def test_driving_score_and_success_rate():
    records = routes()
    assert [b2d.is_success(r) for r in records] == [True, True, False, False]
    # DS = (100 + 100 + 50 + 60 + 0) / 5 = 62 ; SR = 2 / 5 = 40 %
    assert b2d.driving_score(records, expected=EXPECTED) == pytest.approx(62.0)
    assert b2d.success_rate(records, expected=EXPECTED) == pytest.approx(40.0)
    # the default divisor is the benchmark's 220 routes: 310 / 220
    assert b2d.driving_score(records) == pytest.approx(310.0 / 220.0)
    assert b2d.success_rate([], expected=0) == 0.0


def test_efficiency():
    # route means: (80 + 120) / 2 = 100 ; (50 + 70) / 2 = 60 (1500 dropped) ; [] skipped -> (100 + 60) / 2 = 80
    assert b2d.efficiency([[80.0, 120.0], [50.0, 1500.0, 70.0], []]) == pytest.approx(80.0)
    assert b2d.efficiency([[2000.0]]) is None
    assert b2d.checkpoint_pcts_from_record(routes()[1]) == [50.0, 1500.0, 70.0]


def test_multi_ability_with_traffic_sign_rule():
    result = b2d.multi_ability(routes(), scenario_types=TYPES, junction_pass_pcts={"b3": 40.0})
    # Overtaking b0 1/1 ; Merging b3 0/1 ; Emergency_Brake b2 0/1 ; Give_Way none ;
    # Traffic_Signs: b1 success, b2 no threshold -> no credit, b3 RC 60 > 40 without red/stop -> 2/3
    assert result["Overtaking"] == 100.0
    assert result["Merging"] == 0.0
    assert result["Emergency_Brake"] == 0.0
    assert result["Give_Way"] is None
    assert result["Traffic_Signs"] == pytest.approx(200.0 / 3.0)
    # mean of the four abilities with routes: (100 + 0 + 0 + 66.667) / 4 = 41.667
    assert result["mean"] == pytest.approx((100.0 + 200.0 / 3.0) / 4.0)


def test_traffic_sign_credit_needs_distance_and_no_red_light():
    red = finalize_record(
        RouteRecord(route_id="t", infractions=[Infraction(key="red_light", message="r"), Infraction(key="route_dev", message="d")]),
        route_completion_pct=90,
    )
    short = finalize_record(RouteRecord(route_id="u"), route_completion_pct=30, ended_by="agent_crashed")
    types = {"t": "T_Junction", "u": "T_Junction"}
    result = b2d.multi_ability([red, short], scenario_types=types, junction_pass_pcts={"t": 20.0, "u": 40.0})
    assert result["Traffic_Signs"] == 0.0


def test_junction_pass_pct():
    # first junction waypoint at index 11 (the 12th point) of 100: (12 + 8) / 100 = 20 %
    assert b2d.junction_pass_pct(11, 100) == pytest.approx(20.0)
    with pytest.raises(ScoringError, match="must index a dense route"):
        b2d.junction_pass_pct(100, 100)


def test_scenario_type_errors():
    with pytest.raises(ScoringError, match="route 'b1' has no scenario type"):
        b2d.multi_ability(routes())
    with pytest.raises(ScoringError, match="unknown Bench2Drive scenario type 'Acident'; did you mean 'Accident'"):
        b2d.multi_ability(routes()[:1], scenario_types={"b0": "Acident"})


def test_summary_uses_min_speed_events_for_efficiency():
    summary = b2d.summarize(routes(), expected=EXPECTED, scenario_types=TYPES)
    # only b1 has checkpoint values: (50 + 70) / 2 = 60
    assert summary.efficiency == pytest.approx(60.0)
    assert summary.comfortness is None
    columns = summary.as_columns()
    assert columns["B2D DS"] == pytest.approx(62.0) and columns["SR"] == pytest.approx(40.0)
    # without junction thresholds only the successful b1 counts: 1 of 3 traffic-sign routes
    assert columns["Ability Traffic_Signs"] == pytest.approx(100.0 / 3.0)
