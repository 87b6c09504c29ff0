"""Separating-axis box intersection, the constant-control forecast and the controllers."""

import math

import numpy as np
import pytest
from lead_expert_pdm.bicycle import forecast_constant_control
from lead_expert_pdm.geometry import boxes_intersect, to_local, to_world

from lead_framework.controllers import LateralParameters, LongitudinalController

DIAMOND = (1.0, 1.0)  # a unit square turned by 45 degrees: vertices sqrt(2) from its centre


def test_oriented_boxes_separated_although_their_bounding_boxes_overlap():
    # A spans x in [-2, 2], y in [-1, 1]. The diamond at (3.2, 1.9) has its lower-left edge on
    # x + y = 3.2 + 1.9 - sqrt(2) = 3.686; A's corner (2, 1) has x + y = 3 < 3.686: separated.
    assert not boxes_intersect((0, 0), 0.0, (2.0, 1.0), (3.2, 1.9), math.pi / 4, DIAMOND)
    # At (2.5, 1.2) the edge is x + y = 2.286 < 3: the corner is inside the diamond.
    assert boxes_intersect((0, 0), 0.0, (2.0, 1.0), (2.5, 1.2), math.pi / 4, DIAMOND)


def test_touching_and_broadcast():
    assert boxes_intersect((0, 0), 0.0, (1.0, 1.0), (2.0, 0.0), 0.0, (1.0, 1.0))
    centres = np.array([[[0.0, 0.0], [5.0, 0.0], [0.0, 2.5]]])  # (1, 3, 2)
    hits = boxes_intersect(np.zeros((2, 1, 2)), np.array([[0.0], [math.pi / 2]]), np.array([[[2.0, 1.0]]]),
                           centres, np.zeros((1, 3)), np.array([[[1.0, 1.0]]]))
    # yaw 0: only the box at the origin; yaw 90 deg (A spans y in [-2, 2]): the origin and (0, 2.5)
    assert hits.tolist() == [[True, False, False], [True, False, True]]


def test_frames_round_trip():
    points = np.array([[3.0, 4.0], [-1.0, 2.0]])
    local = to_local(points, np.array([1.0, 1.0]), 0.7)
    assert np.allclose(to_world(local, np.array([1.0, 1.0]), 0.7), points)
    assert np.allclose(to_local(np.array([[1.0, 3.0]]), np.array([1.0, 1.0]), math.pi / 2), [[2.0, 0.0]])


def test_constant_control_forecast_drives_arcs_and_stops():
    xy, yaw, speed = forecast_constant_control(
        np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([0.0, 0.0]), np.array([5.0, 2.0]),
        np.array([5.0 / 10.0, 0.0]), np.array([0.0, -1.0]), steps=40, dt=0.05)
    # vehicle 0: radius 10 m circle, 10 m driven in 2 s -> 1 rad turned
    assert yaw[0, -1] == pytest.approx(1.0)
    assert xy[0, -1] == pytest.approx([10 * math.sin(1.0), 10 * (1 - math.cos(1.0))])
    # vehicle 1: brakes at 1 m/s^2 from 2 m/s: stops after 2 s having driven 2 m
    assert speed[1, -1] == pytest.approx(0.0)
    assert xy[1, -1] == pytest.approx([2.0, 0.0])


def test_controllers():
    params = LateralParameters()
    assert params.lookahead_m(0.0) == pytest.approx(2.4)
    assert params.lookahead_m(40.0) == pytest.approx(10.5)
    longitudinal = LongitudinalController()
    assert longitudinal.step(0.0, 0.0) == (0.0, 1.0)  # full brake holds a stopped car
    assert longitudinal.step(5.0, 6.0) == (0.0, 1.0)  # more than 10 % too fast
    throttle, brake = longitudinal.step(8.0, 2.0)
    assert brake == 0.0 and 0.5 < throttle <= 0.75
