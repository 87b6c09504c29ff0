"""The TFv6 data pipeline on real shards written in the documented format."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lead_tfv6 import preset_config
from lead_tfv6.batch import batch_spec, check_batch
from lead_tfv6.data import (
    BEV_IGNORE,
    SampleFormatError,
    SampleOptions,
    TFv6BatchStream,
    augment_photometric,
    bev_labels,
    collate,
    convert_sample,
    decode_sample,
    lidar_input_points,
    make_loader,
    resample_path,
    to_perturbated_frame,
    write_synthetic_dataset,
)
from lead_tfv6.data.synthetic import FAST_OVERRIDES

from lead_framework.data import ShardDataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synthetic_dataset(tmp_path_factory.mktemp("data") / "set", routes=2, frames_per_route=6, image_size=(32, 96))


@pytest.fixture(scope="module")
def samples(dataset):
    return list(ShardDataset(dataset))


@pytest.mark.parametrize("phase, light_state_head", [("pretrain", False), ("posttrain", False), ("posttrain", True)])
def test_converted_batch_matches_batch_spec(samples, phase, light_state_head):
    config = preset_config("tiny", phase=phase, light_state_head=light_state_head)
    converted = [convert_sample(s, config, SampleOptions(), np.random.default_rng(i)) for i, s in enumerate(samples[:3])]
    batch = collate(converted)
    check_batch(batch, config, labels=True)
    planning = {"route", "waypoints", "target_speed", "brake"}
    assert set(batch) - set(batch_spec(config)) <= planning
    assert batch["command"].sum(dim=1).eq(1).all()
    assert batch["lidar"].max() > 0 and batch["lidar"].max() <= 1
    assert 0 <= batch["depth"].min() and batch["depth"].max() <= 1
    assert (batch["bev_semantics"] == 1).any()  # the road


def test_route_and_waypoints_follow_meta(samples):
    config = preset_config("tiny", phase="posttrain")
    sample = samples[0]
    arrays = convert_sample(sample, config, SampleOptions(perturbation_probability=0.0), np.random.default_rng(0))
    meta = sample["meta.json"]
    route_steps = np.linalg.norm(np.diff(arrays["route"], axis=0), axis=1)
    np.testing.assert_allclose(route_steps, 1.0, atol=0.02)
    assert np.hypot(*arrays["route"][0]) == pytest.approx(2.5, abs=0.05)
    np.testing.assert_allclose(arrays["waypoints"][0], meta["future_positions"][4][:2], atol=1e-5)
    np.testing.assert_allclose(arrays["target_points"], meta["target_points"], atol=1e-5)
    assert arrays["command"][meta["commands"][1] - 1] == 1
    assert arrays["speed"] == pytest.approx(meta["ego"]["speed"])


def test_route_label_comes_from_the_configured_field(samples):
    """``route_label: route_original`` learns the world's route; data without that field holds it in ``route``."""
    sample = samples[0]
    meta = sample["meta.json"]
    straight = [[float(i), 0.0] for i in range(50)]
    bypass = [[float(i), min(i / 4.0, 3.5)] for i in range(50)]
    options, rng = SampleOptions(perturbation_probability=0.0), np.random.default_rng(0)
    both = {**sample, "meta.json": {**meta, "route": bypass, "route_original": straight}}
    driven = convert_sample(both, preset_config("tiny", phase="posttrain"), options, rng)["route"]
    original_config = preset_config("tiny", phase="posttrain", route_label="route_original")
    world = convert_sample(both, original_config, options, rng)["route"]
    assert driven[-1][1] > 2.5 and np.abs(world[:, 1]).max() < 1e-6
    older = {**sample, "meta.json": {**meta, "route": straight}}
    older["meta.json"].pop("route_original", None)
    np.testing.assert_allclose(convert_sample(older, original_config, options, rng)["route"], world)


def test_expert_path_scenarios_learn_the_expert_path_there_only(samples):
    """With ``route_label: route_original``, samples of the listed scenario types still learn ``route``."""
    sample = samples[0]
    straight = [[float(i), 0.0] for i in range(50)]
    bypass = [[float(i), min(i / 4.0, 3.5)] for i in range(50)]
    config = preset_config("tiny", phase="posttrain", route_label="route_original", expert_path_scenarios=["Accident"])
    options, rng = SampleOptions(perturbation_probability=0.0), np.random.default_rng(0)

    def lateral_end(scenario):
        meta = {**sample["meta.json"], "route": bypass, "route_original": straight, "scenario": scenario}
        return convert_sample({**sample, "meta.json": meta}, config, options, rng)["route"][-1][1]

    assert lateral_end("Accident") > 2.5
    assert abs(lateral_end("SequentialLaneChange")) < 1e-6
    assert abs(lateral_end(None)) < 1e-6


def test_last_frame_of_a_route_without_future_keeps_the_ego_in_place(samples):
    config = preset_config("tiny", phase="posttrain")
    last = {**samples[0], "meta.json": {**samples[0]["meta.json"], "future_positions": []}}
    arrays = convert_sample(last, config, SampleOptions(perturbation_probability=0.0), np.random.default_rng(0))
    np.testing.assert_array_equal(arrays["waypoints"], np.zeros((config.num_waypoints, 2), np.float32))


