"""IDM target speeds against numbers worked out by hand, and the planner's minimum over hazards."""

import math

import pytest
from lead_expert_pdm.idm import (
    GAPS,
    HazardType,
    IdmConstants,
    IdmPlanner,
    idm_target_speed,
)


def test_red_light_ahead_at_speed():
    # v = 10 > 6.02 so b = 3.72; sqrt(a b) = sqrt(24 * 3.72) = 9.44881
    # s* = 6 + 10 * 0.1 + 10 * 10 / (2 * 9.44881) = 12.29167; (s* / 30)^2 = 0.167873
    # a_idm = 24 * (1 - (10/10)^4 - 0.167873) = -4.02896; target = 10 - 4.02896 / 20 = 9.79855
    assert idm_target_speed(10.0, 10.0, 30.0, 0.0, GAPS[HazardType.RED_LIGHT]) == pytest.approx(9.79855, abs=1e-5)


def test_following_at_low_speed_uses_the_low_speed_deceleration():
    # v = 4 < 6.02 so b = 8.7 (irrelevant: same speed as the leader); s* = 4 + 4 * 0.25 = 5
    # a_idm = 24 * (1 - (4/8)^4 - (5/10)^2) = 24 * 0.6875 = 16.5; target = 4 + 16.5 / 20 = 4.825
    assert idm_target_speed(8.0, 4.0, 10.0, 4.0, GAPS[HazardType.LEADING_VEHICLE]) == pytest.approx(4.825)


def test_closing_speed_term_uses_the_speed_dependent_deceleration():
    constants = IdmConstants()
    # v = 5 < 6.02: b = 8.7, sqrt(24 * 8.7) = 14.4499; s* = 4 + 1.25 + 5 * 5 / 28.8999 = 6.11505
    # a_idm = 24 * (1 - (5/8)^4 - (6.11505/20)^2) = 24 * (1 - 0.152588 - 0.093485) = 18.09422
    expected = 5.0 + 24 * (1 - (5 / 8) ** 4 - ((4 + 1.25 + 25 / (2 * math.sqrt(24 * 8.7))) / 20) ** 2) / 20
    assert expected == pytest.approx(5.0 + 18.09422 / 20, abs=1e-4)
    assert idm_target_speed(8.0, 5.0, 20.0, 0.0, GAPS[HazardType.PEDESTRIAN], constants) == pytest.approx(expected)


def test_stops_inside_the_minimum_gap_and_accelerates_per_frame_on_a_free_road():
    assert idm_target_speed(8.0, 0.0, 3.0, 0.0, GAPS[HazardType.PEDESTRIAN]) == 0.0
    # free road from standstill: a = 24 per frame of 1/20 s -> +1.2 m/s
    assert idm_target_speed(8.0, 0.0, 1e9, 0.0, GAPS[HazardType.PEDESTRIAN]) == pytest.approx(1.2)
    # 7.9 + 1.2 * (1 - 0.9875^4) = 7.9 + 1.2 * 0.04907 = 7.95888; from above the desired speed it is capped at it
    assert idm_target_speed(8.0, 7.9, 1e9, 0.0, GAPS[HazardType.PEDESTRIAN]) == pytest.approx(7.95888, abs=1e-5)
    assert idm_target_speed(8.0, 7.0, 1e9, 0.0, GAPS[HazardType.PEDESTRIAN], IdmConstants(max_accel=100.0)) == 8.0


def test_gap_constants_are_pdm_lites():
    assert (GAPS[HazardType.LEADING_VEHICLE].s0, GAPS[HazardType.LEADING_VEHICLE].headway) == (4.0, 0.25)
    assert (GAPS[HazardType.RED_LIGHT].s0, GAPS[HazardType.RED_LIGHT].headway) == (6.0, 0.1)
    assert (GAPS[HazardType.STOP_SIGN].s0, GAPS[HazardType.STOP_SIGN].headway) == (2.0, 0.1)
    assert (GAPS[HazardType.TWO_WAY].s0, GAPS[HazardType.TWO_WAY].headway) == (2.0, 0.1)


def test_planner_takes_the_binding_hazard():
    planner = IdmPlanner()
    assert planner.target_speed(8.0, 6.0, []) == (8.0, None)
    speed, binding = planner.target_speed(8.0, 6.0, [(HazardType.LEADING_VEHICLE, 40.0, 6.0), (HazardType.STOP_SIGN, 3.0, 0.0)])
    assert binding is HazardType.STOP_SIGN
    assert speed == idm_target_speed(8.0, 6.0, 3.0, 0.0, GAPS[HazardType.STOP_SIGN])
