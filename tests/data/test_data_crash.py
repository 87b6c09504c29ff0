"""A killed writer, resuming, and two processes writing one data set."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import numpy as np

from lead_framework.data import DatasetWriter, ShardDataset, load_index, verify

_ENV = {**os.environ, "OMP_NUM_THREADS": "1"}

KILLED_WRITER = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from lead_framework.data import DatasetWriter
    root = sys.argv[1]
    writer = DatasetWriter(root, writer_id="w0", shard_max_samples=2)
    with writer.route("r1") as route:
        for frame in range(3):
            route.add(frame, {"lidar.npy": np.full((4, 4), frame, np.float32)}, {"town": "Town01"})
    route = writer.route("r2")
    for frame in range(5):
        route.add(frame, {"lidar.npy": np.full((4, 4), frame, np.float32)}, {"town": "Town02"})
    route.parts[-1].file.flush()
    os._exit(3)  # killed in the middle of route r2
    """
)

CONCURRENT_WRITER = textwrap.dedent(
    """
    import sys, time, pathlib
    import numpy as np
    from lead_framework.data import DatasetWriter, RouteExistsError
    root, name = pathlib.Path(sys.argv[1]), sys.argv[2]
    writer = DatasetWriter(root, writer_id=name, shard_max_samples=2)
    (root / f"ready-{name}").touch()
    while not (root / "go").exists():
        time.sleep(0.01)
    for route_id in [f"{name}_{i}" for i in range(4)] + ["shared"]:
        if writer.is_done(route_id):
            continue
        try:
            route = writer.route(route_id)
        except RouteExistsError:
            continue
        with route:
            for frame in range(3):
                route.add(frame, {"meta.json": {"writer": name}}, {"writer": name})
    writer.close()
    """
)


def test_killed_writer_leaves_a_resumable_folder(tmp_path):
    result = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], env=_ENV, capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    # Only complete shards are visible: r1's; r2's samples sit in a temporary part.
    assert sorted(p.name for p in tmp_path.glob("*.tar")) == ["shard-w0-000000.tar", "shard-w0-000001.tar"]
    parts = [f"w0.r2-part{number:04d}.tar" for number in range(3)]
    assert sorted(p.name for p in (tmp_path / ".tmp").glob("*.tar")) == parts
    problems = [str(p) for p in verify(tmp_path)]
    assert problems == [f".tmp/{part}: temporary file of a dead writer (the next DatasetWriter open removes it)" for part in parts]
    # A shard renamed by a commit that was killed before it reached the index.
    (tmp_path / "shard-w9-000000.tar").write_bytes(b"x" * 1024)

    resumed = []
    with DatasetWriter(tmp_path, writer_id="w1") as writer:
        assert list((tmp_path / ".tmp").glob("*.tar")) == []
        assert not (tmp_path / "shard-w9-000000.tar").exists()
        for route_id in ("r1", "r2"):
            if writer.is_done(route_id):
                continue
            resumed.append(route_id)
            with writer.route(route_id) as route:
                for frame in range(5):
                    route.add(frame, {"lidar.npy": np.full((4, 4), frame, np.float32)}, {"town": "Town02"})
    assert resumed == ["r2"]
    index = load_index(tmp_path)
    assert list(index["routes"]) == ["r1", "r2"]
    assert index["routes"]["r1"]["shards"] == ["shard-w0-000000.tar", "shard-w0-000001.tar"]
    keys = [sample["__key__"] for sample in ShardDataset(tmp_path)]
    assert len(keys) == len(set(keys)) == 8
    assert verify(tmp_path) == []


def test_two_processes_write_one_data_set(tmp_path):
    processes = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT_WRITER, str(tmp_path), name], env=_ENV, stderr=subprocess.PIPE, text=True)
        for name in ("p0", "p1")
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{name}").exists() for name in ("p0", "p1")):
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes), "writers did not start"
        time.sleep(0.02)
    (tmp_path / "go").touch()
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
    index = load_index(tmp_path)
    assert sorted(index["routes"]) == sorted([f"p{w}_{i}" for w in range(2) for i in range(4)] + ["shared"])
    for route_id, entry in index["routes"].items():
        writer = entry["writer"]
        assert all(shard.startswith(f"shard-{writer}-") for shard in entry["shards"])
        assert set(entry["attributes"]["writer"]) == {writer}
    listed = set(index["shards"])
    assert {p.name for p in tmp_path.glob("shard-*.tar")} == listed
    assert len(listed) == 9 * 2  # 3 frames per route, 2 per shard
    keys = [sample["__key__"] for sample in ShardDataset(tmp_path)]
    assert len(keys) == len(set(keys)) == 27
    assert verify(tmp_path) == []
