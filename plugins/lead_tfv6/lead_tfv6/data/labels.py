"""Labels and non-image inputs of one sample from its decoded members (docs/data-format.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lead_framework.frame_labels import box_class_id
from lead_tfv6.batch import ROUTE_SPACING_M, ROUTE_START_M
from lead_tfv6.config import TFv6Config
from lead_tfv6.data.geometry import resample_path
from lead_tfv6.heads.light_state import LIGHT_STATES
from lead_tfv6.heads.stop_sign import STOP_SIGN_ZONES

#: BEV label of cells that the stored raster does not cover; the BEV loss ignores it.
BEV_IGNORE = -1
#: Default resolution of ``bev.png`` when ``meta["bev"]`` does not give one.
BEV_PIXELS_PER_METER = 4.0
#: Box classes the radar detector learns to find (actors): vehicle, walker, special, parking, biker.
RADAR_BOX_CLASSES = (0, 1, 4, 6, 7)
#: Saved-frame period in simulator ticks (20 Hz simulation, 4 Hz samples).
TICKS_PER_WAYPOINT = 5
DEPTH_PNG_MAX_M = 50.0
#: BEV classes of a stop line drawn in its light's colour (docs/data-format.md) -> light state.
BEV_LIGHT_TO_STATE = {10: LIGHT_STATES.index("stop"), 11: LIGHT_STATES.index("stop"), 12: LIGHT_STATES.index("go")}
#: A light's stop line governs the ego when it lies this far ahead at most, within this half width
#: of the ego's centre line (a lane is 3 to 3.5 m wide: the neighbouring lanes' lines stay outside).
LIGHT_AHEAD_M = 30.0
LIGHT_LANE_HALF_WIDTH_M = 1.5
#: BEV class of a stop sign's trigger area (the last metres of the lane it governs; docs/data-format.md).
BEV_STOP_SIGN = 3
#: A stop area is "ahead" up to this far; "at" once it begins this close ahead of the ego's centre
#: (the leaderboard counts a stop while a lane point up to 4 m ahead lies in the area) or the ego
#: stands in it. Same corridor half width as for lights.
STOP_SIGN_AHEAD_M = 20.0
STOP_SIGN_AT_M = 3.0


def _stored_bev_scale(bev: np.ndarray, bev_meta: Mapping[str, Any] | None) -> tuple[float, float]:
    """``bev.png``'s pixels per metre and ego offset (metres below the centre row), after checking its shape."""
    if bev.ndim != 2:
        raise ValueError(f"bev.png must be a single-channel class map, got shape {bev.shape}")
    bev_meta = bev_meta or {}
    return float(bev_meta.get("pixels_per_meter", BEV_PIXELS_PER_METER)), float(bev_meta.get("ego_offset_m", 0.0))


def bev_labels(bev: np.ndarray, bev_meta: Mapping[str, Any] | None, config: TFv6Config) -> np.ndarray:
    """Resample the stored ego-centred BEV class map onto the model's BEV raster (rows y, cols x).

    ``bev.png`` convention: forward (+x) points up (row 0 is farthest ahead), +y (right) points
    right; the ego sits at the centre column and ``ego_offset_m`` metres below the centre row.
    ``bev_meta`` may give ``pixels_per_meter`` (default 4) and ``ego_offset_m`` (default 0).
    Cells the raster does not cover get ``BEV_IGNORE``.
    """
    ppm, offset = _stored_bev_scale(bev, bev_meta)
    height, width = bev.shape
    ys = config.min_y + (np.arange(config.lidar_height) + 0.5) / config.pixels_per_meter
    xs = config.min_x + (np.arange(config.lidar_width) + 0.5) / config.pixels_per_meter
    source_row = np.floor(height / 2 + offset * ppm - xs * ppm).astype(np.int64)  # one per target column
    source_col = np.floor(width / 2 + ys * ppm).astype(np.int64)  # one per target row
    labels = np.full((config.lidar_height, config.lidar_width), BEV_IGNORE, dtype=np.int64)
    rows_ok = (source_col >= 0) & (source_col < width)
    cols_ok = (source_row >= 0) & (source_row < height)
    labels[np.ix_(rows_ok, cols_ok)] = bev[np.ix_(source_row[cols_ok], source_col[rows_ok])].T
    return labels


