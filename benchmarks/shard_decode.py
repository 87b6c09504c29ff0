"""Decode speed of the shard reader against LEAD-style lzma-compressed pickles, per core.

Builds one synthetic data set twice from the same frames:

* shards: ``DatasetWriter`` output (rgb.jpg 384x1152, semantics.png and depth.png 96x288,
  lidar.npy 20k x 4, radar.npy 300 x 5, bev.png 256x256, boxes.json 30 boxes, meta.json 150 fields);
* lzma-pickle: one ``<frame>.pkl.xz`` per frame holding the raw arrays and dicts, as LEAD's cache.

Then reads every sample back fully decoded in this single process (one core; OpenCV and BLAS
limited to one thread) and prints samples/s for each. Both sets are read right after writing, so
they come from the page cache: the figures measure decoding, not the disk.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/shard_decode.py --frames 48
"""

from __future__ import annotations

import argparse
import lzma
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lead_framework.data import DatasetWriter, ShardDataset

CLASSES = 10


def natural_image(rng: np.random.Generator, height: int, width: int, noise: float) -> np.ndarray:
    """Smooth colour gradients and blobs plus sensor noise: compresses like a camera frame."""
    coarse = rng.uniform(0, 255, (height // 32 + 2, width // 32 + 2, 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    rows = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    sky_to_road = 80 * (1 - rows) + 40 * rows
    grain = rng.normal(0, noise, (height, width, 3)).astype(np.float32)
    return np.clip(0.6 * smooth + sky_to_road + grain, 0, 255).astype(np.uint8)


def class_raster(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Blocky class regions, like a semantic segmentation."""
    coarse = rng.integers(0, CLASSES, (height // 8, width // 8), dtype=np.uint8)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_NEAREST)


def bev_raster(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Lanes, road area and boxes of a few classes drawn on an empty map."""
    bev = np.zeros((size, size), np.uint8)
    centre = size // 2 + int(rng.integers(-20, 20))
    cv2.rectangle(bev, (centre - 30, 0), (centre + 30, size), 1, -1)
    cv2.rectangle(bev, (0, size // 2 - 25), (size, size // 2 + 25), 1, -1)
    for x in (centre - 10, centre + 10):
        cv2.line(bev, (x, 0), (x, size), 2, 1)
    for _ in range(12):
        x, y = (int(v) for v in rng.integers(0, size, 2))
        cv2.rectangle(bev, (x, y), (x + 5, y + 10), int(rng.integers(3, 6)), -1)
    return bev


def boxes(rng: np.random.Generator, count: int = 30) -> list[dict[str, Any]]:
    return [
        {
            "class": str(rng.choice(["car", "walker", "traffic_light", "stop_sign", "static"])),
            "id": int(rng.integers(1e6)),
            "position": rng.normal(0, 20, 3).round(3).tolist(),
            "extent": rng.uniform(0.3, 3, 3).round(3).tolist(),
            "yaw": float(rng.uniform(-np.pi, np.pi)),
            "speed": float(rng.uniform(0, 15)),
            "num_points": int(rng.integers(0, 500)),
            "visible_pixels": int(rng.integers(0, 5000)),
            "brake": bool(rng.integers(2)),
        }
        for _ in range(count)
    ]


def meta(rng: np.random.Generator, frame: int) -> dict[str, Any]:
    """About 150 fields: ego state, controls, futures, route, flags."""
    fields: dict[str, Any] = {
        "frame": frame, "speed": float(rng.uniform(0, 20)), "target_speed": 8.33, "speed_limit": 13.9,
        "steer": float(rng.uniform(-1, 1)), "throttle": 0.5, "brake": False, "command": 4, "scenario": "Accident",
        "junction": False, "hazard": False, "weather": "ClearNoon", "town": "Town12",
        "future_positions": rng.normal(0, 10, (60, 2)).round(3).tolist(),
        "future_yaws": rng.normal(0, 0.1, 60).round(4).tolist(),
        "future_speeds": rng.uniform(0, 10, 60).round(3).tolist(),
        "route": rng.normal(0, 20, (50, 2)).round(3).tolist(),
        "target_points": rng.normal(0, 30, (2, 2)).round(3).tolist(),
    }
    for number in range(150 - len(fields)):
        fields[f"signal_{number:03d}"] = float(rng.normal())
    return fields


def synthetic_frame(seed: int, noise: float = 6.0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    ranges = rng.uniform(2, 60, 20_000)
    angles = rng.uniform(-np.pi, np.pi, 20_000)
    lidar = np.stack([ranges * np.cos(angles), ranges * np.sin(angles), rng.normal(-1.5, 1, 20_000), rng.uniform(0, 1, 20_000)], 1)
    return {
        "rgb.jpg": natural_image(rng, 384, 1152, noise),
        "semantics.png": class_raster(rng, 96, 288),
        "depth.png": cv2.resize(rng.uniform(0, 255, (12, 36)).astype(np.float32), (288, 96)).astype(np.uint8),
        "lidar.npy": lidar.astype(np.float32),
        "radar.npy": rng.normal(0, 10, (300, 5)).astype(np.float32),
        "bev.png": bev_raster(rng),
        "boxes.json": boxes(rng),
        "meta.json": meta(rng, seed),
    }


def write_both(workdir: Path, frames: int, lzma_preset: int, noise: float) -> tuple[Path, Path]:
    shard_root, pickle_root = workdir / "shards", workdir / "lzma_pickle"
    pickle_root.mkdir(parents=True)
    with DatasetWriter(shard_root, writer_id="bench", shard_max_samples=256) as writer, writer.route("route_0000") as route:
        for frame in range(frames):
            members = synthetic_frame(frame, noise)
            route.add(frame, members, {"town": "Town12"})
            raw = {name.partition(".")[0]: value for name, value in members.items()}
            (pickle_root / f"{frame:06d}.pkl.xz").write_bytes(lzma.compress(pickle.dumps(raw, protocol=5), preset=lzma_preset))
    return shard_root, pickle_root


def samples_per_second(read_all: Callable[[], Iterable[Any]], min_seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while True:
        count += sum(1 for _ in read_all())
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return count / elapsed


def read_lzma_pickles(root: Path) -> Iterable[dict[str, Any]]:
    for path in sorted(root.glob("*.pkl.xz")):
        yield pickle.loads(lzma.decompress(path.read_bytes()))


def folder_megabytes(root: Path, pattern: str) -> float:
    return sum(path.stat().st_size for path in root.glob(pattern)) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=5.0, help="minimum measuring time per format")
    parser.add_argument("--lzma-preset", type=int, default=6)
    parser.add_argument("--noise", type=float, default=6.0, help="std of the pixel noise of the camera image")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the data sets here (default: a temporary folder)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or Path(temporary)
        shard_root, pickle_root = write_both(workdir, args.frames, args.lzma_preset, args.noise)
        shards = ShardDataset(shard_root)
        next(iter(shards))  # warm the lazy imports
        shard_rate = samples_per_second(lambda: shards, args.seconds)
        pickle_rate = samples_per_second(lambda: read_lzma_pickles(pickle_root), args.seconds)
        frames = args.frames
        print(f"frames: {frames}; size per frame: shards {folder_megabytes(shard_root, '*.tar') / frames:.2f} MB, "
              f"lzma-pickle {folder_megabytes(pickle_root, '*.pkl.xz') / frames:.2f} MB")
        print(f"shards: {shard_rate:.1f} samples/s per core")
        print(f"lzma-pickle: {pickle_rate:.1f} samples/s per core")
        print(f"speed-up: {shard_rate / pickle_rate:.2f}x")


if __name__ == "__main__":
    main()
