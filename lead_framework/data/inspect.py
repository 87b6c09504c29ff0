"""Summaries and pictures of a data set folder (``leadfw data inspect DIR``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lead_framework.data.catalog import build_catalog
from lead_framework.data.index import STATUS_FAILED, load_index
from lead_framework.data.reader import Sample, ShardDataset

#: Attributes with more distinct numeric values than this are summarised by range and histogram.
MAX_COUNTED_VALUES = 20
TILE_HEIGHT = 192
LIDAR_RANGE_M = 32.0
#: Colours (RGB) for class-index rasters: semantics and single-channel BEV.
CLASS_PALETTE = np.array(
    [
        [0, 0, 0], [128, 64, 128], [244, 35, 232], [70, 70, 70], [220, 220, 0], [107, 142, 35],
        [70, 130, 180], [220, 20, 60], [0, 0, 142], [250, 170, 30], [255, 255, 255], [119, 11, 32],
    ],
    dtype=np.uint8,
)


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def summarize_attribute(values: Sequence[Any]) -> dict[str, Any]:
    """Counts per value, or range, mean and a 10-bin histogram for continuous numbers."""
    present = [v for v in values if v is not None]
    missing = len(values) - len(present)
    if present and _numeric(present) and len(set(present)) > MAX_COUNTED_VALUES:
        array = np.asarray(present, dtype=float)
        counts, edges = np.histogram(array, bins=10)
        return {
            "min": float(array.min()), "max": float(array.max()), "mean": float(array.mean()),
            "histogram": {"edges": edges.round(3).tolist(), "counts": counts.tolist()}, "missing": missing,
        }
    counts = Counter(json.dumps(v) if not isinstance(v, str) else v for v in present)
    return {"counts": dict(counts.most_common()), "missing": missing}


def summarize(root: Path | str) -> dict[str, Any]:
    """Routes, samples, shards, failed routes and a per-attribute summary over all samples."""
    root = Path(root)
    index = load_index(root)
    routes = index["routes"]
    failed = [
        {"route": route_id, "error": entry["error"], "samples": entry["samples"]}
        for route_id, entry in routes.items() if entry["status"] == STATUS_FAILED
    ]
    catalog = build_catalog(root, include_failed=True, index=index)
    return {
        "root": str(root),
        "routes": len(routes),
        "committed_routes": len(routes) - len(failed),
        "failed_routes": failed,
        "samples": len(catalog),
        "samples_in_committed_routes": len(catalog) - sum(entry["samples"] for entry in failed),
        "shards": len(index["shards"]),
        "bytes": sum(entry["bytes"] for entry in index["shards"].values()),
        "attributes": {name: summarize_attribute(values) for name, values in catalog.attributes.items()},
    }


def _class_colours(raster: np.ndarray) -> np.ndarray:
    return CLASS_PALETTE[np.asarray(raster, dtype=np.int64) % len(CLASS_PALETTE)]


def _to_gray_rgb(image: np.ndarray) -> np.ndarray:
    scaled = cv2.normalize(image.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return cv2.cvtColor(scaled, cv2.COLOR_GRAY2RGB)


def _raster_tile(member: str, image: np.ndarray) -> np.ndarray:
    if image.ndim == 3 and image.shape[2] == 3:
        return image if image.dtype == np.uint8 else _to_gray_rgb(image.mean(axis=2))
    if image.ndim == 3:
        image = image.max(axis=2)  # multi-channel masks: show the union
    if image.dtype == np.uint8 and image.max() < len(CLASS_PALETTE) and not member.startswith("depth"):
        return _class_colours(image)
    return _to_gray_rgb(image)


def _points_tile(points: np.ndarray, size: int = 256) -> np.ndarray:
    """Top-down histogram of the x/y coordinates of a point cloud (ego at the centre, x up)."""
    bins = np.linspace(-LIDAR_RANGE_M, LIDAR_RANGE_M, size + 1)
    counts, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=(bins, bins))
    image = (np.log1p(counts) / max(np.log1p(counts).max(), 1e-6) * 255).astype(np.uint8)
    return cv2.cvtColor(np.flipud(image), cv2.COLOR_GRAY2RGB)


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    height = TILE_HEIGHT
    tile = cv2.resize(tile, (max(1, round(tile.shape[1] * height / tile.shape[0])), height), interpolation=cv2.INTER_NEAREST)
    tile = np.ascontiguousarray(tile)
    cv2.putText(tile, text, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 0), 1, cv2.LINE_AA)
    return tile


def render_sample(sample: Mapping[str, Any]) -> np.ndarray:
    """One RGB picture of a decoded sample: its images, rasters and point clouds side by side."""
    tiles = []
    camera_first = sorted(sample, key=lambda member: (not member.endswith(".jpg"), member))
    for member in camera_first:
        value = sample[member]
        if member.startswith("__") or not isinstance(value, np.ndarray):
            continue
        if member.endswith((".jpg", ".png")):
            tiles.append(_label(_raster_tile(member, value), member))
        elif member.endswith(".npy") and value.ndim == 2 and value.shape[1] >= 2 and len(value):
            tiles.append(_label(_points_tile(value.astype(np.float64)), member))
    if not tiles:
        raise ValueError(f"sample {sample.get('__key__')!r} has no image, raster or point-cloud member to render")
    rows, row, width = [], [], 0
    max_width = max(1152, max(tile.shape[1] for tile in tiles))
    for tile in tiles:
        if row and width + tile.shape[1] > max_width:
            rows.append(row)
            row, width = [], 0
        row.append(tile)
        width += tile.shape[1]
    rows.append(row)
    canvas = np.zeros((TILE_HEIGHT * len(rows), max_width, 3), np.uint8)
    for number, tiles_in_row in enumerate(rows):
        x = 0
        for tile in tiles_in_row:
            canvas[number * TILE_HEIGHT : (number + 1) * TILE_HEIGHT, x : x + tile.shape[1]] = tile
            x += tile.shape[1]
    return canvas


def format_summary(summary: Mapping[str, Any]) -> str:
    lines = [
        f"data set {summary['root']}",
        f"  routes: {summary['routes']} ({summary['committed_routes']} committed, {len(summary['failed_routes'])} failed)",
        f"  samples: {summary['samples']} ({summary['samples_in_committed_routes']} in committed routes)",
        f"  shards: {summary['shards']}, {summary['bytes'] / 1e6:.1f} MB",
    ]
    for failed in summary["failed_routes"]:
        lines.append(f"  failed route {failed['route']} ({failed['samples']} samples): {failed['error']}")
    for name, stats in summary["attributes"].items():
        if "counts" in stats:
            values = ", ".join(f"{value}={count}" for value, count in stats["counts"].items())
        else:
            values = f"min {stats['min']:.3g}, mean {stats['mean']:.3g}, max {stats['max']:.3g}"
        missing = f" ({stats['missing']} missing)" if stats["missing"] else ""
        lines.append(f"  {name}: {values}{missing}")
    return "\n".join(lines)


def first_sample(root: Path | str) -> Sample | None:
    dataset = ShardDataset(root, include_failed=True)
    return next(iter(dataset), None)


def inspect_command(root: Path | str, out_png: Path | str | None = None) -> str:
    """The text ``leadfw data inspect`` prints; also writes a picture of the first sample to ``out_png``."""
    text = format_summary(summarize(root))
    if out_png is not None:
        sample = first_sample(root)
        if sample is None:
            return text + "\n  (no sample to render)"
        image = render_sample(sample)
        out_png = Path(out_png)
        out_png.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(out_png), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {out_png}; check that the folder is writable and the name ends in .png")
        text += f"\n  sample {sample['__key__']} rendered to {out_png}"
    return text