def _corridor_ahead(bev: np.ndarray, bev_meta: Mapping[str, Any] | None, ahead_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The stored BEV classes from the ego's centre up to ``ahead_m`` ahead within
    ``LIGHT_LANE_HALF_WIDTH_M`` of its centre line (rows: distance ahead, increasing) and each
    row's distance ahead in metres. Same map geometry as :func:`bev_labels`."""
    ppm, offset = _stored_bev_scale(bev, bev_meta)
    height, width = bev.shape
    x = (height / 2 + offset * ppm - (np.arange(height) + 0.5)) / ppm  # per row
    y = (np.arange(width) + 0.5 - width / 2) / ppm  # per column
    rows = np.flatnonzero((x >= 0.0) & (x <= ahead_m))[::-1]
    cols = np.flatnonzero(np.abs(y) <= LIGHT_LANE_HALF_WIDTH_M)
    return bev[np.ix_(rows, cols)], x[rows]


def light_state_label(bev: np.ndarray, bev_meta: Mapping[str, Any] | None) -> np.int64:
    """Index in ``LIGHT_STATES`` of the nearest light stop line straight ahead in the stored BEV map.

    "stop" for a red or yellow line, "go" for a green one, "none" without a line up to
    ``LIGHT_AHEAD_M`` ahead within ``LIGHT_LANE_HALF_WIDTH_M`` of the ego's centre line (once the
    ego has crossed its line the light no longer binds it).
    """
    corridor, _ = _corridor_ahead(bev, bev_meta, LIGHT_AHEAD_M)
    state = np.zeros(corridor.shape, np.int64)
    for bev_class, light_state in BEV_LIGHT_TO_STATE.items():
        state[corridor == bev_class] = light_state
    lit_rows = np.flatnonzero(state.any(axis=1))
    if len(lit_rows) == 0:
        return np.int64(LIGHT_STATES.index("none"))
    return np.int64(state[lit_rows[0]].max())


def stop_sign_label(bev: np.ndarray, bev_meta: Mapping[str, Any] | None) -> np.int64:
    """Index in ``STOP_SIGN_ZONES`` of the ego's place relative to the nearest stop-sign area in the
    same corridor as :func:`light_state_label`: "at" when it begins within ``STOP_SIGN_AT_M`` (or
    the ego's centre is in it), "ahead" up to ``STOP_SIGN_AHEAD_M``, else "none" (also once the
    ego's centre has left the area)."""
    corridor, x = _corridor_ahead(bev, bev_meta, STOP_SIGN_AHEAD_M)
    sign_rows = np.flatnonzero((corridor == BEV_STOP_SIGN).any(axis=1))
    if len(sign_rows) == 0:
        return np.int64(STOP_SIGN_ZONES.index("none"))
    return np.int64(STOP_SIGN_ZONES.index("at" if x[sign_rows[0]] <= STOP_SIGN_AT_M else "ahead"))


def box_rows(boxes: Sequence[Mapping[str, Any]], config: TFv6Config) -> np.ndarray:
    """``boxes.json`` entries -> (N, 7) rows (x, y, length, width, yaw, speed, class).

    Boxes no sensor saw (no LiDAR points and no visible pixels, when those counts are given) and
    classes outside the model's box classes are dropped.
    """
    rows = []
    for box in boxes:
        clazz = box_class_id(box["class"])
        if not 0 <= clazz < config.num_box_classes:
            continue
        seen_by = (box.get("lidar_points"), box.get("visible_pixels"))
        if None not in seen_by and max(seen_by) <= 0:
            continue
        x, y = box["position"][:2]
        half_length, half_width = box["extent"][:2]
        rows.append((x, y, 2 * half_length, 2 * half_width, box["yaw"], box.get("speed", 0.0), clazz))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 7)


