from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from lead_framework.data import (
    CodecError,
    DataError,
    DatasetWriter,
    InvalidKeyError,
    RouteExistsError,
    ShardDataset,
    WriterInUseError,
    load_index,
    verify,
)


def _write_route(root, route_id, frames, members_of, *, record=None, error=None, **options):
    options.setdefault("writer_id", "w0")
    with DatasetWriter(root, **options) as writer, writer.route(route_id, metadata={"town": "Town01"}) as route:
        for frame in frames:
            route.add(frame, members_of(frame), {"speed": float(frame), "town": "Town01"})
        route.commit(record, error=error)


def test_round_trip_equals_input(tmp_path, members_of):
    frames = [0, 5, 10, 15, 20]
    _write_route(tmp_path, "route_0007", frames, members_of, record={"score_composed": 100.0}, shard_max_samples=2)
    samples = list(ShardDataset(tmp_path))
    assert [s["__key__"] for s in samples] == [f"route_0007/frame_{f:06d}" for f in frames]
    for frame, sample in zip(frames, samples):
        expected = members_of(frame)
        assert sample["__route__"] == "route_0007"
        for name in ("semantics.png", "depth.png", "lidar.npy"):
            np.testing.assert_array_equal(sample[name], expected[name])
        assert np.abs(sample["rgb.jpg"].astype(int) - expected["rgb.jpg"]).max() <= 2
        assert sample["meta.json"]["speed"] == float(frame)
        assert sample["note.txt"] == f"frame {frame}"
    index = load_index(tmp_path)
    route = index["routes"]["route_0007"]
    assert route["status"] == "committed" and route["samples"] == 5
    assert route["shards"] == ["shard-w0-000000.tar", "shard-w0-000001.tar", "shard-w0-000002.tar"]
    assert [index["shards"][s]["samples"] for s in route["shards"]] == [2, 2, 1]
    assert route["record"] == {"score_composed": 100.0} and route["metadata"] == {"town": "Town01"}
    assert route["attributes"]["speed"] == [0.0, 5.0, 10.0, 15.0, 20.0]
    for shard in route["shards"]:
        data = (tmp_path / shard).read_bytes()
        assert index["shards"][shard]["bytes"] == len(data)
        assert index["shards"][shard]["sha256"] == hashlib.sha256(data).hexdigest()
    assert verify(tmp_path) == []


def test_shards_roll_over_by_bytes(tmp_path, members_of):
    _write_route(tmp_path, "r1", range(6), members_of, shard_max_bytes=1)
    index = load_index(tmp_path)
    assert [entry["samples"] for entry in index["shards"].values()] == [1] * 6


def test_shard_bytes_are_reproducible(tmp_path, members_of):
    for folder in ("a", "b"):
        _write_route(tmp_path / folder, "r1", range(3), members_of)
    assert (tmp_path / "a" / "shard-w0-000000.tar").read_bytes() == (tmp_path / "b" / "shard-w0-000000.tar").read_bytes()


def test_aborted_routes_leave_nothing(tmp_path, members_of):
    with DatasetWriter(tmp_path, writer_id="w0") as writer:
        with pytest.raises(RuntimeError, match="simulator crashed"):
            with writer.route("crashed") as route:
                route.add(0, members_of(0))
                raise RuntimeError("simulator crashed")
        with writer.route("given_up") as route:
            route.add(0, members_of(0))
            route.abort("expert got stuck")
            with pytest.raises(DataError, match="after the route was committed or aborted"):
                route.add(1, members_of(1))
        assert not writer.is_done("crashed") and not writer.is_done("given_up")
    index = load_index(tmp_path, missing_ok=True)
    assert index["routes"] == {} and index["shards"] == {}
    assert list(tmp_path.glob("*.tar")) == [] and list((tmp_path / ".tmp").glob("*.tar")) == []


