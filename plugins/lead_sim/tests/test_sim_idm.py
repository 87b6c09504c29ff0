"""The IDM shared by background traffic and scenario actors."""

import math

import numpy as np
import pytest

from lead_sim.idm import IdmParameters, idm_acceleration

PARAMS = IdmParameters(max_accel=2.0, comfortable_decel=3.0, max_decel=8.0, min_gap_m=2.0, time_headway_s=1.2)


def test_free_road_starts_at_full_acceleration_and_settles_at_the_desired_speed():
    assert idm_acceleration(PARAMS, 0.0, 10.0, np.inf, 0.0) == pytest.approx(2.0)
    assert idm_acceleration(PARAMS, 10.0, 10.0, np.inf, 0.0) == pytest.approx(0.0)
    assert idm_acceleration(PARAMS, 5.0, 10.0, np.inf, 0.0) == pytest.approx(2.0 * (1 - 0.5**4))


def test_a_leader_at_the_desired_gap_cancels_the_acceleration_term():
    speed, leader = 8.0, 6.0
    desired_gap = 2.0 + speed * 1.2 + speed * (speed - leader) / (2 * math.sqrt(2.0 * 3.0))
    accel = idm_acceleration(PARAMS, speed, 16.0, desired_gap, leader)
    assert accel == pytest.approx(-2.0 * (speed / 16.0) ** 4)


def test_braking_is_limited_and_a_zero_desired_speed_stops_the_driver():
    assert idm_acceleration(PARAMS, 10.0, 10.0, 0.0, 0.0) == pytest.approx(-8.0)
    assert idm_acceleration(PARAMS, 3.0, 0.0, np.inf, 0.0) == pytest.approx(-2.0)


def test_arrays_give_the_same_values_as_floats_one_by_one():
    speed = np.array([0.0, 4.0, 9.0, 12.0])
    desired = np.array([10.0, 8.0, 9.0, 0.0])
    gap = np.array([np.inf, 15.0, 3.0, 40.0])
    leader = np.array([0.0, 4.0, 2.0, 12.0])
    together = idm_acceleration(PARAMS, speed, desired, gap, leader)
    one_by_one = [idm_acceleration(PARAMS, *row) for row in zip(speed, desired, gap, leader)]
    assert isinstance(one_by_one[0], float)
    np.testing.assert_allclose(together, one_by_one)