def radar_detection_labels(rows: np.ndarray, config: TFv6Config) -> np.ndarray:
    """(Q, 4) labels x, y, speed, valid: the nearest actors inside the BEV area, padded with zeros."""
    labels = np.zeros((config.num_radar_queries, 4), np.float32)
    x, y = rows[:, 0], rows[:, 1]
    inside = (x >= config.min_x) & (x < config.max_x) & (y >= config.min_y) & (y < config.max_y)
    actors = rows[inside & np.isin(rows[:, 6].astype(np.int64), RADAR_BOX_CLASSES)]
    actors = actors[np.argsort(np.hypot(actors[:, 0], actors[:, 1]), kind="stable")][: config.num_radar_queries]
    labels[: len(actors)] = np.column_stack([actors[:, 0], actors[:, 1], actors[:, 5], np.ones(len(actors))])
    return labels


def pad_radar(radar: np.ndarray, config: TFv6Config) -> np.ndarray:
    """(M, 5) radar points -> (num_radar_points, 5), padded with zeros and sensor id -1."""
    radar = np.asarray(radar, dtype=np.float32).reshape(-1, 5)[: config.num_radar_points]
    padded = np.zeros((config.num_radar_points, 5), np.float32)
    padded[:, 4] = -1.0
    padded[: len(radar)] = radar
    return padded


def command_one_hot(command: int, config: TFv6Config) -> np.ndarray:
    """CARLA RoadOption value (LEFT 1 ... CHANGELANERIGHT 6) -> one-hot of ``num_commands``."""
    if not 1 <= int(command) <= config.num_commands:
        raise ValueError(f"command {command} is not a RoadOption value in 1..{config.num_commands}")
    one_hot = np.zeros(config.num_commands, np.float32)
    one_hot[int(command) - 1] = 1.0
    return one_hot


def future_waypoints(future_positions: np.ndarray, config: TFv6Config) -> np.ndarray:
    """Every 5th future position (4 Hz from 20 Hz ticks), ``num_waypoints`` of them, x and y.

    ``future_positions[i]`` is the ego position ``i + 1`` ticks ahead; a short list repeats its
    last position (the route ended).
    """
    if len(future_positions) == 0:  # the route's last frame: the ego stays where it is
        return np.zeros((config.num_waypoints, 2), np.float32)
    positions = np.asarray(future_positions, dtype=np.float32).reshape(len(future_positions), -1)[:, :2]
    ticks = TICKS_PER_WAYPOINT * np.arange(1, config.num_waypoints + 1) - 1
    return positions[np.minimum(ticks, len(positions) - 1)]


def route_label(meta: Mapping[str, Any], config: TFv6Config) -> Any:
    """The route points the route head learns (``TFv6Config.route_label``, ``expert_path_scenarios``)."""
    if meta.get("scenario") in config.expert_path_scenarios:
        return meta["route"]
    return meta.get(config.route_label, meta["route"])


def meta_inputs_and_labels(meta: Mapping[str, Any], config: TFv6Config) -> dict[str, np.ndarray]:
    """Ego-state inputs and planning labels from ``meta.json`` (target points stay in metres:
    the model divides them by ``target_point_scale`` itself)."""
    route_distances = ROUTE_START_M + ROUTE_SPACING_M * np.arange(config.num_route_points)
    target_points = np.asarray(meta["target_points"], dtype=np.float32).reshape(-1, 2)
    if target_points.shape != (3, 2):
        raise ValueError(f"meta.target_points must hold 3 points [x, y], got shape {target_points.shape}")
    commands = meta["commands"]
    return {
        "speed": np.float32(meta["ego"]["speed"]),
        "command": command_one_hot(commands[1] if isinstance(commands, Sequence) else commands, config),
        "target_points": target_points,
        "route": resample_path(np.asarray(route_label(meta, config), dtype=np.float64).reshape(-1, 2), route_distances),
        "waypoints": future_waypoints(meta["future_positions"], config),
        "target_speed": np.float32(meta["target_speed"]),
        "brake": np.bool_(meta["brake"]),
    }


def depth_labels(depth_png: np.ndarray, config: TFv6Config) -> np.ndarray:
    """8-bit linear depth (0-255 = 0-50 m) -> depth / ``depth_max_m`` in [0, 1]."""
    if depth_png.ndim != 2:
        raise ValueError(f"depth.png must be single-channel, got shape {depth_png.shape}")
    metres = depth_png.astype(np.float32) * (DEPTH_PNG_MAX_M / 255.0)
    return np.clip(metres / config.depth_max_m, 0.0, 1.0)