def test_failed_route_is_stored_with_its_error(tmp_path, members_of):
    _write_route(tmp_path, "r1", range(2), members_of, error="collision with vehicle")
    entry = load_index(tmp_path)["routes"]["r1"]
    assert entry["status"] == "failed" and entry["error"] == "collision with vehicle"
    with DatasetWriter(tmp_path, writer_id="w0") as writer:
        assert writer.is_done("r1") and writer.route_status("r1") == "failed"


def test_existing_route_is_refused(tmp_path, members_of):
    _write_route(tmp_path, "r1", range(2), members_of)
    with DatasetWriter(tmp_path, writer_id="w1") as writer:
        with pytest.raises(RouteExistsError, match=r"route 'r1' is already in the index .*is_done"):
            writer.route("r1")


def test_same_route_committed_concurrently_is_kept_once(tmp_path, members_of):
    with DatasetWriter(tmp_path, writer_id="w0") as first, DatasetWriter(tmp_path, writer_id="w1") as second:
        route_a, route_b = first.route("r1"), second.route("r1")
        route_a.add(0, members_of(0))
        route_b.add(0, members_of(1))
        assert route_a.commit() is True
        assert route_b.commit() is False
    index = load_index(tmp_path)
    assert list(index["shards"]) == ["shard-w0-000000.tar"]
    assert sorted(p.name for p in tmp_path.glob("*.tar")) == ["shard-w0-000000.tar"]
    assert list((tmp_path / ".tmp").glob("*.tar")) == []


def test_writer_id_in_use_is_refused(tmp_path):
    with DatasetWriter(tmp_path, writer_id="w0"):
        with pytest.raises(WriterInUseError, match="writer id 'w0' is in use"):
            DatasetWriter(tmp_path, writer_id="w0")
    with DatasetWriter(tmp_path, writer_id="w0"):  # released on close
        pass


@pytest.mark.parametrize("route_id", ["route.7", "a/b", "", "r 1"])
def test_route_ids_with_separators_are_refused(tmp_path, route_id):
    with DatasetWriter(tmp_path, writer_id="w0") as writer:
        with pytest.raises(InvalidKeyError, match="no dots or slashes"):
            writer.route(route_id)


def test_bad_sample_input_names_the_problem(tmp_path, members_of):
    with DatasetWriter(tmp_path, writer_id="w0") as writer, writer.route("r1") as route:
        route.add(3, members_of(3))
        with pytest.raises(InvalidKeyError, match="frame index 3 after 3"):
            route.add(3, members_of(3))
        with pytest.raises(InvalidKeyError, match="'rgb.front.jpg'"):
            route.add(4, {"rgb.front.jpg": np.zeros((2, 2), np.uint8)})
        with pytest.raises(CodecError, match="bucket attribute 'speeds'"):
            route.add(5, members_of(5), {"speeds": [1, 2]})
        with pytest.raises(CodecError, match="route record"):
            route.commit({"bad": object()})
        route.abort("test done")
    assert list(tmp_path.glob("*.tar")) == []


def test_index_is_plain_json_with_format_header(tmp_path, members_of):
    _write_route(tmp_path, "r1", range(1), members_of)
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["format"] == "lead_shards" and index["version"] == 1


def test_one_route_cannot_be_open_twice_in_one_writer(tmp_path, members_of):
    with DatasetWriter(tmp_path, writer_id="w0") as writer:
        route = writer.route("r1")
        with pytest.raises(RouteExistsError, match="already being written by this DatasetWriter"):
            writer.route("r1")
        route.abort("test")
        with writer.route("r1") as again:  # free again after the abort
            again.add(0, members_of(0))
    assert load_index(tmp_path)["routes"]["r1"]["samples"] == 1


def test_parts_of_a_writer_without_lock_file_are_removed_on_open(tmp_path):
    (tmp_path / ".tmp").mkdir(parents=True)
    stale = tmp_path / ".tmp" / "gone.r9-part0000.tar"
    stale.write_bytes(b"partial")
    assert [p.file for p in verify(tmp_path / "missing")] == ["index.json"]
    with DatasetWriter(tmp_path, writer_id="w0"):
        assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / ".tmp").iterdir()) == []
