"""Normalized Driving Score: per-km exponents with coefficients scaled by 0.2."""

import pytest

from lead_framework.scoring import Infraction, RouteRecord, global_normalized_score, normalized_score
from lead_framework.scoring import messages as m


def long_route():
    """10 km route, RC 40 -> 4 km driven; 2 vehicle collisions, 1 red light, min speed 50 %, 10 % off lanes."""
    return RouteRecord(
        route_id="long",
        route_length_m=10_000.0,
        score_route=40.0,
        infractions=[
            Infraction(key="collisions_vehicle", message="c1"),
            Infraction(key="collisions_vehicle", message="c2"),
            Infraction(key="red_light", message="r"),
            Infraction(key="min_speed_infractions", message=m.min_speed_message(50.0), value=50.0),
            Infraction(key="outside_route_lanes", message=m.outside_lanes_message(400.0, 10.0), value=10.0),
            Infraction(key="route_timeout", message="Route timeout."),
        ],
    )


def test_nds_hand_example():
    # vehicle: (0.2 * 0.6) ** (2 / 4 km) = 0.12 ** 0.5 = 0.346410
    # red light: (0.2 * 0.7) ** (1 / 4) = 0.14 ** 0.25 = 0.611691   -> product 0.211896
    # min speed 50 %: 1 - 0.3 * 0.5 = 0.85 ; outside 10 %: 0.9     -> IS_norm = 0.211896 * 0.85 * 0.9 = 0.162100
    # route timeout carries no coefficient; NDS = 40 * 0.162100 = 6.484016
    score = normalized_score(long_route())
    assert score.is_norm == pytest.approx(0.1621004, abs=1e-6)
    assert score.nds == pytest.approx(6.484016, abs=1e-5)


def test_nds_is_gentler_than_ds_on_long_routes():
    # the plain IS of the same events: 0.6 * 0.6 * 0.7 * 0.85 * 0.9 = 0.19278
    assert normalized_score(long_route()).is_norm < 0.19278 < 1.0
    many = long_route()
    many.infractions = [Infraction(key="collisions_vehicle", message=str(i)) for i in range(12)]
    many.route_length_m = 100_000.0
    # 12 collisions over 40 km driven: IS would be 0.6 ** 12 = 0.00218, IS_norm = 0.12 ** (12 / 40) = 0.52960
    assert normalized_score(many).is_norm == pytest.approx(0.12**0.3)


def test_route_without_distance_gets_no_per_km_factor():
    still = RouteRecord(route_id="still", route_length_m=500.0, score_route=0.0,
                        infractions=[Infraction(key="collisions_pedestrian", message="p")])
    assert normalized_score(still).is_norm == 1.0
    assert normalized_score(still).nds == 0.0


def test_global_nds_counts_missing_routes_as_zero():
    perfect = RouteRecord(route_id="p", route_length_m=1000.0, score_route=100.0)
    # (6.484016 + 100 + 0) / 3 = 35.494672 ; IS_norm (0.162100 + 1 + 0) / 3 = 0.387367
    result = global_normalized_score([long_route(), perfect], expected=3)
    assert result.nds == pytest.approx(35.494672, abs=1e-5)
    assert result.is_norm == pytest.approx(0.387367, abs=1e-6)
    assert global_normalized_score([]).nds == 0.0
