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

    def _world_to_ego(self, ctx: FrameContext) -> np.ndarray:
        return invert_rigid(ctx.ego_matrix)

    def _fill(self, image: np.ndarray, ego_xy: np.ndarray, value: int) -> None:
        pts = np.round(self.ego_to_pixels(ego_xy) * (1 << SHIFT) - (1 << (SHIFT - 1))).astype(np.int32)
        cv2.fillConvexPoly(image, pts, int(value), cv2.LINE_8, SHIFT)

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
        ego_from_world = self._world_to_ego(ctx)
        rot, trans = ego_from_world[:3, :3], ego_from_world[:3, 3]
        image = self._ground(ctx, ego_from_world)
        scene = ctx.scene
        for sign in scene.stop_signs:
            center = rot @ np.asarray(sign.trigger_center, float) + trans
            yaw = float(sign.trigger_yaw) - scene.ego_yaw
            self._fill(image, _rectangle(center[:2], yaw, np.asarray(sign.trigger_extent, float)[:2]), BevClass.STOP_SIGN)
        for light in scene.traffic_lights:
            value = LIGHT_TO_BEV.get(LightState(light.state))
            if value is None:
                continue
            for segment in np.asarray(light.stop_lines, float).reshape(-1, 2, 3):
                a, b = (rot @ segment.T).T[:, :2] + trans[:2]
                direction = (b - a) / max(np.linalg.norm(b - a), 1e-9)
                normal = np.array([-direction[1], direction[0]]) * STOP_LINE_WIDTH_M / 2
                self._fill(image, np.array([a + normal, b + normal, b - normal, a - normal]), value)
        actors = scene.actors
        centers = actors.position @ rot.T + trans
        yaws = actors.yaw - scene.ego_yaw
        for row in range(len(actors)):
            if row == EGO_INDEX:
                continue
            self._fill(image, _rectangle(centers[row, :2], yaws[row], actors.extent[row, :2]),
                       KIND_TO_BEV[ActorKind(int(actors.kinds[row]))])
        return image


def _rectangle(center: np.ndarray, yaw: float, half: np.ndarray) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    forward, right = np.array([c, s]) * half[0], np.array([-s, c]) * half[1]
    return np.array([center + forward + right, center + forward - right, center - forward - right, center - forward + right])
