"""Building scenarios from route files: parameter errors, trigger matching, placement checks,
unknown types, and the registry."""

from __future__ import annotations

import logging

import attrs
import numpy as np
import pytest

from lead_framework.plugins import get_registry
from lead_framework.route import RouteSpec, ScenarioSpec, TriggerPoint
from lead_sim.routes import plan_route
from lead_sim.scenarios import (
    BENCH2DRIVE_EXTRA_TYPES,
    LEADERBOARD_TYPES,
    SCENARIO_CLASSES,
    ScenarioParameterError,
    ScenarioPlacementError,
    ScenarioRunner,
    UnknownScenarioTypeError,
)
from lead_sim.scenarios.generate import generate_scenario_routes


@pytest.fixture(scope="module")
def route():
    """A generated Bench2Drive-style route with one Accident on grid_small."""
    return generate_scenario_routes("grid_small", "bench2drive", 1, seed=5, types=("Accident",))[0]


@pytest.fixture(scope="module")
def dense(route):
    return plan_route("grid_small", route.waypoint_array(), route_id=route.id)


def with_scenario(route: RouteSpec, **changes) -> RouteSpec:
    spec = attrs.evolve(route.scenarios[0], **changes)
    return attrs.evolve(route, id="r7", scenarios=[spec])


def build(route, dense, **kwargs):
    return ScenarioRunner(route, dense, builders=SCENARIO_CLASSES, **kwargs)


def test_every_official_type_is_registered_under_its_name():
    assert len(LEADERBOARD_TYPES) == 38 and len(BENCH2DRIVE_EXTRA_TYPES) == 8
    registered = get_registry().names("scenarios")
    assert set(LEADERBOARD_TYPES) | set(BENCH2DRIVE_EXTRA_TYPES) <= set(registered)
    component = get_registry().get("scenarios", "AccidentTwoWays")
    assert component.create() is SCENARIO_CLASSES["AccidentTwoWays"] and component.description


def test_valid_route_builds_and_stays_idle_until_the_trigger(route, dense):
    runner = build(route, dense)
    assert [s.spec.type for s in runner.scenarios] == ["Accident"]
    assert runner.scenarios[0].trigger_index > 0 and runner.actors().ids.size == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"distance": {"value": "-5"}}, "parameter 'distance' value=-5 m is below the minimum 5 m"),
        ({"distance": {"value": "far"}}, "parameter 'distance' value='far' is not a number"),
        ({"distance": {"from": "3"}}, "parameter 'distance' lacks the attribute 'value'"),
        ({"direction": {"value": "up"}}, "parameter 'direction' value='up' is not one of left, right"),
    ],
)
def test_bad_parameters_name_route_scenario_and_parameter(route, dense, params, message):
    bad = with_scenario(route, params=params)
    with pytest.raises(ScenarioParameterError) as error:
        build(bad, dense)
    assert "route 'r7', scenario 'Accident_1' (Accident)" in str(error.value)
    assert message in str(error.value)


def test_missing_required_parameter_and_reversed_interval(route, dense):
    cut_in = with_scenario(route, type="HighwayCutIn", name="CutIn_3", params={})
    with pytest.raises(ScenarioParameterError, match=r"route 'r7', scenario 'CutIn_3' \(HighwayCutIn\): the required parameter 'other_actor_location' is missing"):
        build(cut_in, dense)
    flow = with_scenario(route, type="SignalizedJunctionLeftTurn", params={"source_dist_interval": {"from": "50", "to": "20"}})
    with pytest.raises(ScenarioParameterError, match="'source_dist_interval' has from=50 > to=20"):
        build(flow, dense)


def test_trigger_off_the_route_reports_its_distance(route, dense):
    t = route.scenarios[0].trigger
    yaw = np.radians(t.yaw)
    shifted = with_scenario(route, trigger=TriggerPoint(t.x - 5.0 * np.sin(yaw), t.y + 5.0 * np.cos(yaw), t.z, t.yaw))
    with pytest.raises(ScenarioPlacementError, match=r"trigger_point .* is 5\.00 m and 0\.0 deg from the nearest route point; it must lie within 2 m and 10 deg"):
        build(shifted, dense)
    turned = with_scenario(route, trigger=TriggerPoint(t.x, t.y, t.z, t.yaw + 30.0))
    with pytest.raises(ScenarioPlacementError, match="30.0 deg from the nearest route point"):
        build(turned, dense)


def test_impossible_placement_is_refused(route, dense):
    beyond = with_scenario(route, params={"distance": {"value": "390"}})
    with pytest.raises(ScenarioPlacementError, match="lies beyond the route end"):
        build(beyond, dense)
    last = dense.positions[-3]
    yaw = float(np.degrees(dense.yaws[-3]))
    at_end = with_scenario(route, type="VanillaNonSignalizedTurn", params={}, trigger=TriggerPoint(float(last[0]), float(last[1]), 0.0, yaw))
    with pytest.raises(ScenarioPlacementError, match="needs (a junction within 80 m|a turn at the junction) after the trigger"):
        build(at_end, dense)


def test_unknown_type_warns_and_runs_without_it_or_fails_when_strict(route, dense, caplog):
    unknown = with_scenario(route, type="Animals", name="Animals_1")
    with caplog.at_level(logging.WARNING):
        runner = build(unknown, dense)
    assert runner.scenarios == [] and runner.skipped == ["Animals_1"]
    assert "unknown type 'Animals'" in caplog.text
    with pytest.raises(UnknownScenarioTypeError, match="scenario 'Animals_1' has the unknown type 'Animals'"):
        build(unknown, dense, strict=True)


def test_scenario_from_spec_in_the_route_xml_form(route):
    spec = route.scenarios[0]
    assert isinstance(spec, ScenarioSpec) and set(spec.params) == {"distance", "direction"}
    assert float(spec.params["distance"]["value"]) >= 30.0
