"""From plans to controls: look-ahead, lateral PID, brake rule, heuristics and the GNSS filter (hand-checked)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lead_tfv6.agent.control import (
    CREEP_AFTER_TICKS,
    CREEP_RESET_SPEED_MS,
    CREEP_TICKS,
    GUARD_MIN_M,
    GUARD_TIME_S,
    MOVING_SPEED_MS,
    STOP_SIGN_SPEED_MS,
    TFv6Controller,
    lookahead_index,
    in_corridor,
)
from lead_tfv6.agent.inference import Plan
from lead_tfv6.agent.localization import GnssKalmanFilter, yaw_from_compass
from lead_tfv6.data.labels import BEV_STOP_SIGN
from lead_tfv6.presets import preset_config

CONFIG = preset_config("tiny")


def _plan(route, target_speed=8.0, brake=False, bev=None, stop_probability=1 / 8) -> Plan:
    route = np.asarray(route, dtype=np.float64)
    probabilities = np.full(8, (1 - stop_probability) / 7)
    probabilities[0] = stop_probability
    return Plan(route=route, waypoints=route[:8], target_speed=target_speed, brake=brake,
                speed_probabilities=probabilities, bev_source=None if bev is None else (lambda: bev))


def _straight(lateral=0.0):
    return [[2.5 + i, lateral] for i in range(10)]


@pytest.mark.parametrize(
    ("speed", "index"),
    [(0.0, 0),  # clip(1.915, 24, 105) / 10 - 2 = 0.4
     (10.0, 1),  # (0.9755 * 36 + 1.915) / 10 - 2 = 1.70
     (20.0, 5),  # (0.9755 * 72 + 1.915) / 10 - 2 = 5.21
     (40.0, 8)],  # clipped at 105: 8.5
)
def test_lookahead_index_by_hand(speed, index):
    assert lookahead_index(speed, 10) == index


def test_lateral_pid_by_hand():
    controller = TFv6Controller(CONFIG)
    route = _straight()
    route[0] = [10.0, 1.0]  # aim point at standstill: 5.71 deg to the right
    control, debug = controller.step(_plan(route), speed=0.0)
    first = math.degrees(math.atan2(1.0, 10.0)) / 90.0
    assert debug.aim_index == 0
    assert control.steer == pytest.approx((3.12 + 0.64) * first)  # P + I (mean of one error), no D yet
    route[0] = [10.0, -2.0]
    control, _ = controller.step(_plan(route), speed=0.0)
    second = math.degrees(math.atan2(-2.0, 10.0)) / 90.0
    assert control.steer == pytest.approx(3.12 * second + 0.64 * (first + second) / 2 + 1.38 * (second - first))


def test_brake_rule():
    controller = TFv6Controller(CONFIG)
    stop, _ = controller.step(_plan(_straight(), target_speed=0.0), speed=3.0)
    assert (stop.throttle, stop.brake) == (0.0, 1.0)
    tiny, _ = controller.step(_plan(_straight(), target_speed=0.009), speed=0.0)
    assert tiny.brake == 1.0
    too_fast, _ = controller.step(_plan(_straight(), target_speed=10.0), speed=11.01)
    assert (too_fast.throttle, too_fast.brake) == (0.0, 1.0)
    close, _ = controller.step(_plan(_straight(), target_speed=10.0), speed=10.9)
    assert close.brake == 0.0
    accelerate, _ = controller.step(_plan(_straight(), target_speed=10.0), speed=5.0)
    assert accelerate.brake == 0.0 and accelerate.throttle > close.throttle


def test_creeping_after_a_long_stop_unless_blocked():
    lidar_free = np.array([[30.0, 0.0, 1.0, 0.5]], np.float32)
    lidar_blocked = np.array([[5.0, 0.3, 1.0, 0.5]], np.float32)
    for lidar, creeps in ((lidar_free, True), (lidar_blocked, False)):
        controller = TFv6Controller(CONFIG, creep=True)
        for _ in range(CREEP_AFTER_TICKS):
            control, debug = controller.step(_plan(_straight(), target_speed=0.0), speed=0.0, lidar=lidar)
            assert control.brake == 1.0 and not debug.creeping
        control, debug = controller.step(_plan(_straight(), target_speed=0.0), speed=0.0, lidar=lidar)
        assert debug.creeping == creeps and (control.throttle > 0.0) == creeps
    controls = [controller.step(_plan(_straight(), 0.0), speed=0.0, lidar=lidar_free)[1].creeping for _ in range(CREEP_TICKS)]
    assert sum(controls) == CREEP_TICKS - 1  # the creep window started one tick earlier
    assert not TFv6Controller(CONFIG).step(_plan(_straight(), 0.0), speed=0.0)[1].creeping


def test_rolling_forward_now_and_then_still_counts_as_stuck():
    controller = TFv6Controller(CONFIG, creep=True)
    lidar_free = np.array([[30.0, 0.0, 1.0, 0.5]], np.float32)
    for tick in range(CREEP_AFTER_TICKS):  # every 50th tick the model lets the car roll a little
        speed = 0.4 if tick % 50 == 0 else 0.0
        assert not controller.step(_plan(_straight(), target_speed=0.0), speed=speed, lidar=lidar_free)[1].creeping
    assert controller.step(_plan(_straight(), target_speed=0.0), speed=0.0, lidar=lidar_free)[1].creeping
    driving = TFv6Controller(CONFIG, creep=True)
    for tick in range(2 * CREEP_AFTER_TICKS):  # stopping now and then while driving is not being stuck
        speed = CREEP_RESET_SPEED_MS if tick % 500 == 0 else 0.0
        assert not driving.step(_plan(_straight(), target_speed=0.0), speed=speed, lidar=lidar_free)[1].creeping


def test_stop_sign_slowdown_caps_the_target_speed():
    bev = np.zeros((CONFIG.lidar_height, CONFIG.lidar_width), np.uint8)
    row = int((0.0 - CONFIG.min_y) * CONFIG.pixels_per_meter)
    col = int((6.0 - CONFIG.min_x) * CONFIG.pixels_per_meter)
    bev[row, col] = BEV_STOP_SIGN  # a stop sign 6 m ahead
    _, slowed = TFv6Controller(CONFIG, stop_sign_slowdown=True).step(_plan(_straight(), 8.0, bev=bev), speed=5.0)
    assert slowed.stop_sign and slowed.target_speed == STOP_SIGN_SPEED_MS
    _, ignored = TFv6Controller(CONFIG).step(_plan(_straight(), 8.0, bev=bev), speed=5.0)
    assert not ignored.stop_sign and ignored.target_speed == 8.0
    far = np.zeros_like(bev)
    far[row, int((30.0 - CONFIG.min_x) * CONFIG.pixels_per_meter)] = BEV_STOP_SIGN
    assert not TFv6Controller(CONFIG, stop_sign_slowdown=True).step(_plan(_straight(), 8.0, bev=far), speed=5.0)[1].stop_sign


def test_compass_and_gnss_filter():
    assert yaw_from_compass(math.pi / 2) == pytest.approx(0.0)  # facing east = CARLA +x
    assert yaw_from_compass(math.pi) == pytest.approx(math.pi / 2)  # facing south = CARLA +y
    rng = np.random.default_rng(0)
    kalman, dt, speed = GnssKalmanFilter(), 0.05, 8.0
    raw_errors, filtered_errors = [], []
    for tick in range(200):
        truth = np.array([speed * dt * tick, 0.0])
        measured = truth + rng.normal(0.0, 0.5, 2)
        filtered = kalman.update(measured, 0.0, speed, dt)
        if tick > 20:
            raw_errors.append(np.linalg.norm(measured - truth))
            filtered_errors.append(np.linalg.norm(filtered - truth))
    assert np.mean(filtered_errors) < 0.5 * np.mean(raw_errors)


def test_moving_brake_threshold_brakes_while_moving_but_lets_the_car_pull_away():
    plan = _plan(_straight(), target_speed=1.2, stop_probability=0.75)  # the plan did not brake (0.75 < 0.9)
    moving, debug = TFv6Controller(CONFIG, moving_brake_threshold=0.7).step(plan, speed=MOVING_SPEED_MS)
    assert debug.moving_brake and debug.target_speed == 0.0 and (moving.throttle, moving.brake) == (0.0, 1.0)
    standing, debug = TFv6Controller(CONFIG, moving_brake_threshold=0.7).step(plan, speed=0.0)
    assert not debug.moving_brake and standing.throttle > 0.0 and standing.brake == 0.0
    unsure, debug = TFv6Controller(CONFIG, moving_brake_threshold=0.8).step(plan, speed=5.0)
    assert not debug.moving_brake and debug.target_speed == 1.2
    off, debug = TFv6Controller(CONFIG).step(plan, speed=5.0)
    assert not debug.moving_brake and debug.target_speed == 1.2


def _box(x, y, z=1.0, size=1.0):
    """LiDAR points (x, y, z, tag) of a block of ``size`` metres centred on (x, y)."""
    half = size / 2
    grid = np.stack(np.meshgrid(np.linspace(-half, half, 5), np.linspace(-half, half, 5)), -1).reshape(-1, 2)
    return np.column_stack([grid + [x, y], np.full(len(grid), z), np.zeros(len(grid))]).astype(np.float32)


def _left_turn():
    """A route that bends 90 degrees to the left (negative y) on a 10 m radius."""
    angles = np.linspace(0.0, math.pi / 2, 24)
    return np.column_stack([10.0 * np.sin(angles), -10.0 * (1 - np.cos(angles))])[2:]


def test_corridor_follows_the_route_around_a_bend():
    route = _left_turn()
    on_bend = np.array([[10.0 * math.sin(0.9), -10.0 * (1 - math.cos(0.9))]])  # on the route, ~9 m along it
    straight_ahead = [9.0, 0.0]  # where a straight corridor would be, outside the bend
    points = np.array([on_bend[0], straight_ahead])
    assert in_corridor(points, route, 2.4, 12.0, 1.3).tolist() == [True, False]
    assert in_corridor(points, route, 2.4, 8.0, 1.3).tolist() == [False, False]  # beyond the corridor's end
    assert in_corridor(np.zeros((0, 2)), route, 2.4, 12.0, 1.3).shape == (0,)


def test_collision_guard_brakes_for_points_ahead_on_the_route_only():
    plan = _plan(_straight(), target_speed=8.0)
    speed = 5.0
    reach = GUARD_MIN_M + GUARD_TIME_S * speed
    ahead = _box(reach - 1.0, 0.0)
    control, debug = TFv6Controller(CONFIG, collision_guard=True).step(plan, speed, ahead)
    assert debug.guard and debug.target_speed == 0.0 and control.brake == 1.0
    for lidar in (_box(reach + 2.0, 0.0), _box(reach - 1.0, 3.5), _box(reach - 1.0, 0.0, z=0.1), _box(-5.0, 0.0)):
        assert not TFv6Controller(CONFIG, collision_guard=True).step(plan, speed, lidar)[1].guard
    assert not TFv6Controller(CONFIG).step(plan, speed, ahead)[1].guard  # off by default
    pole, cone = _box(reach - 1.0, 0.0, size=0.2), _box(reach - 1.0, 0.0, size=0.5)
    assert not TFv6Controller(CONFIG, collision_guard=True).step(plan, speed, pole)[1].guard
    assert TFv6Controller(CONFIG, collision_guard=True).step(plan, speed, cone)[1].guard
    assert TFv6Controller(CONFIG, collision_guard=True).step(plan, speed, np.vstack([pole, _box(reach - 2.0, 0.8, size=0.2)]))[1].guard
    standing = TFv6Controller(CONFIG, collision_guard=True).step(plan, 0.0, _box(reach - 1.0, 0.0))[1]
    assert not standing.guard  # the reach shrinks to GUARD_MIN_M at a standstill
