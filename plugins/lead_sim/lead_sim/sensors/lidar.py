"""Rotating LiDAR by ray casting against the flat ground and the scene's boxes.

Like CARLA's, each 20 Hz tick returns the part of the revolution swept during the tick
(``rotation_frequency / 20`` of a turn, ``points_per_second / 20`` rays) starting where the previous tick
ended. Channels are spread evenly from ``upper_fov`` down to ``lower_fov``. Output: (N, 4) float32
(x, y, z, intensity) in the sensor frame (x forward, y right, z up), intensity ``exp(-rate * distance)``;
with ``semantic`` (N, 6) float32 (x, y, z, cos_angle, object_idx, object_tag).
"""

from __future__ import annotations

import math

import numpy as np

from lead_framework.sensors import Pose
from lead_framework.world import TICK_RATE_HZ
from lead_sim.sensors.cameras import MIN_HEIGHT_M
from lead_sim.sensors.configs import LidarConfig
from lead_sim.sensors.errors import SensorConfigError
from lead_sim.sensors.frame import FrameContext
from lead_sim.sensors.raycast import angular_bounds, ray_box_hits
from lead_sim.sensors.tags import GROUND_TO_TAG
from lead_sim.sensors.transforms import invert_rigid, pose_matrix
from lead_sim.sensors.weather import Look

ELEVATION_PAD_RAD = math.radians(0.5)


