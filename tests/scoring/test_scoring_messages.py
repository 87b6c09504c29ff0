"""Official message texts and parsing them back."""

import pytest

from lead_framework.scoring import ScoringError
from lead_framework.scoring import messages as m


def test_message_texts_match_the_leaderboard():
    assert (
        m.collision_message("vehicle.tesla.model3", 231, (10.12345, -4.0, 0.5))
        == "Agent collided against object with type=vehicle.tesla.model3 and id=231 at (x=10.123, y=-4.0, z=0.5)"
    )
    assert m.red_light_message(17, (1, 2, 3)) == "Agent ran a red light 17 at (x=1.0, y=2.0, z=3.0)"
    assert m.stop_message(5, (1.0, 2.0, 0.0)) == "Agent ran a stop with id=5 at (x=1.0, y=2.0, z=0.0)"
    assert (
        m.outside_lanes_message(12.34567, 3.14159)
        == "Agent went outside its route lanes for about 12.346 meters (3.14% of the completed route)"
    )
    assert m.min_speed_message(79.634) == "Average speed is 79.63% of the surrounding traffic's one"
    assert m.route_deviation_message((1, 2, 3)) == "Agent deviated from the route at (x=1.0, y=2.0, z=3.0)"
    assert m.blocked_message((1, 2, 3)) == "Agent got blocked at (x=1.0, y=2.0, z=3.0)"
    assert m.route_timeout_message() == "Route timeout."
    assert m.scenario_timeout_message() == "Agent timed out a scenario"
    assert m.yield_emergency_vehicle_message() == "Agent failed to yield to an emergency vehicle"


def test_parse_round_trip():
    text = m.outside_lanes_message(250.5, 12.75)
    assert m.parse_percentage("outside_route_lanes", text) == 12.75
    assert m.parse_outside_lanes_metres(text) == 250.5
    # percentages are rounded to 2 digits; huge ratios come out in exponent form (1e+20)
    assert m.parse_percentage("min_speed_infractions", m.min_speed_message(1e-5)) == 0.0
    assert m.parse_percentage("min_speed_infractions", m.min_speed_message(1e20)) == 1e20
    assert m.parse_percentage("red_light", "anything") is None
    event = m.infraction_from_message("collisions_layout", m.collision_message("static.prop", 3, (-1.5, 2.25, 0.0)))
    assert event.location == (-1.5, 2.25, 0.0)
    assert event.value is None


def test_unreadable_messages_raise_helpful_errors():
    with pytest.raises(ScoringError, match="outside_lanes_message"):
        m.parse_outside_lanes_metres("went off road")
    with pytest.raises(ScoringError, match="location must be"):
        m.blocked_message((1.0, 2.0))
