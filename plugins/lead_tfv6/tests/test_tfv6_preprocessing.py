"""Pure preprocessing and label helpers shared by the data pipeline and the driving agent."""

import itertools
import math

import numpy as np
import pytest
import torch
from lead_tfv6 import TFv6Config, preset_config
from lead_tfv6.batch import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    lidar_to_histogram,
    make_synthetic_batch,
    normalize_camera,
)
from lead_tfv6.heads.bev import bev_visibility_mask
from lead_tfv6.heads.centernet import bin_to_yaw, centernet_targets, yaw_to_bin
from lead_tfv6.matching import exact_assignment, linear_assignment
from lead_tfv6.planning import decode_two_hot, encode_two_hot


def test_lidar_histogram_hand_checked():
    config = TFv6Config()  # x [-32, 64], y [-40, 40], 4 px/m -> (1, 320, 384)
    points = np.array(
        [
            [0.0, 0.0, 0.0],  # row (0 + 40) * 4 = 160, col (0 + 32) * 4 = 128
            [0.1, 0.1, 1.0],  # same cell
            [10.3, -5.2, 2.0],  # row floor(34.8 * 4) = 139, col floor(42.3 * 4) = 169
            [-32.0, -40.0, 0.0],  # corner cell (0, 0)
            [63.9, 39.9, 0.0],  # last cell (319, 383)
            [64.0, 0.0, 0.0],  # x at max: outside
            [0.0, 0.0, -4.5],  # below min_z
            [0.0, 0.0, 10.5],  # above max_z
        ]
    )
    points = np.concatenate([points, np.tile([[20.0, 20.0, 0.0]], (7, 1))])  # 7 hits: saturates at 5
    histogram = lidar_to_histogram(points, config)
    assert histogram.shape == (1, 320, 384) and histogram.dtype == np.float32
    expected = {(160, 128): 0.4, (139, 169): 0.2, (0, 0): 0.2, (319, 383): 0.2, (240, 208): 1.0}
    for (row, col), value in expected.items():
        assert histogram[0, row, col] == pytest.approx(value)
    assert histogram.sum() == pytest.approx(sum(expected.values()))


def test_lidar_histogram_rejects_bad_points():
    with pytest.raises(ValueError, match=r"\(N, >=3\)"):
        lidar_to_histogram(np.zeros((4, 2)), TFv6Config())


def test_camera_normalisation_and_resize():
    config = preset_config("tiny")
    image = np.full((256, 768, 3), (255, 0, 128), dtype=np.uint8)
    tensor = normalize_camera(image, config)
    assert tensor.shape == (3, 128, 384) and tensor.dtype == np.float32
    expected = (np.array([255, 0, 128]) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    np.testing.assert_allclose(tensor[:, 5, 7], expected, rtol=1e-5)
    with pytest.raises(ValueError, match="uint8"):
        normalize_camera(image.astype(np.float32), config)


def test_two_hot_encoding_and_brake():
    classes = TFv6Config().target_speed_classes
    labels = encode_two_hot(torch.tensor([0.0, 6.0, 20.0, 30.0, 9.0]), classes, brake=torch.tensor([False, False, False, False, True]))
    torch.testing.assert_close(labels.sum(dim=1), torch.ones(5))
    assert labels[0, 0] == 1.0
    assert labels[1, 1] == pytest.approx(0.5) and labels[1, 2] == pytest.approx(0.5)
    assert labels[2, -1] == 1.0 and labels[3, -1] == 1.0
    assert labels[4, 0] == 1.0  # brake forces class 0
    decoded = decode_two_hot(labels[:3], classes)
    torch.testing.assert_close(decoded, torch.tensor([0.0, 6.0, 20.0]))


def test_exact_assignment_matches_brute_force():
    rng = np.random.default_rng(0)
    for rows, cols in [(4, 4), (3, 5), (5, 3), (6, 6)]:
        cost = rng.random((rows, cols))
        r, c = exact_assignment(cost)
        best = min(
            sum(cost[i, j] for i, j in zip(perm_rows, perm_cols))
            for perm_rows in [range(rows)] if rows <= cols
            for perm_cols in itertools.permutations(range(cols), rows)
        ) if rows <= cols else min(
            sum(cost[i, j] for i, j in zip(perm_rows, range(cols))) for perm_rows in itertools.permutations(range(rows), cols)
        )
        assert cost[r, c].sum() == pytest.approx(best)
        assert list(r) == sorted(r) and len(set(c)) == len(c) == min(rows, cols)
        r2, c2 = linear_assignment(cost)
        assert cost[r2, c2].sum() == pytest.approx(best)


def test_yaw_bins_round_trip():
    yaws = np.linspace(-math.pi, math.pi - 1e-3, 50)
    bins, residuals = yaw_to_bin(yaws, 12)
    assert bins.min() >= 0 and bins.max() < 12 and np.abs(residuals).max() <= math.pi / 12 + 1e-9
    decoded = bin_to_yaw(torch.from_numpy(bins), torch.from_numpy(residuals), 12).numpy()
    np.testing.assert_allclose(np.angle(np.exp(1j * (decoded - yaws))), 0.0, atol=1e-6)


def test_centernet_targets_hand_checked():
    config = TFv6Config()  # grid 80x96 cells of 1 m, origin (-32, -40)
    boxes = np.array([[10.5, -3.25, 4.0, 2.0, 0.0, 5.0, 2], [200.0, 0.0, 4.0, 2.0, 0.0, 1.0, 0]])
    targets = centernet_targets(boxes, config)
    row, col = 36, 42  # floor(-3.25 + 40), floor(10.5 + 32)
    assert targets["center_heatmap"][2, row, col] == 1.0
    assert targets["center_heatmap"][2].sum() > 1.0  # Gaussian spread around the peak
    assert targets["center_heatmap"][0].sum() == 0.0  # second box is outside the BEV area
    np.testing.assert_allclose(targets["center_offset"][:, row, col], [0.5, 0.75])
    np.testing.assert_allclose(targets["center_wh"][:, row, col], [4.0, 2.0])
    assert targets["center_velocity"][0, row, col] == 5.0
    assert targets["center_pixel_weight"].sum() == 2.0 and targets["center_avg_factor"] == 1.0


def test_bev_visibility_covers_the_camera_fan_only():
    config = TFv6Config()
    mask = bev_visibility_mask(config)
    assert mask.shape == (320, 384)
    ahead = (160, 128 + 40)  # 10 m ahead
    behind = (160, 128 - 40)  # 10 m behind
    side = (160 + 40, 128 + 1)  # 10 m right, 0.25 m ahead: bearing ~88.6 deg > 84.5
    assert mask[ahead] and not mask[behind] and not mask[side]


def test_synthetic_batch_is_deterministic():
    config = preset_config("tiny")
    a, b = make_synthetic_batch(config, 2, seed=7), make_synthetic_batch(config, 2, seed=7)
    c = make_synthetic_batch(config, 2, seed=8)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert not torch.equal(a["lidar"], c["lidar"])
