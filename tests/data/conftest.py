"""Small synthetic samples shared by the data-layer tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lead_framework.data import DatasetWriter


def synthetic_members(seed: int) -> dict[str, Any]:
    """A tiny sample with one member per codec; content depends on ``seed``."""
    rng = np.random.default_rng(seed)
    return {
        "rgb.jpg": np.full((8, 16, 3), seed % 250, np.uint8),
        "semantics.png": rng.integers(0, 10, (8, 16), dtype=np.uint8),
        "depth.png": rng.integers(0, 65535, (4, 8), dtype=np.uint16),
        "lidar.npy": rng.normal(size=(32, 4)).astype(np.float32),
        "meta.json": {"speed": np.float32(seed), "command": int(seed % 4), "route": [[1.0, 2.0]]},
        "note.txt": f"frame {seed}",
    }


def write_routes(root: Path, routes: dict[str, list[dict[str, Any]]], **writer_options: Any) -> None:
    """Commit each route with one sample per attribute dict (frame index = position)."""
    writer_options.setdefault("writer_id", "w0")
    with DatasetWriter(root, **writer_options) as writer:
        for route_id, attributes in routes.items():
            with writer.route(route_id) as route:
                for frame, attrs in enumerate(attributes):
                    route.add(frame, {"meta.json": {"frame": frame, **attrs}}, attrs)


@pytest.fixture
def members_of():
    return synthetic_members
