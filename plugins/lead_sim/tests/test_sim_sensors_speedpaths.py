"""The sensors' fast paths against straightforward versions of the same computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lead_framework.frame_labels import DEPTH_RANGE_M, carla_depth_codes, lidar_points, mount_to_ego, stitch_depth
from lead_framework.route import Weather
from lead_framework.sensors import Pose, SensorSpec
from lead_sim.maps.towns import load_town
from lead_sim.scene import ActorArrays, ActorKind, Scene
from lead_sim.sensors import CarlaTag, SensorSuite, decode_depth, encode_depth
from lead_sim.sensors.camera import FAR_M, encode_inverse_depth
from lead_sim.sensors.raycast import ray_box_hits, ray_pair_hits
from lead_sim.sensors.tags import Ground
from lead_sim.sensors.transforms import invert_rigid, pose_matrix, vehicle_matrix

FRONT = Pose(x=0.35, z=2.25)
SIZE, FOV = 96, 60.0
CAR_EXTENT = (2.4, 1.0, 0.75)


@pytest.fixture(scope="module")
def town():
    return load_town("grid_small")


@pytest.fixture(scope="module")
def scene(town) -> Scene:
    """The ego on a straight lane, a car 12 m ahead and a little right, a walker to the left."""
    waypoint = next(w for w in town.map.generate_waypoints(2.0) if not w.is_junction)
    loc, yaw = waypoint.transform.location, math.radians(waypoint.transform.rotation.yaw)
    forward, right = np.array([math.cos(yaw), math.sin(yaw)]), np.array([-math.sin(yaw), math.cos(yaw)])
    rows = [(ActorKind.VEHICLE, 0.0, 0.0, CAR_EXTENT), (ActorKind.VEHICLE, 12.0, 1.5, CAR_EXTENT),
            (ActorKind.WALKER, 7.0, -3.0, (0.3, 0.3, 0.9))]
    position = np.array([[*(np.array([loc.x, loc.y]) + f * forward + r * right), loc.z + e[2]] for _, f, r, e in rows])
    actors = ActorArrays(ids=np.arange(len(rows)) + 10, kinds=np.array([k for k, *_ in rows], np.int8),
                         position=position, yaw=np.array([yaw, yaw + 0.3, yaw]),
                         extent=np.array([e for *_, e in rows], float), velocity=np.zeros((len(rows), 3)),
                         blueprints=["vehicle.lincoln.mkz_2020"] * len(rows))
    return Scene(tick=0, time_s=0.0, actors=actors)


def _reference_depth(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Depth (m along the optical axis) of every pixel centre by casting its ray against the ground plane and
    each box (no rasterisation, no plane coefficients), and the depth of the ground alone."""
    actors = scene.actors
    ego = vehicle_matrix(actors.position[0], float(actors.yaw[0]), float(actors.extent[0, 2]))
    camera_from_world = invert_rigid(ego @ pose_matrix(FRONT))
    focal = SIZE / (2.0 * math.tan(math.radians(FOV) / 2.0))
    u, v = np.meshgrid(np.arange(SIZE, dtype=float), np.arange(SIZE, dtype=float))
    rays = np.stack([np.ones_like(u), (u - SIZE / 2) / focal, -(v - SIZE / 2) / focal], axis=-1)
    length = np.linalg.norm(rays, axis=-1)
    down = -rays[..., 2]
    with np.errstate(divide="ignore"):
        ground = np.where(down > FRONT.z / FAR_M, FRONT.z / down, FAR_M)  # flat ground 2.25 m below
    depth = ground
    rot, trans = camera_from_world[:3, :3], camera_from_world[:3, 3]
    for row in range(1, len(actors)):
        center = actors.position[row] @ rot.T + trans
        yaw = float(actors.yaw[row])
        box_rotation = rot @ np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
        hit, _ = ray_box_hits(rays / length[..., None], center, box_rotation, actors.extent[row])
        depth = np.minimum(depth, hit / length)
    return depth, ground


def test_depth_from_face_planes_matches_ray_casting(town, scene):
    suite = SensorSuite([SensorSpec("depth", "depth", FRONT, {"width": SIZE, "height": SIZE, "fov": FOV})], town)
    rendered = decode_depth(suite.read(scene, Weather(), 0)["depth"][1])
    reference, ground = _reference_depth(scene)
    close = np.abs(rendered - reference) < 0.01 * np.maximum(reference, 1.0)
    # only pixels on an object's outline may differ (polygon filling vs exact ray hits)
    assert close.mean() > 0.97
    on_objects = reference < ground - 0.5
    assert on_objects.sum() > 200 and close[on_objects].mean() > 0.9
    assert (reference < 20).sum() > 0.3 * reference.size and close[reference < 20].mean() > 0.97


