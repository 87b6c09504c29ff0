"""Leaderboard 2.0 route files: reading, writing, round trip and error messages."""

from __future__ import annotations

import textwrap

import pytest

from lead_framework.route import Location, RouteSpec, ScenarioSpec, TriggerPoint, Weather
from lead_framework.route_xml import RouteFileError, read_routes, write_routes

LEADERBOARD_FILE = textwrap.dedent("""\
    <?xml version="1.0" encoding="UTF-8"?>
    <routes>
      <route id="0" town="Town12">
        <weathers>
          <weather route_percentage="0" cloudiness="5.0" precipitation="0.0" precipitation_deposits="0.0"
                   wetness="0.0" wind_intensity="10.0" sun_azimuth_angle="-1.0" sun_altitude_angle="90.0" fog_density="2.0"/>
          <weather route_percentage="100" cloudiness="80.0" precipitation="30.0" precipitation_deposits="10.0"
                   wetness="40.0" wind_intensity="20.0" sun_azimuth_angle="120.0" sun_altitude_angle="15.0" fog_density="7.5"/>
        </weathers>
        <waypoints>
          <position x="983.5" y="5382.2" z="371"/>
          <position x="824.2" y="5575.3" z="371"/>
        </waypoints>
        <scenarios>
          <scenario name="ParkingExit_1" type="ParkingExit">
            <trigger_point x="983.5" y="5382.2" z="371" yaw="90"/>
            <direction value="right"/>
            <front_vehicle_distance value="9"/>
          </scenario>
          <scenario name="SignalizedJunctionLeftTurn_1" type="SignalizedJunctionLeftTurn">
            <trigger_point x="571.1" y="5579.4" z="370" yaw="180"/>
            <flow_speed value="16.6"/>
            <source_dist_interval from="30" to="65"/>
            <other_actor_location x="1.5" y="-2.0" z="0.3"/>
          </scenario>
        </scenarios>
      </route>
    </routes>
""")

BENCH2DRIVE_FILE = textwrap.dedent("""\
    <?xml version="1.0" encoding="UTF-8"?>
    <routes>
      <route id="2087" town="Town05">
        <waypoints>
          <position x="-38.1" y="-86.3" z="0.0"/>
          <position x="-38.1" y="-84.3" z="0.0"/>
          <position x="-38.1" y="-82.3" z="0.0"/>
        </waypoints>
        <scenarios>
          <scenario name="Accident_1" type="Accident">
            <trigger_point x="-38.1" y="-86.3" z="0.0" yaw="90.0"/>
            <distance value="60"/>
          </scenario>
        </scenarios>
        <weathers>
          <weather route_percentage="0" cloudiness="30.0" precipitation="0.0" precipitation_deposits="0.0"
                   wetness="0.0" wind_intensity="5.0" sun_azimuth_angle="45.0" sun_altitude_angle="60.0" fog_density="0.0"/>
        </weathers>
      </route>
    </routes>
""")


def _write(tmp_path, text: str, name: str = "routes.xml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_leaderboard_route(tmp_path):
    (route,) = read_routes(_write(tmp_path, LEADERBOARD_FILE))
    assert route.id == "0" and route.town == "Town12"
    assert route.waypoints == [Location(983.5, 5382.2, 371.0), Location(824.2, 5575.3, 371.0)]
    assert [w.route_percentage for w in route.weathers] == [0.0, 100.0]
    assert route.weathers[1].fog_density == 7.5 and route.weathers[1].sun_altitude_angle == 15.0
    parking, left_turn = route.scenarios
    assert parking.type == "ParkingExit" and parking.trigger == TriggerPoint(983.5, 5382.2, 371.0, 90.0)
    assert parking.params == {"direction": {"value": "right"}, "front_vehicle_distance": {"value": "9"}}
    assert left_turn.params["source_dist_interval"] == {"from": "30", "to": "65"}
    assert left_turn.params["other_actor_location"] == {"x": "1.5", "y": "-2.0", "z": "0.3"}


def test_reads_bench2drive_order_with_weathers_last(tmp_path):
    (route,) = read_routes(_write(tmp_path, BENCH2DRIVE_FILE))
    assert len(route.waypoints) == 3
    assert route.weathers[0].cloudiness == 30.0
    assert route.scenarios[0].params == {"distance": {"value": "60"}}


@pytest.mark.parametrize("weathers_last", [False, True])
def test_round_trip_keeps_every_field(tmp_path, weathers_last):
    routes = [
        RouteSpec(
            id="r1", town="grid_small",
            waypoints=[Location(1.25, -2.5, 0.0), Location(60.0, -2.5, 0.125)],
            weathers=[Weather(cloudiness=12.5, fog_distance=3.0, mie_scattering_scale=0.25)],
            scenarios=[ScenarioSpec("HardBreakRoute_1", "HardBreakRoute", TriggerPoint(1.25, -2.5, 0.0, 180.0),
                                    {"distance": {"value": "20"}, "interval": {"from": "1", "to": "3"}})],
            extra={"difficulty": "hard"},
        ),
        RouteSpec(id="r2", town="Town01", waypoints=[Location(0.1, 0.2, 0.3), Location(1.0, 2.0, 3.0)]),
    ]
    path = write_routes(tmp_path / "out.xml", routes, weathers_last=weathers_last)
    assert read_routes(path) == routes
    text = path.read_text()
    assert (text.index("<weathers>") > text.index("<waypoints>")) == weathers_last


def test_official_leaderboard_file_round_trips(tmp_path):
    routes = read_routes(_write(tmp_path, LEADERBOARD_FILE))
    assert read_routes(write_routes(tmp_path / "again.xml", routes)) == routes


def test_malformed_xml_names_file_and_line(tmp_path):
    broken = LEADERBOARD_FILE.replace('<position x="824.2" y="5575.3" z="371"/>', '<position x="824.2" y="5575.3" z="371">')
    path = _write(tmp_path, broken, "broken.xml")
    with pytest.raises(RouteFileError, match=r"broken\.xml:13:\d+: malformed XML: mismatched tag"):
        read_routes(path)


def test_missing_town_names_route_and_line(tmp_path):
    path = _write(tmp_path, LEADERBOARD_FILE.replace(' town="Town12"', ""), "no_town.xml")
    with pytest.raises(RouteFileError, match=r"no_town\.xml \(route 0\):3: .*lacks the attribute 'town'"):
        read_routes(path)


def test_missing_waypoints_is_an_error(tmp_path):
    text = LEADERBOARD_FILE.split("<waypoints>")[0] + "<scenarios/>\n  </route>\n</routes>\n"
    with pytest.raises(RouteFileError, match=r"route 0\):3: route '0' has no <waypoints>"):
        read_routes(_write(tmp_path, text))


def test_non_numeric_coordinate_names_value_and_line(tmp_path):
    path = _write(tmp_path, LEADERBOARD_FILE.replace('x="824.2"', 'x="82,4"'))
    with pytest.raises(RouteFileError, match=r"\(route 0\):12: <position> x='82,4' is not a number"):
        read_routes(path)


def test_missing_file_is_a_route_file_error(tmp_path):
    with pytest.raises(RouteFileError, match="cannot read route file"):
        read_routes(tmp_path / "absent.xml")
