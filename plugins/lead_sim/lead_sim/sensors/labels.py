"""3D box labels of everything around the ego, with visibility from the rig's LiDARs and cameras.

Each box is a dict: ``class`` (LEAD's box classes: vehicle, walker, biker, obstacle, parking, special,
traffic_light, stop_sign), ``id``, ``position`` [x, y, z] of the box centre in the ego frame (x forward,
y right, z up, origin on the ground below the ego's centre), ``extent`` [x, y, z] half sizes, ``yaw``
relative to the ego (rad), ``speed`` (m/s), ``num_lidar_points`` (returns of the LiDARs read in the same
``read``; None when none was) and ``visible_pixels`` (pixels in all the rig's camera views, rendered for this
purpose when needed; None when the rig has no camera), ``state`` for lights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lead_framework.sensors import Pose
from lead_sim.scene import EGO_INDEX, ActorKind, LightState
from lead_sim.sensors.configs import BoxesConfig
from lead_sim.sensors.frame import FrameContext
from lead_sim.sensors.solids import LIGHT_HEAD_EXTENT
from lead_sim.sensors.transforms import invert_rigid, wrap_angle
from lead_sim.sensors.weather import Look

BOX_CLASSES = {
    ActorKind.VEHICLE: "vehicle",
    ActorKind.WALKER: "walker",
    ActorKind.BICYCLE: "biker",
    ActorKind.OBSTACLE: "obstacle",
    ActorKind.PARKED_VEHICLE: "parking",
    ActorKind.EMERGENCY_VEHICLE: "special",
}


class Boxes:
    """Box labels (list of dicts) within ``max_distance_m``; the ``pose`` is ignored."""

    label = True

    def __init__(self, config: BoxesConfig, pose: Pose = Pose()):
        self.config = config

    def read(self, ctx: FrameContext, look: Look) -> list[dict[str, Any]]:
        ego_from_world = invert_rigid(ctx.ego_matrix)
        rot, trans = ego_from_world[:3, :3], ego_from_world[:3, 3]
        scene, actors = ctx.scene, ctx.scene.actors
        boxes = []
        centers = actors.position @ rot.T + trans
        for row in range(len(actors)):
            if row == EGO_INDEX:
                continue
            boxes.append({
                "class": BOX_CLASSES[ActorKind(int(actors.kinds[row]))],
                "id": int(actors.ids[row]),
                "position": centers[row].tolist(),
                "extent": actors.extent[row].tolist(),
                "yaw": float(wrap_angle(actors.yaw[row] - scene.ego_yaw)),
                "speed": float(np.linalg.norm(actors.velocity[row, :2])),
                "num_lidar_points": ctx.lidar_hits.get(row, 0) if ctx.lidar_read else None,
                "visible_pixels": ctx.camera_pixels.get(row, 0) if ctx.cameras_read else None,
            })
        ground_z = float(ctx.ego_matrix[2, 3])
        for light in scene.traffic_lights:  # the light housing, as rendered
            head = np.array([light.position[0], light.position[1], ground_z + 3.5])
            boxes.append(self._static_box("traffic_light", light.id, rot @ head + trans, LIGHT_HEAD_EXTENT, 0.0,
                                          state=LightState(int(light.state)).name.lower()))
        for sign in scene.stop_signs:  # the trigger area on the governed lane
            center = rot @ np.asarray(sign.trigger_center, float) + trans
            boxes.append(self._static_box("stop_sign", sign.id, center, sign.trigger_extent,
                                          float(wrap_angle(sign.trigger_yaw - scene.ego_yaw))))
        return [b for b in boxes if np.hypot(*b["position"][:2]) <= self.config.max_distance_m]

    @staticmethod
    def _static_box(kind: str, ident: int, position: np.ndarray, extent, yaw: float, **extra: Any) -> dict[str, Any]:
        return {"class": kind, "id": int(ident), "position": np.asarray(position, float).tolist(),
                "extent": np.asarray(extent, float).tolist(), "yaw": yaw, "speed": 0.0,
                "num_lidar_points": None, "visible_pixels": None, **extra}
