"""Radar: detections on the scene's boxes within the field of view and range.

A regular grid of rays (``RAY_STEP_DEG`` apart) over the field of view is cast against the boxes; hits are
thinned evenly to at most ``points_per_second / 20`` per tick. Each detection is a row in the layout the
leaderboard hands to agents (``lead_framework.sensors.RADAR_COLUMNS``: depth m, altitude rad, azimuth rad,
velocity m/s); velocity is the target's velocity
relative to the sensor along the line of sight, positive when receding (CARLA's sign).
"""

from __future__ import annotations

import math

import numpy as np

from lead_framework.sensors import Pose
from lead_framework.world import TICK_RATE_HZ
from lead_sim.scene import EGO_INDEX
from lead_sim.sensors.configs import RadarConfig
from lead_sim.sensors.frame import FrameContext
from lead_sim.sensors.raycast import angular_bounds, ray_pair_hits
from lead_sim.sensors.transforms import invert_rigid, pose_matrix
from lead_sim.sensors.weather import Look

RAY_STEP_DEG = 1.0


class Radar:
    """A radar mounted at ``pose`` on the ego."""

    label = False

    def __init__(self, config: RadarConfig, pose: Pose = Pose()):
        self.config, self.pose = config, pose
        self.mount = pose_matrix(pose)
        self.max_points = max(1, int(config.points_per_second / TICK_RATE_HZ))
        half_h, half_v = math.radians(config.horizontal_fov / 2), math.radians(config.vertical_fov / 2)
        step = math.radians(RAY_STEP_DEG)
        self.azimuths = np.arange(-half_h, half_h + 1e-9, step)
        self.altitudes = np.arange(half_v, -half_v - 1e-9, -step)
        az, alt = np.meshgrid(self.azimuths, self.altitudes)
        self.directions = np.stack([np.cos(alt) * np.cos(az), np.cos(alt) * np.sin(az), np.sin(alt)], -1)
        self.step = step

    def _cast(self, distance: np.ndarray, solid: np.ndarray, boxes: np.ndarray, centers: np.ndarray,
              rotations: np.ndarray, extents: np.ndarray, blocks: tuple[np.ndarray, ...]) -> None:
        """Nearest hits of ``boxes`` (solid indices; on equal distances the earlier box wins) into ``distance``
        and ``solid`` (rows, cols). Each box is tested against its block of rays only (``blocks``: row start,
        row stop, column start, column stop per box), all (ray, box) pairs in one pass."""
        r0, r1, a0, a1 = blocks
        columns = a1 - a0
        sizes = (r1 - r0) * columns
        pair_box = np.repeat(np.arange(len(boxes)), sizes)
        within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        row = r0[pair_box] + within // columns[pair_box]
        col = a0[pair_box] + within % columns[pair_box]
        box = boxes[pair_box]
        hit = ray_pair_hits(self.directions[row, col], centers[box], rotations[pair_box], extents[box])
        ray = row * distance.shape[1] + col
        order = np.lexsort((pair_box, hit, ray))  # by ray, then distance, then box
        ray_sorted = ray[order]
        first = order[np.concatenate([[True], ray_sorted[1:] != ray_sorted[:-1]])]
        first = first[np.isfinite(hit[first])]
        distance.flat[ray[first]] = hit[first]
        solid.flat[ray[first]] = box[first]

    def read(self, ctx: FrameContext, look: Look) -> np.ndarray:
        distance = np.full(self.directions.shape[:2], np.inf)
        solid = np.full(distance.shape, -1, dtype=np.int64)
        solids = ctx.solids
        sensor_to_world = ctx.ego_matrix @ self.mount
        if len(solids):
            sensor_from_world = invert_rigid(sensor_to_world)
            rot, trans = sensor_from_world[:3, :3], sensor_from_world[:3, 3]
            centers = solids.center @ rot.T + trans
            near = np.flatnonzero(np.linalg.norm(centers, axis=1) - np.linalg.norm(solids.extent, axis=1) < self.config.range)
            rotations = rot @ solids.rotation[near]
            corners = ctx.solid_corners[near] @ rot.T + trans
            az_start, az_width, el_min, el_max = angular_bounds(corners, centers[near], rotations, solids.extent[near])
            # Ray blocks each box can reach (azimuths ascend, altitudes descend).
            a0 = np.searchsorted(self.azimuths, az_start - self.step)
            a1 = np.searchsorted(self.azimuths, az_start + az_width + self.step)
            r0 = np.searchsorted(-self.altitudes, -el_max - self.step)
            r1 = np.searchsorted(-self.altitudes, -el_min + self.step)
            boxes = np.flatnonzero((a1 > a0) & (r1 > r0))
            if len(boxes):
                self._cast(distance, solid, near[boxes], centers, rotations[boxes], solids.extent,
                           (r0[boxes], r1[boxes], a0[boxes], a1[boxes]))
        rows, cols = np.nonzero(distance <= self.config.range)
        if len(rows) > self.max_points:
            keep = np.linspace(0, len(rows) - 1, self.max_points).round().astype(np.int64)
            rows, cols = rows[keep], cols[keep]
        distance, solid = distance[rows, cols], solid[rows, cols]
        depth = distance
        actor_row = solids.actor_row[solid] if len(solid) else np.zeros(0, np.int64)
        velocity = np.where(actor_row[:, None] >= 0, ctx.scene.actors.velocity[np.maximum(actor_row, 0)], 0.0)
        relative = velocity - ctx.scene.actors.velocity[EGO_INDEX]
        line_of_sight = self.directions[rows, cols] @ sensor_to_world[:3, :3].T
        radial = np.einsum("ij,ij->i", relative, line_of_sight)
        return np.column_stack([depth, self.altitudes[rows], self.azimuths[cols], radial]).astype(np.float32)