class Lidar:
    """A LiDAR mounted at ``pose`` on the ego."""

    label = False

    def __init__(self, config: LidarConfig, pose: Pose = Pose(z=MIN_HEIGHT_M)):
        if pose.z < MIN_HEIGHT_M:
            raise SensorConfigError(f"pose z = {pose.z} m: LiDARs must be mounted at least {MIN_HEIGHT_M} m above the ground")
        self.config, self.pose = config, pose
        self.mount = pose_matrix(pose)
        self.columns_per_turn = max(1, round(config.points_per_second / config.rotation_frequency / config.channels))
        self.columns_per_tick = min(self.columns_per_turn,
                                    max(1, round(self.columns_per_turn * config.rotation_frequency / TICK_RATE_HZ)))
        self.step = 2.0 * math.pi / self.columns_per_turn
        self.elevations = np.radians(np.linspace(config.upper_fov, config.lower_fov, config.channels))
        self.elevation_step = math.radians(config.upper_fov - config.lower_fov) / max(config.channels - 1, 1)
        azimuths = np.arange(self.columns_per_turn) * self.step
        cos_el = np.cos(self.elevations)[:, None]
        sin_el = np.broadcast_to(np.sin(self.elevations)[:, None], (config.channels, self.columns_per_turn))
        directions = np.stack([cos_el * np.cos(azimuths), cos_el * np.sin(azimuths), sin_el], axis=-1)
        self.up = self.mount[:3, :3].T @ np.array([0.0, 0.0, 1.0])
        down = -(directions @ self.up)
        with np.errstate(divide="ignore"):
            ground = np.where(down > 1e-9, pose.z / down, np.inf)
        ground = np.where(ground <= config.range, ground, np.inf)
        # Two turns back to back: any tick's window is a plain slice (a view, no gather).
        self.directions = np.concatenate([directions, directions], axis=1).astype(np.float32)
        self.ground_distance = np.concatenate([ground, ground], axis=1).astype(np.float32)

    def _window(self, frame: int) -> slice:
        start = (frame * self.columns_per_tick) % self.columns_per_turn
        return slice(start, start + self.columns_per_tick)

    def _column_slices(self, first_column: int, azimuth_start: float, width: float) -> list[slice]:
        """Window column ranges that the azimuth interval [start, start + width] covers."""
        offset = (azimuth_start - first_column * self.step) % (2.0 * math.pi)
        lo = int(math.floor(offset / self.step))
        hi = lo + int(math.ceil(width / self.step)) + 2
        slices = []
        if lo < self.columns_per_tick:
            slices.append(slice(lo, min(hi, self.columns_per_tick)))
        if hi > self.columns_per_turn:
            slices.append(slice(0, min(hi - self.columns_per_turn, self.columns_per_tick, lo)))
        return [s for s in slices if s.stop > s.start]

    def cast(self, ctx: FrameContext) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Directions (C, A, 3), distances (C, A; inf = no return), hit solid (-1 = ground) and entry axis."""
        columns = self._window(ctx.frame)
        directions = self.directions[:, columns]
        distance = self.ground_distance[:, columns].copy()
        first_column = columns.start
        solid = np.full(distance.shape, -1, dtype=np.int64)
        axis = np.zeros(distance.shape, dtype=np.int64)
        solids = ctx.solids
        if len(solids):
            sensor_from_world = invert_rigid(ctx.ego_matrix @ self.mount)
            rot, trans = sensor_from_world[:3, :3], sensor_from_world[:3, 3]
            centers = solids.center @ rot.T + trans
            reach = np.linalg.norm(centers, axis=1) - np.linalg.norm(solids.extent, axis=1) < self.config.range
            candidates = np.flatnonzero(reach)
            rotations = rot @ solids.rotation[candidates]
            corners = ctx.solid_corners[candidates] @ rot.T + trans
            az_start, az_width, el_min, el_max = angular_bounds(corners, centers[candidates], rotations,
                                                                solids.extent[candidates])
            upper, pad = self.elevations[0], ELEVATION_PAD_RAD
            c0 = np.maximum(np.floor((upper - el_max - pad) / self.elevation_step), 0).astype(np.int64)
            c1 = np.minimum(np.ceil((upper - el_min + pad) / self.elevation_step) + 1, self.config.channels).astype(np.int64)
            semantic = self.config.semantic
            for i in np.flatnonzero(c1 > c0):
                m, rows = candidates[i], slice(c0[i], c1[i])
                for cols in self._column_slices(first_column, az_start[i], az_width[i]):
                    hit, entry_axis = ray_box_hits(directions[rows, cols], centers[m], rotations[i], solids.extent[m],
                                                   with_axis=semantic)
                    block = distance[rows, cols]
                    closer = hit < block
                    if closer.any():
                        block[closer] = hit[closer]
                        solid[rows, cols][closer] = m
                        if semantic:
                            axis[rows, cols][closer] = entry_axis[closer]
        return directions, distance, solid, axis

    def read(self, ctx: FrameContext, look: Look) -> np.ndarray:
        directions, distance, solid, axis = self.cast(ctx)
        returned = np.isfinite(distance).ravel()
        # compress first: arithmetic on the infinite distances of rays without a return is slow
        distance = np.compress(returned, distance.ravel())
        direction = np.compress(returned, directions.reshape(-1, 3), axis=0)
        solid = np.compress(returned, solid.ravel())
        on_box = solid >= 0
        if on_box.any():
            ctx.add_counts(ctx.lidar_hits, ctx.solids.actor_row, np.bincount(solid[on_box], minlength=len(ctx.solids)))
        ctx.lidar_read = True
        points = direction * distance[:, None]
        out = np.empty((len(points), 6 if self.config.semantic else 4), np.float32)
        out[:, :3] = points
        if self.config.semantic:
            self._semantic(ctx, out, points, direction, solid, np.compress(returned, axis.ravel()), on_box)
        else:
            out[:, 3] = np.exp(-self.config.atmosphere_attenuation_rate * distance)
        return out

    def _semantic(self, ctx: FrameContext, out: np.ndarray, points: np.ndarray, direction: np.ndarray,
                  solid: np.ndarray, axis: np.ndarray, on_box: np.ndarray) -> None:
        """Fill columns 3-5 of ``out``: cos_angle, object_idx and object_tag (boxes' or the ground's)."""
        sensor_to_world = ctx.ego_matrix @ self.mount
        cos_angle = direction @ self.up  # the ground's normal is the sensor frame's up
        world = points @ sensor_to_world[:3, :3].T + sensor_to_world[:3, 3]
        tag = GROUND_TO_TAG[ctx.raster.lookup(world[:, :2])].astype(np.float32)
        object_idx = np.zeros(len(points), np.float32)
        box_rows = np.flatnonzero(on_box)
        if len(box_rows):
            hit = solid[box_rows]
            world_normals = ctx.solids.rotation[hit, :, axis[box_rows]]  # (K, 3) entry face axis in the world
            normals = world_normals @ sensor_to_world[:3, :3]  # in the sensor frame
            cos_angle[box_rows] = np.einsum("ij,ij->i", normals, direction[box_rows])
            object_idx[box_rows] = ctx.solids.object_id[hit]
            tag[box_rows] = ctx.solids.tag[hit]
        out[:, 3] = np.abs(cos_angle)
        out[:, 4] = object_idx
        out[:, 5] = tag
