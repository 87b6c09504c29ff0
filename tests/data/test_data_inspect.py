from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np

from lead_framework.data import DatasetWriter
from lead_framework.data.inspect import inspect_command, render_sample, summarize


def _write(root, members_of):
    with DatasetWriter(root, writer_id="w0") as writer:
        with writer.route("r1") as route:
            for frame in range(25):
                route.add(frame, members_of(frame), {"town": "Town01", "speed": frame * 0.5, "hazard": frame % 5 == 0})
        with writer.route("r2") as route:
            route.add(0, members_of(99), {"town": "Town02", "speed": 1.0})
            route.commit(error="collision with vehicle")


def test_summary_counts_routes_samples_and_attribute_values(tmp_path, members_of):
    _write(tmp_path, members_of)
    summary = summarize(tmp_path)
    assert summary["routes"] == 2 and summary["committed_routes"] == 1
    assert summary["failed_routes"] == [{"route": "r2", "error": "collision with vehicle", "samples": 1}]
    assert summary["samples"] == 26 and summary["samples_in_committed_routes"] == 25
    assert summary["attributes"]["town"] == {"counts": {"Town01": 25, "Town02": 1}, "missing": 0}
    assert summary["attributes"]["hazard"] == {"counts": {"false": 20, "true": 5}, "missing": 1}
    speed = summary["attributes"]["speed"]
    assert speed["min"] == 0.0 and speed["max"] == 12.0 and sum(speed["histogram"]["counts"]) == 26
    json.dumps(summary)  # printable as JSON


def test_inspect_command_prints_summary_and_writes_picture(tmp_path, members_of):
    _write(tmp_path / "data", members_of)
    text = inspect_command(tmp_path / "data", tmp_path / "out" / "sample.png")
    assert "routes: 2 (1 committed, 1 failed)" in text
    assert "failed route r2 (1 samples): collision with vehicle" in text
    assert "town: Town01=25, Town02=1" in text
    picture = cv2.imread(str(tmp_path / "out" / "sample.png"))
    assert picture is not None and picture.shape[0] > 0 and picture.std() > 0


def test_render_sample_tiles_images_rasters_and_points():
    rng = np.random.default_rng(0)
    sample = {
        "__key__": "r1/frame_000000",
        "rgb.jpg": rng.integers(0, 255, (96, 288, 3), dtype=np.uint8),
        "bev.png": rng.integers(0, 8, (64, 64), dtype=np.uint8),
        "depth.png": rng.integers(0, 255, (24, 72), dtype=np.uint8),
        "lidar.npy": rng.normal(0, 10, (500, 4)).astype(np.float32),
        "meta.json": {"speed": 1.0},
    }
    image = render_sample(sample)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    # Tiles 192 px high: rgb (576 wide) and bev (192) fill row 1; depth (576) and lidar (192) row 2.
    assert image.shape == (384, 1152, 3)
    resized_rgb = cv2.resize(sample["rgb.jpg"], (576, 192), interpolation=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(image[20:192, :576], resized_rgb[20:])  # below the label
    lidar_tile = image[192:, 576:768]
    assert lidar_tile.max() > 0 and image[192:, 768:].max() == 0


def test_importing_the_data_layer_does_not_import_torch():
    code = "import sys, lead_framework.data, lead_framework.data.inspect; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
