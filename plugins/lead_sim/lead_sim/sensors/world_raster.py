"""The static ground raster of a town: one uint8 :class:`~lead_sim.sensors.tags.Ground` class per cell.

Built once per town and process from the ``carla.Map`` lanes: waypoints every ``WAYPOINT_STEP_M`` are drawn
as lane-wide quads (driving lanes and their neighbours: sidewalks, parking, shoulders), then crosswalks,
lane markings (solid or broken, white or yellow) and stop lines at the entries of signalled or stop-sign
lanes. Heights are dropped: cameras and LiDAR treat the ground as flat at the ego's height, which is wrong on
bridges and hills (Town03/04/05/07 rise up to ~11 m).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

import attrs
import carla
import cv2
import numpy as np

from lead_sim.sensors.tags import Ground

WAYPOINT_STEP_M = 1.0
FINEST_RESOLUTION_M = 0.1
#: Coarser cells are chosen for towns whose raster would exceed this many cells (Town12/13/15).
MAX_CELLS = 80_000_000
MARGIN_M = 30.0
MARKING_WIDTH_M = 0.15
STOP_LINE_WIDTH_M = 0.4
DASH_PERIOD_M = 6.0  # broken markings: 3 m painted, 3 m gap
STOP_LANDMARK_TYPES = ("206", "1000001")  # stop sign, traffic light

_SIDE_LANE_CLASSES = {
    carla.LaneType.Sidewalk: Ground.SIDEWALK,
    carla.LaneType.Parking: Ground.PARKING,
    carla.LaneType.Shoulder: Ground.SHOULDER,
    carla.LaneType.Border: Ground.SIDEWALK,
    carla.LaneType.Median: Ground.SIDEWALK,
    carla.LaneType.Biking: Ground.ROAD,
    carla.LaneType.Driving: Ground.ROAD,
    carla.LaneType.Bidirectional: Ground.ROAD,
    carla.LaneType.Restricted: Ground.ROAD,
}
_BROKEN = {carla.LaneMarkingType.Broken, carla.LaneMarkingType.BrokenBroken}
_PAINTED = _BROKEN | {
    carla.LaneMarkingType.Solid,
    carla.LaneMarkingType.SolidSolid,
    carla.LaneMarkingType.SolidBroken,
    carla.LaneMarkingType.BrokenSolid,
}


@attrs.define(frozen=True, eq=False, slots=False)
class GroundRaster:
    """Ground classes on a regular grid: cell (row, col) covers world x = x0 + col*res, y = y0 + row*res."""

    classes: np.ndarray
    x0: float
    y0: float
    resolution: float

    def lookup(self, xy: np.ndarray) -> np.ndarray:
        """Ground class at (N, 2) world positions (terrain outside the raster)."""
        rows, cols = self.classes.shape
        col = np.floor((xy[:, 0] - self.x0) / self.resolution)
        row = np.floor((xy[:, 1] - self.y0) / self.resolution)
        inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
        cell = (row * cols + col).astype(np.intp)
        return np.where(inside, self.classes.take(cell, mode="clip"), np.uint8(Ground.TERRAIN))


def _quad(x: float, y: float, yaw_rad: float, length: float, width: float, lateral: float = 0.0) -> np.ndarray:
    """Corners of a rectangle centred ``lateral`` metres right of (x, y), oriented along ``yaw_rad``."""
    fx, fy = math.cos(yaw_rad), math.sin(yaw_rad)
    rx, ry = -fy, fx
    cx, cy = x + rx * lateral, y + ry * lateral
    hl, hw = length / 2.0, width / 2.0
    return np.array(
        [
            (cx + fx * hl + rx * hw, cy + fy * hl + ry * hw),
            (cx + fx * hl - rx * hw, cy + fy * hl - ry * hw),
            (cx - fx * hl - rx * hw, cy - fy * hl - ry * hw),
            (cx - fx * hl + rx * hw, cy - fy * hl + ry * hw),
        ]
    )


def _side_lanes(waypoint: carla.Waypoint) -> Iterator[carla.Waypoint]:
    """Non-driving lanes beside a driving waypoint, walking outwards on both sides."""
    for step in (carla.Waypoint.get_right_lane, carla.Waypoint.get_left_lane):
        lane = step(waypoint)
        hops = 0
        while lane is not None and hops < 8 and lane.lane_type != carla.LaneType.Driving:
            yield lane
            lane = step(lane)
            hops += 1


def _marking_quads(waypoint: carla.Waypoint, yaw: float, loc: carla.Location) -> Iterator[tuple[Ground, np.ndarray]]:
    half = waypoint.lane_width / 2.0
    for marking, lateral in ((waypoint.right_lane_marking, half), (waypoint.left_lane_marking, -half)):
        if marking is None or marking.type not in _PAINTED:
            continue
        if marking.type in _BROKEN and (waypoint.s % DASH_PERIOD_M) >= DASH_PERIOD_M / 2.0:
            continue
        cls = Ground.MARKING_YELLOW if marking.color == carla.LaneMarkingColor.Yellow else Ground.MARKING_WHITE
        yield cls, _quad(loc.x, loc.y, yaw, WAYPOINT_STEP_M * 1.05, max(MARKING_WIDTH_M, marking.width), lateral)


def _crosswalk_polygons(town: carla.Map) -> list[np.ndarray]:
    """``get_crosswalks`` returns closed polygons back to back (each repeats its first point)."""
    polygons, current = [], []
    for loc in town.get_crosswalks():
        point = (loc.x, loc.y)
        if current and math.dist(point, current[0]) < 1e-3 and len(current) > 2:
            polygons.append(np.array(current))
            current = []
        else:
            current.append(point)
    return polygons


def _stop_line_quads(town: carla.Map) -> list[np.ndarray]:
    """A line across each lane where a signalled or stop-sign junction lane begins."""
    quads, seen = [], set()
    for landmark in town.get_all_landmarks():
        if landmark.type not in STOP_LANDMARK_TYPES:
            continue
        for first, last in landmark.get_lane_validities():
            for lane_id in range(first, last + 1):
                waypoint = town.get_waypoint_xodr(landmark.road_id, lane_id, landmark.s) if lane_id else None
                if waypoint is None or waypoint.lane_type != carla.LaneType.Driving:
                    continue
                for _ in range(60):  # walk back to the junction entry
                    previous = waypoint.previous(0.5)
                    if not previous or not previous[0].is_junction:
                        break
                    waypoint = previous[0]
                loc, yaw = waypoint.transform.location, math.radians(waypoint.transform.rotation.yaw)
                key = (round(loc.x, 1), round(loc.y, 1))
                if key not in seen:
                    seen.add(key)
                    quads.append(_quad(loc.x, loc.y, yaw, STOP_LINE_WIDTH_M, waypoint.lane_width))
    return quads


def build_ground_raster(town: carla.Map, resolution: float | None = None) -> GroundRaster:
    """Rasterise a town's lanes (see module docstring); ``resolution`` None chooses it from the town size."""
    waypoints = town.generate_waypoints(WAYPOINT_STEP_M)
    if not waypoints:
        raise ValueError(f"town {town.name!r} has no driving lanes to rasterise")
    polygons: dict[Ground, list[np.ndarray]] = {cls: [] for cls in Ground}
    for waypoint in waypoints:
        transform = waypoint.transform
        loc, yaw = transform.location, math.radians(transform.rotation.yaw)
        polygons[Ground.ROAD].append(_quad(loc.x, loc.y, yaw, WAYPOINT_STEP_M * 1.3, waypoint.lane_width + 0.05))
        if waypoint.is_junction:  # junction lanes overlap; their markings and side lanes are not painted
            continue
        for cls, quad in _marking_quads(waypoint, yaw, loc):
            polygons[cls].append(quad)
        for side in _side_lanes(waypoint):
            side_tf = side.transform
            quad = _quad(side_tf.location.x, side_tf.location.y, yaw, WAYPOINT_STEP_M * 1.3, side.lane_width + 0.05)
            polygons[_SIDE_LANE_CLASSES.get(side.lane_type, Ground.SIDEWALK)].append(quad)
    polygons[Ground.CROSSWALK] = _crosswalk_polygons(town)
    polygons[Ground.STOP_LINE] = _stop_line_quads(town)

    every = np.concatenate([np.concatenate(p) for p in polygons.values() if p])
    lo, hi = every.min(axis=0) - MARGIN_M, every.max(axis=0) + MARGIN_M
    if resolution is None:
        area_cells = (hi[0] - lo[0]) * (hi[1] - lo[1]) / FINEST_RESOLUTION_M**2
        resolution = FINEST_RESOLUTION_M * max(1.0, math.sqrt(area_cells / MAX_CELLS))
    cols, rows = (int(math.ceil(v)) for v in (hi - lo) / resolution)
    classes = np.full((rows, cols), Ground.TERRAIN, dtype=np.uint8)
    shift = 2  # sub-cell precision for the polygon corners
    # Painting order: side lanes, road, then paint on the road surface.
    for cls in (Ground.SHOULDER, Ground.PARKING, Ground.SIDEWALK, Ground.ROAD, Ground.CROSSWALK,
                Ground.MARKING_WHITE, Ground.MARKING_YELLOW, Ground.STOP_LINE):
        if polygons[cls]:
            # One call per polygon: fillPoly would cancel the overlaps of consecutive quads (even-odd rule).
            for polygon in polygons[cls]:
                pts = np.round((polygon - lo) / resolution * (1 << shift)).astype(np.int32)
                cv2.fillConvexPoly(classes, pts, int(cls), lineType=cv2.LINE_8, shift=shift)
    return GroundRaster(classes=classes, x0=float(lo[0]), y0=float(lo[1]), resolution=float(resolution))


