from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from lead_framework.data import BucketSpecError, DatasetWriter, ShardDataset

ACCIDENT_FRAMES, PLAIN_FRAMES = 10, 90


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Route 'acc' (10 Accident frames), routes 'plain_*' (90 frames), and a failed route."""
    root = tmp_path_factory.mktemp("buckets")
    routes = {"acc": [{"scenario": "Accident", "speed": float(i)} for i in range(ACCIDENT_FRAMES)]}
    for part in range(3):
        routes[f"plain_{part}"] = [{"scenario": "none", "speed": float(i % 10), "junction": i % 2 == 0} for i in range(30)]
    with DatasetWriter(root, writer_id="w0", shard_max_samples=7) as writer:
        for route_id, attributes in routes.items():
            with writer.route(route_id) as route:
                for frame, attrs in enumerate(attributes):
                    route.add(frame, {"meta.json": {"frame": frame, **attrs}}, attrs)
        with writer.route("broken") as route:
            route.add(0, {"meta.json": {"frame": 0}}, {"scenario": "none", "speed": 1.0})
            route.commit(error="route timed out")
    return root


def _keys(dataset, **options):
    return [s["__key__"] for s in ShardDataset(dataset, decode=False, **options)]


def test_failed_routes_are_excluded_by_default(dataset):
    default = _keys(dataset)
    assert len(default) == ACCIDENT_FRAMES + PLAIN_FRAMES and not any(k.startswith("broken/") for k in default)
    assert "broken/frame_000000" in _keys(dataset, include_failed=True)


def test_plain_iteration_is_in_index_order_and_decodes(dataset):
    samples = list(ShardDataset(dataset))
    assert [s["__key__"] for s in samples[:2]] == ["acc/frame_000000", "acc/frame_000001"]
    assert samples[12]["meta.json"] == {"frame": 2, "scenario": "none", "speed": 2.0, "junction": True}
    assert samples[12]["__route__"] == "plain_0"


def test_disjoint_buckets_get_exact_shares_and_small_buckets_repeat(dataset):
    spec = [{"where": {"scenario": "Accident"}, "weight": 0.3}, {"where": {"scenario": ["none"]}, "weight": 0.7}]
    dataset_ = ShardDataset(dataset, buckets=spec, samples_per_epoch=1000, decode=False)
    keys = [s["__key__"] for s in dataset_]
    assert len(keys) == len(dataset_) == 1000
    counts = Counter(keys)
    accident = {k: n for k, n in counts.items() if k.startswith("acc/")}
    assert sum(accident.values()) == 300 and set(accident.values()) == {30}
    plain = {k: n for k, n in counts.items() if k.startswith("plain_")}
    assert len(plain) == PLAIN_FRAMES and sorted(set(plain.values())) in ([7], [7, 8])


def test_overlapping_buckets_mix_within_tolerance(dataset):
    spec = [{"where": {"scenario": ["Accident"]}, "weight": 0.3}, {"where": {}, "weight": 0.7}]
    keys = _keys(dataset, buckets=spec, samples_per_epoch=2000)
    share = sum(k.startswith("acc/") for k in keys) / len(keys)
    expected = 0.3 + 0.7 * ACCIDENT_FRAMES / (ACCIDENT_FRAMES + PLAIN_FRAMES)
    assert abs(share - expected) < 0.03


def test_numeric_range_and_boolean_buckets(dataset):
    fast = list(ShardDataset(dataset, buckets=[{"where": {"speed": {"min": 5, "max": 7}}, "weight": 1}], samples_per_epoch=300))
    assert {s["meta.json"]["speed"] for s in fast} == {5.0, 6.0, 7.0}
    junction = list(ShardDataset(dataset, buckets=[{"where": {"junction": True}, "weight": 1}], samples_per_epoch=45))
    assert all(s["meta.json"]["junction"] is True for s in junction) and len({s["__key__"] for s in junction}) == 45


def test_same_seed_same_order_other_seed_or_epoch_differs(dataset):
    spec = [{"where": {"scenario": "Accident"}, "weight": 1}, {"where": {}, "weight": 1}]
    first = _keys(dataset, buckets=spec, seed=3, shuffle_buffer=16)
    assert first == _keys(dataset, buckets=spec, seed=3, shuffle_buffer=16)
    assert first != _keys(dataset, buckets=spec, seed=4, shuffle_buffer=16)
    reader = ShardDataset(dataset, buckets=spec, seed=3, shuffle_buffer=16, decode=False)
    reader.set_epoch(1)
    assert [s["__key__"] for s in reader] != first
    assert [s["__key__"] for s in reader.iterate(epoch=0)] == first


def test_workers_and_ranks_partition_the_epoch(dataset):
    reader = ShardDataset(dataset, decode=False, shuffle_buffer=8, seed=1,
                          buckets=[{"where": {}, "weight": 1}], samples_per_epoch=150)
    parts = [[s["__key__"] for s in reader.iterate(worker, 2, rank, 2)] for rank in range(2) for worker in range(2)]
    assert sorted(len(part) for part in parts) in ([37, 37, 38, 38],)
    assert Counter(k for part in parts for k in part) == Counter(s["__key__"] for s in reader.iterate())
    with pytest.raises(ValueError, match="worker 2 of 2"):
        reader.worker_plan(2, 2)


def test_route_level_split_is_disjoint_and_complete(dataset):
    train = {k.split("/")[0] for k in _keys(dataset, split="train", val_fraction=0.5)}
    val = {k.split("/")[0] for k in _keys(dataset, split="val", val_fraction=0.5)}
    assert not train & val and train | val == {"acc", "plain_0", "plain_1", "plain_2"}
    with pytest.raises(ValueError, match="split 'test'"):
        ShardDataset(dataset, split="test")


def test_random_access_matches_streaming(dataset):
    reader = ShardDataset(dataset, members=["meta.json"])
    streamed = {s["__key__"]: s for s in reader}
    for key in ("plain_1/frame_000013", "acc/frame_000009"):
        assert reader[key]["meta.json"] == streamed[key]["meta.json"]
    with pytest.raises(KeyError, match="broken/frame_000000"):
        reader["broken/frame_000000"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([{"where": {"weather": "Rain"}, "weight": 1}], "no sample has attribute 'weather'; known attributes: ['junction', 'scenario', 'speed'] .*collect it again"),
        ([{"where": {"scenario": "Flood"}, "weight": 1}], "bucket 0 .* matches no sample"),
        ([{"where": {}, "weight": 0}], "weight 0 must be a number > 0"),
        ([{"where": {"speed": {"above": 3}}, "weight": 1}], "a range takes 'min' and/or 'max'"),
        ([{"wher": {}, "weight": 1}], "must be a dict with keys 'where' and 'weight'"),
        ({"where": {}}, "non-empty list"),
    ],
)
def test_bad_bucket_specs_explain_the_fix(dataset, spec, message):
    with pytest.raises(BucketSpecError, match=message.replace("[", r"\[").replace("]", r"\]") if "known" in message else message):
        list(ShardDataset(dataset, buckets=spec, decode=False))


def test_headers_read_up_front_are_not_read_again(dataset, monkeypatch):
    import tarfile

    reader = ShardDataset(dataset, members=["meta.json"], samples_per_epoch=40, seed=3)
    reader.read_headers(epoch=0)
    expected = [s["__key__"] for s in ShardDataset(dataset, members=["meta.json"], samples_per_epoch=40, seed=3).iterate(epoch=0)]

    def no_tar(*args, **kwargs):
        raise AssertionError("tar headers read again")

    monkeypatch.setattr(tarfile, "open", no_tar)
    assert [s["__key__"] for s in reader.iterate(epoch=0)] == expected


def test_epoch_plan_is_stable_across_instances(dataset):
    spec = [{"where": {"speed": {"max": 2}}, "weight": 2}, {"where": {}, "weight": 1}]
    a = ShardDataset(dataset, buckets=spec, seed=9, samples_per_epoch=64).epoch_plan(2)
    b = ShardDataset(dataset, buckets=spec, seed=9, samples_per_epoch=64).epoch_plan(2)
    np.testing.assert_array_equal(a, b)
