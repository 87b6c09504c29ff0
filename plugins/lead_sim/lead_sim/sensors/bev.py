"""Ego-centred BEV class map with LEAD's 13 classes (see :class:`~lead_sim.sensors.tags.BevClass`).

Image up is the ego's forward direction and image right its right. The ego sits at the continuous pixel
position (width / 2, height / 2 + ego_offset_m * pixels_per_meter). Layers, bottom to top: road and lane
markers from the town raster, stop-sign trigger areas, traffic-light stop lines in their light's colour,
then actors as oriented rectangles.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from lead_framework.sensors import Pose
from lead_sim.scene import EGO_INDEX, ActorKind, LightState
from lead_sim.sensors.configs import BevConfig
from lead_sim.sensors.frame import FrameContext
from lead_sim.sensors.tags import GROUND_TO_BEV, BevClass, Ground
from lead_sim.sensors.transforms import invert_rigid
from lead_sim.sensors.weather import Look

KIND_TO_BEV = {
    ActorKind.VEHICLE: BevClass.VEHICLE,
    ActorKind.WALKER: BevClass.WALKER,
    ActorKind.BICYCLE: BevClass.BIKER,
    ActorKind.OBSTACLE: BevClass.OBSTACLE,
    ActorKind.PARKED_VEHICLE: BevClass.PARKING_VEHICLE,
    ActorKind.EMERGENCY_VEHICLE: BevClass.SPECIAL_VEHICLE,
}
LIGHT_TO_BEV = {
    LightState.RED: BevClass.TRAFFIC_LIGHT_RED,
    LightState.YELLOW: BevClass.TRAFFIC_LIGHT_YELLOW,
    LightState.GREEN: BevClass.TRAFFIC_LIGHT_GREEN,
}
_KIND_TO_BEV = np.zeros(256, np.int64)
for _kind, _class in KIND_TO_BEV.items():
    _KIND_TO_BEV[_kind] = _class
STOP_LINE_WIDTH_M = 1.0
SHIFT = 4


class Bev:
    """BEV class map (H, W) uint8 around the ego (the ``pose`` is ignored: the map is ego-centred)."""

    label = True

    def __init__(self, config: BevConfig, pose: Pose = Pose()):
        self.config = config
        self.ppm = config.pixels_per_meter
        self.center = np.array([config.width / 2.0, config.height / 2.0 + config.ego_offset_m * self.ppm])
        self.reach_m = math.hypot(config.width, config.height) / self.ppm  # generous crop radius

    def ego_to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """Continuous pixel coordinates (u right, v down) of ego-frame points (x forward, y right)."""
        return np.stack([self.center[0] + xy[..., 1] * self.ppm, self.center[1] - xy[..., 0] * self.ppm], -1)

    def _fill_all(self, image: np.ndarray, polygons: np.ndarray, values: np.ndarray) -> None:
        """Fill (N, K, 2) ego-frame polygons with class ``values`` (N,), skipping those off the image."""
        if not len(polygons):
            return
        pixels = self.ego_to_pixels(polygons)
        size = np.array([self.config.width, self.config.height])
        seen = ((pixels.max(axis=1) >= 0) & (pixels.min(axis=1) < size)).all(axis=1)
        fixed = np.round(pixels * (1 << SHIFT) - (1 << (SHIFT - 1))).astype(np.int32)
        for pts, value in zip(fixed[seen], values[seen].tolist()):
            cv2.fillConvexPoly(image, pts, value, cv2.LINE_8, SHIFT)

    def _ground(self, ctx: FrameContext, ego_from_world: np.ndarray) -> np.ndarray:
        raster = ctx.raster
        ego = ctx.ego_matrix[:3, 3]
        rows, cols = raster.classes.shape
        c0, c1 = (int(np.clip((ego[0] + s * self.reach_m - raster.x0) / raster.resolution, 0, cols)) for s in (-1, 1))
        r0, r1 = (int(np.clip((ego[1] + s * self.reach_m - raster.y0) / raster.resolution, 0, rows)) for s in (-1, 1))
        size = (self.config.width, self.config.height)
        if c1 <= c0 or r1 <= r0:
            return np.zeros(size[::-1], np.uint8)
        res = raster.resolution
        # cell centre (c + 0.5, r + 0.5) -> world -> ego -> pixel centre (u - 0.5, v - 0.5)
        cell_to_world = np.array([[res, 0, raster.x0 + (c0 + 0.5) * res], [0, res, raster.y0 + (r0 + 0.5) * res], [0, 0, 1.0]])
        rot, trans = ego_from_world[:2, :2], ego_from_world[:2, 3]
        world_to_ego = np.eye(3)
        world_to_ego[:2, :2], world_to_ego[:2, 2] = rot, trans
        ego_to_pixel = np.array([[0, self.ppm, self.center[0] - 0.5], [-self.ppm, 0, self.center[1] - 0.5], [0, 0, 1.0]])
        affine = (ego_to_pixel @ world_to_ego @ cell_to_world)[:2]
        classes = cv2.warpAffine(raster.classes[r0:r1, c0:c1], affine, size, flags=cv2.INTER_NEAREST,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=int(Ground.TERRAIN))
        return cv2.LUT(classes, GROUND_TO_BEV)

    def read(self, ctx: FrameContext, look: Look) -> np.ndarray:
        ego_from_world = invert_rigid(ctx.ego_matrix)
        rot, trans = ego_from_world[:2, :2], ego_from_world[:2, 3]
        image = self._ground(ctx, ego_from_world)
        scene = ctx.scene
        if scene.stop_signs:
            centers = np.array([sign.trigger_center[:2] for sign in scene.stop_signs], float) @ rot.T + trans
            yaws = np.array([sign.trigger_yaw for sign in scene.stop_signs], float) - scene.ego_yaw
            halves = np.array([sign.trigger_extent[:2] for sign in scene.stop_signs], float)
            self._fill_all(image, _rectangles(centers, yaws, halves), np.full(len(centers), int(BevClass.STOP_SIGN)))
        segments, values = [], []
        for light in scene.traffic_lights:
            value = LIGHT_TO_BEV.get(LightState(int(light.state)))
            if value is not None:
                lines = np.asarray(light.stop_lines, float).reshape(-1, 2, 3)[:, :, :2]
                segments.append(lines)
                values += [int(value)] * len(lines)
        if segments:
            ends = np.concatenate(segments) @ rot.T + trans  # (M, 2, 2)
            direction = ends[:, 1] - ends[:, 0]
            direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-9)
            normal = np.stack([-direction[:, 1], direction[:, 0]], 1)[:, None, :] * STOP_LINE_WIDTH_M / 2
            strips = np.concatenate([ends + normal, (ends - normal)[:, ::-1]], axis=1)
            self._fill_all(image, strips, np.array(values))
        actors = scene.actors
        others = np.arange(len(actors)) != EGO_INDEX
        centers = actors.position[others, :2] @ rot.T + trans
        classes = _KIND_TO_BEV[actors.kinds[others].astype(np.int64)]
        self._fill_all(image, _rectangles(centers, actors.yaw[others] - scene.ego_yaw, actors.extent[others, :2]), classes)
        return image


def _rectangles(centers: np.ndarray, yaws: np.ndarray, halves: np.ndarray) -> np.ndarray:
    """(N, 4, 2) corners of oriented rectangles (centre, yaw, half length and width)."""
    c, s = np.cos(yaws), np.sin(yaws)
    forward = np.stack([c, s], 1) * halves[:, :1]
    right = np.stack([-s, c], 1) * halves[:, 1:2]
    return np.stack([centers + forward + right, centers + forward - right, centers - forward - right,
                     centers - forward + right], axis=1)