#: Rasters are also kept on disk here (one ``.npz`` per town content); an empty value turns that off.
CACHE_DIR_ENV = "LEAD_SIM_CACHE_DIR"
RASTER_FORMAT = 1  # bump when the rasterisation changes, so old files are not reused


def _cache_path(key: str) -> Path | None:
    root = os.environ.get(CACHE_DIR_ENV, str(Path.home() / ".cache" / "lead_sim"))
    return Path(root) / "ground_rasters" / f"{key}.npz" if root else None


def _load_or_build(key: str, town: carla.Map) -> GroundRaster:
    path = _cache_path(key)
    if path is not None and path.exists():
        with np.load(path) as stored:
            return GroundRaster(classes=stored["classes"], x0=float(stored["x0"]), y0=float(stored["y0"]),
                                resolution=float(stored["resolution"]))
    raster = build_ground_raster(town)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, classes=raster.classes, x0=raster.x0, y0=raster.y0, resolution=raster.resolution)
        partial.replace(path)  # atomic: concurrent workers never read a half-written file
    return raster


_rasters: dict[str, GroundRaster] = {}


def ground_raster(town: carla.Map) -> GroundRaster:
    """The town's raster: built once per process and cached on disk, keyed by the OpenDRIVE content."""
    digest = hashlib.sha1(town.to_opendrive().encode()).hexdigest()[:16]
    key = f"{town.name}-{digest}-v{RASTER_FORMAT}"
    if key not in _rasters:
        if len(_rasters) >= 4:  # bound memory: towns are large
            _rasters.pop(next(iter(_rasters)))
        _rasters[key] = _load_or_build(key, town)
    return _rasters[key]