def test_inverse_depth_encoding_matches_metric_encoding():
    rng = np.random.default_rng(0)
    depth = np.concatenate([rng.uniform(0.06, 999.0, 5000), [FAR_M, 0.5, 49.999]]).astype(np.float32)
    inverse = (1.0 / depth).astype(np.float32)
    fast = encode_inverse_depth(np.concatenate([inverse, np.float32([0.0, -1.0, 1e-5])]))
    straight = encode_depth(np.concatenate([depth.astype(np.float64), [FAR_M, FAR_M, FAR_M]]))
    codes = lambda image: carla_depth_codes(image[None]).astype(np.int64)[0]  # noqa: E731
    assert np.abs(codes(fast) - codes(straight)).max() <= 2  # float32 rounding: < 0.2 mm
    assert np.array_equal(fast[..., 3], np.full(len(fast), 255))
    assert np.allclose(decode_depth(fast)[:-3], depth, rtol=1e-5, atol=1e-4)


def test_depth_codes_read_the_carla_byte_order():
    codes = np.array([[0, 1, 255, 256, 65535, 65536, 2**24 - 1]], np.uint32)
    bgra = np.zeros(codes.shape + (4,), np.uint8)
    bgra[..., 2], bgra[..., 1], bgra[..., 0], bgra[..., 3] = codes & 255, (codes >> 8) & 255, codes >> 16, 255
    assert np.array_equal(carla_depth_codes(bgra), codes.astype(np.float32))
    assert np.array_equal(encode_depth(codes / (2**24 - 1) * FAR_M), bgra)


def test_stitched_depth_equals_decoded_block_means():
    rng = np.random.default_rng(1)
    metres = [rng.choice([3.0, 17.5, 49.0, 80.0, 1000.0], size=(32, 48)) + rng.uniform(0, 0.5, (32, 48)) for _ in range(2)]
    images = [encode_depth(m) for m in metres]
    stitched = stitch_depth(images)
    expected = []
    for image in images:
        blocks = decode_depth(image).reshape(8, 4, 12, 4).mean(axis=(1, 3))
        expected.append(np.round(np.minimum(blocks, DEPTH_RANGE_M) * 255.0 / DEPTH_RANGE_M))
    assert stitched.shape == (8, 24) and stitched.dtype == np.uint8
    assert np.abs(stitched.astype(int) - np.hstack(expected)).max() <= 1


def test_visible_pixels_count_the_painted_pixels(town, scene):
    camera = {"width": SIZE, "height": SIZE, "fov": FOV}
    suite = SensorSuite([SensorSpec("sem", "semantic", FRONT, camera), SensorSpec("boxes", "boxes")], town)
    out = suite.read(scene, Weather(), 0)
    boxes = {box["id"]: box for box in out["boxes"][1]}
    tags = out["sem"][1][..., 2]
    assert boxes[11]["visible_pixels"] == int((tags == CarlaTag.CAR).sum()) > 0
    assert boxes[12]["visible_pixels"] == int((tags == CarlaTag.PEDESTRIAN).sum())


def test_ground_lookup_matches_cell_by_cell(town):
    raster = SensorSuite([SensorSpec("speed", "speedometer")], town).raster
    rng = np.random.default_rng(2)
    rows, cols = raster.classes.shape
    span = np.array([cols, rows]) * raster.resolution
    xy = np.array([raster.x0, raster.y0]) + rng.uniform(-0.1, 1.1, (4000, 2)) * span
    expected = []
    for x, y in xy:
        col, row = math.floor((x - raster.x0) / raster.resolution), math.floor((y - raster.y0) / raster.resolution)
        inside = 0 <= col < cols and 0 <= row < rows
        expected.append(raster.classes[row, col] if inside else Ground.TERRAIN)
    assert np.array_equal(raster.lookup(xy), np.array(expected, np.uint8))


def test_lidar_points_match_per_sensor_transforms():
    rng = np.random.default_rng(3)
    poses = [Pose(z=2.5, yaw=-90.0), Pose(x=0.5, z=2.0, yaw=90.0, pitch=5.0)]
    readings = [(pose, rng.normal(size=(n, 6)).astype(np.float32)) for pose, n in zip(poses, (50, 70))]
    expected = np.concatenate([np.column_stack([mount_to_ego(data[:, :3].astype(np.float64), pose), data[:, 5]])
                               for pose, data in readings]).astype(np.float32)
    assert np.array_equal(lidar_points(readings), expected)
    assert lidar_points([]).shape == (0, 4)


def test_pairwise_slab_test_matches_per_box_casting():
    rng = np.random.default_rng(4)
    directions = rng.normal(size=(400, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    boxes = [(rng.uniform(-8, 8, 3), rng.uniform(-math.pi, math.pi), rng.uniform(0.3, 2.5, 3)) for _ in range(5)]
    boxes.append((np.zeros(3), 0.3, np.ones(3)))  # around the sensor: rays start inside and miss
    hits = []
    for center, yaw, extent in boxes:
        rotation = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1.0]])
        expected, _ = ray_box_hits(directions, center, rotation, extent)
        pairs = ray_pair_hits(directions, np.tile(center, (400, 1)), np.tile(rotation, (400, 1, 1)), np.tile(extent, (400, 1)))
        assert np.array_equal(np.isfinite(pairs), np.isfinite(expected))
        np.testing.assert_allclose(pairs[np.isfinite(pairs)], expected[np.isfinite(expected)], rtol=1e-12)
        hits.append(int(np.isfinite(pairs).sum()))
    assert sum(hits[:-1]) > 20 and hits[-1] == 0