def test_perturbated_view_uses_second_rig_and_moves_lidar(samples):
    config = preset_config("tiny", phase="posttrain")
    sample = samples[1]
    main = convert_sample(sample, config, SampleOptions(perturbation_probability=0.0, augment=False), np.random.default_rng(0))
    moved = convert_sample(sample, config, SampleOptions(perturbation_probability=1.0, augment=False), np.random.default_rng(0))
    perturbed_meta = sample["meta_perturbated.json"]
    np.testing.assert_allclose(moved["target_points"], perturbed_meta["target_points"], atol=1e-5)
    assert not np.allclose(main["target_points"], moved["target_points"])
    expected = lidar_input_points(to_perturbated_frame(sample["lidar.npy"], perturbed_meta["perturbation"]), None)
    assert not torch.equal(torch.from_numpy(main["lidar"]), torch.from_numpy(moved["lidar"]))
    assert len(expected) > 0


def test_rigid_realignment_puts_the_rig_at_the_origin():
    perturbation = {"lateral_m": 0.8, "yaw_rad": 0.3}
    rig_and_ahead = np.array([[0.0, 0.8, 1.0, 7.0], [10 * np.cos(0.3), 0.8 + 10 * np.sin(0.3), 1.0, 7.0]], np.float32)
    moved = to_perturbated_frame(rig_and_ahead, perturbation)
    np.testing.assert_allclose(moved[0, :2], [0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(moved[1, :2], [10.0, 0.0], atol=1e-5)
    np.testing.assert_array_equal(moved[:, 2:], rig_and_ahead[:, 2:])


def test_bev_labels_put_forward_up_and_mark_uncovered_cells():
    config = preset_config("tiny")
    bev = np.zeros((256, 256), np.uint8)
    bev[128 - 40 : 128 - 36, 128 + 8 : 128 + 12] = 4  # 9-10 m ahead, 2-3 m right at 4 px/m
    labels = bev_labels(bev, {"pixels_per_meter": 4.0}, config)
    rows, cols = np.nonzero(labels == 4)
    y = config.min_y + (rows + 0.5) / config.pixels_per_meter
    x = config.min_x + (cols + 0.5) / config.pixels_per_meter
    assert 8.9 < x.min() and x.max() < 10.1 and 1.9 < y.min() and y.max() < 3.1
    ys = config.min_y + (np.arange(config.lidar_height) + 0.5) / config.pixels_per_meter
    xs = config.min_x + (np.arange(config.lidar_width) + 0.5) / config.pixels_per_meter
    covered = (np.abs(ys)[:, None] < 32) & (np.abs(xs)[None, :] < 32)  # 256 px at 4 px/m
    assert (labels[~covered] == BEV_IGNORE).all() and (labels[covered] != BEV_IGNORE).all()


def test_photometric_augmentation_is_seeded():
    image = np.random.default_rng(0).integers(0, 256, (32, 96, 3), dtype=np.uint8)
    first = augment_photometric(image, np.random.default_rng(5), probability=1.0)
    again = augment_photometric(image, np.random.default_rng(5), probability=1.0)
    np.testing.assert_array_equal(first, again)
    assert first.dtype == np.uint8 and first.shape == image.shape and not np.array_equal(first, image)
    np.testing.assert_array_equal(augment_photometric(image, np.random.default_rng(5), probability=0.0), image)


def test_resample_path_spaces_points_along_the_polyline():
    corner = np.array([[5.0, 0.0], [5.0, 5.0]])
    points = resample_path(corner, np.array([2.5, 7.0, 12.0]))
    np.testing.assert_allclose(points, [[2.5, 0.0], [5.0, 2.0], [5.0, 7.0]], atol=1e-6)


def test_batch_stream_is_independent_of_workers_and_shards_ranks(dataset):
    config = preset_config("tiny", **FAST_OVERRIDES)
    single = list(make_loader(TFv6BatchStream(dataset, config, batch_size=2, seed=4)))
    threaded = list(make_loader(TFv6BatchStream(dataset, config, batch_size=2, seed=4), workers=2))
    assert [n for n, _ in single] == list(range(6)) == [n for n, _ in threaded]
    assert all(torch.equal(a[key], b[key]) for (_, a), (_, b) in zip(single, threaded) for key in a)
    resumed = TFv6BatchStream(dataset, config, batch_size=2, seed=4)
    resumed.set_position(0, 4)
    tail = list(make_loader(resumed, workers=2))
    assert [n for n, _ in tail] == [4, 5] and torch.equal(tail[0][1]["rgb"], single[4][1]["rgb"])
    ranks = [TFv6BatchStream(dataset, config, batch_size=2, seed=4, rank=r, world_size=2) for r in (0, 1)]
    speeds = [torch.cat([b["speed"] for _, b in make_loader(stream)]) for stream in ranks]
    assert ranks[0].batches_per_epoch == ranks[1].batches_per_epoch == 3
    assert sorted(torch.cat(speeds).tolist()) == sorted(torch.cat([b["speed"] for _, b in single]).tolist())


def test_missing_member_names_sample_and_member(samples):
    broken = {key: value for key, value in samples[0].items() if key != "radar.npy"}
    with pytest.raises(SampleFormatError, match=r"route_0000/frame_000000.*'radar.npy' is missing"):
        convert_sample(broken, preset_config("tiny"), SampleOptions(), np.random.default_rng(0))


def test_undecodable_member_is_reported(samples):
    raw = {"__key__": "route_0000/frame_000000", "rgb.jpg": b"not a jpeg"}
    with pytest.raises(SampleFormatError, match="'rgb.jpg' does not decode"):
        decode_sample(raw)
