"""Sample members and ego-frame labels of the collect stage (pure functions, no world needed)."""

import math

import numpy as np
import pytest

from lead_framework.frame_labels import (
    lidar_points,
    radar_points,
    shifted_pose,
    stitch_depth,
    stitch_semantics,
    to_ego_frame,
    weather_name,
)
from lead_framework.frame_recorder import Perturbation, boxes_in_shifted_frame, path_leaves_route, sample_perturbation
from lead_framework.sensors import Pose


def carla_depth_image(metres: np.ndarray) -> np.ndarray:
    """BGRA bytes of CARLA's 24-bit depth encoding (1000 m far plane)."""
    code = np.round(metres / 1000.0 * (256**3 - 1)).astype(np.int64)
    return np.stack([code // 65536, (code // 256) % 256, code % 256, np.full_like(code, 255)], -1).astype(np.uint8)


def test_depth_is_linear_metres_at_quarter_resolution():
    metres = np.full((8, 8), 10.0)
    metres[:4, :4] = 30.0
    metres[4:, 4:] = 80.0  # beyond 50 m saturates
    image = stitch_depth([carla_depth_image(metres)])
    assert image.shape == (2, 2)
    assert image.tolist() == [[153, 51], [51, 255]]  # 30 m -> 153, 10 m -> 51


def test_semantic_tags_become_tfv6_classes():
    tags = np.array([[1, 2, 24, 14], [12, 13, 7, 20]], np.uint8)
    image = np.zeros((2, 4, 4), np.uint8)
    image[..., 2] = tags
    assert stitch_semantics([image, image]).tolist() == [[1, 2, 3, 4] * 2, [5, 6, 7, 9] * 2]


def test_sensor_points_move_into_the_ego_frame():
    # a LiDAR on the roof turned 90 degrees right: its x axis is the ego's y axis
    data = np.array([[10.0, 0.0, -2.5, 1.0, 7.0, 14.0]], np.float32)
    assert lidar_points([(Pose(z=2.5, yaw=90.0), data)])[0].tolist() == pytest.approx([0.0, 10.0, 0.0, 14.0], abs=1e-5)
    # radar rows (depth, altitude, azimuth, velocity); the rest of its 75 slots are padding
    radar = radar_points([(Pose(x=2.6, z=0.6, yaw=0.0), np.array([[10.0, 0.0, math.pi / 2, -3.0]]))], per_sensor=75)
    assert radar.shape == (75, 5)
    assert radar[0].tolist() == pytest.approx([2.6, 10.0, 0.6, -3.0, 0.0], abs=1e-5)
    assert (radar[1:, 4] == -1).all()


def test_perturbed_frame_labels_agree_with_the_shifted_pose():
    x, y, yaw = 10.0, 5.0, 0.3
    perturbation = Perturbation(lateral_m=0.8, yaw_rad=0.1)
    px, py, pyaw = shifted_pose(x, y, yaw, perturbation.lateral_m, perturbation.yaw_rad)
    world_point = np.array([30.0, -2.0])
    box = {"position": [*to_ego_frame(world_point, (x, y), yaw).tolist(), 0.7], "yaw": 0.2}
    moved = boxes_in_shifted_frame([box], perturbation)[0]
    assert moved["position"][:2] == pytest.approx(to_ego_frame(world_point, (px, py), pyaw).tolist())
    assert moved["yaw"] == pytest.approx(0.1)
    # the shifted origin lies lateral_m to the ego's right
    assert to_ego_frame(np.array([px, py]), (x, y), yaw).tolist() == pytest.approx([0.0, 0.8])


def test_perturbation_range_and_weather_names():
    rng = np.random.default_rng(0)
    draws = [sample_perturbation(rng, lane_gap_m=0.6) for _ in range(200)]
    assert all(0.1 <= abs(d.lateral_m) <= 0.6 and abs(d.yaw_rad) <= math.radians(12.5) for d in draws)
    assert {d.lateral_m > 0 for d in draws} == {True, False}
    assert weather_name(5, 0, 90) == "clear_noon" and weather_name(80, 70, -10) == "hardrain_night"


def test_a_path_leaves_the_route_only_beyond_the_tolerance_and_before_the_route_ends():
    # an L-shaped route sampled every metre: 30 m east, then north
    route = np.array([[x, 0.0] for x in range(31)] + [[30.0, y] for y in range(1, 20)], float)
    assert not path_leaves_route(route.copy(), route, 1.0)
    # a smoothed corner (0.7 m inside the bend) is not a shift
    assert not path_leaves_route(np.array([[28.0, 0.0], [29.5, 0.5], [30.0, 2.0]]), route, 1.0)
    # a bypass 3 m to the side of the straight part is
    bypass = route.copy()
    bypass[10:20, 1] += 3.0
    assert path_leaves_route(bypass, route, 1.0)
    # where the world's route ends (its samples repeat the last point) the path may go on ahead,
    # but not leave it sideways
    ending = np.concatenate([route[:40], np.repeat(route[39:40], 10, axis=0)])
    assert not path_leaves_route(route, ending, 1.0)
    assert not path_leaves_route(np.array([[30.0, y] for y in range(15, 30)], float), route, 1.0)
    assert path_leaves_route(np.array([[30.0, 17.0], [33.0, 19.0]]), route, 1.0)
    assert not path_leaves_route(None, route, 1.0)
