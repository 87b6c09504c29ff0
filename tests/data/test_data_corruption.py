from __future__ import annotations

import tarfile

import pytest

from lead_framework.data import CorruptShardError, DatasetWriter, ShardDataset, verify


@pytest.fixture
def dataset(tmp_path, members_of):
    with DatasetWriter(tmp_path, writer_id="w0", shard_max_samples=4) as writer, writer.route("r1") as route:
        for frame in range(6):
            route.add(frame, members_of(frame))
    return tmp_path


def test_truncated_shard_is_named_when_reading(dataset):
    shard = dataset / "shard-w0-000000.tar"
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    with pytest.raises(CorruptShardError) as error:
        list(ShardDataset(dataset))
    message = str(error.value)
    assert "shard-w0-000000.tar" in message and "truncated" in message
    assert "leadfw data verify" in message and "re-collect route r1" in message
    problems = verify(dataset)
    assert [p.file for p in problems] == ["shard-w0-000000.tar"]
    assert "truncated" in problems[0].message


def test_overwritten_tar_header_is_detected_with_the_sample_key(dataset):
    shard = dataset / "shard-w0-000001.tar"
    with tarfile.open(shard) as archive:
        second_sample_header = [m for m in archive.getmembers() if m.name.startswith("r1/frame_000005")][0].offset
    data = bytearray(shard.read_bytes())
    data[second_sample_header : second_sample_header + 512] = b"\x07" * 512  # same size, broken header
    shard.write_bytes(bytes(data))
    with pytest.raises(CorruptShardError, match=r"shard-w0-000001.tar \(after sample r1/frame_000004\).*holds 1 samples but the index lists 2"):
        list(ShardDataset(dataset))
    assert [(p.file, "sha256 differs" in p.message) for p in verify(dataset)] == [("shard-w0-000001.tar", True)]


def test_damaged_member_bytes_name_member_and_key(dataset):
    shard = dataset / "shard-w0-000000.tar"
    with tarfile.open(shard) as archive:
        member = archive.getmember("r1/frame_000002.semantics.png")
    data = bytearray(shard.read_bytes())
    data[member.offset_data : member.offset_data + 8] = b"garbage!"
    shard.write_bytes(bytes(data))
    with pytest.raises(CorruptShardError, match=r"shard-w0-000000.tar: member 'semantics.png' of sample r1/frame_000002 does not decode"):
        list(ShardDataset(dataset))
    with pytest.raises(CorruptShardError, match="semantics.png"):
        ShardDataset(dataset)["r1/frame_000002"]
    assert ShardDataset(dataset, decode=False)["r1/frame_000002"]["semantics.png"][:8] == b"garbage!"


def test_missing_shard_and_missing_index(dataset, tmp_path_factory):
    (dataset / "shard-w0-000001.tar").unlink()
    with pytest.raises(CorruptShardError, match="shard-w0-000001.tar: the file is missing"):
        list(ShardDataset(dataset))
    assert "missing" in verify(dataset)[0].message
    empty = tmp_path_factory.mktemp("empty")
    assert "not a data set folder" in verify(empty)[0].message
