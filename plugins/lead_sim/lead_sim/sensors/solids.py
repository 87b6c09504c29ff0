"""The oriented boxes that cameras, LiDAR and radar see in one scene.

Actors (except the ego) become one box each; a bicycle becomes a bicycle box with a rider box on top.
Traffic lights become a pole beside the road with an arm that holds the light housing above the
governed lanes; stop signs a pole with the sign plate. They stand on the ego's ground height (the
embedded world's ground is flat around the ego).
"""

from __future__ import annotations

import functools
import math

import attrs
import numpy as np

from lead_sim.scene import EGO_INDEX, ActorKind, LightState, Scene
from lead_sim.sensors.tags import CarlaTag
from lead_sim.sensors.transforms import yaw_matrix

#: Body colours (BGR) that vehicles take by actor id.
VEHICLE_BGR = np.array(
    [(40, 40, 180), (180, 180, 180), (30, 30, 30), (150, 90, 30), (220, 220, 220), (40, 120, 40), (20, 150, 200),
     (110, 60, 120), (90, 90, 90), (160, 130, 90)],
    dtype=np.uint8,
)
_ACTOR_TAG = {
    ActorKind.VEHICLE: CarlaTag.CAR,
    ActorKind.WALKER: CarlaTag.PEDESTRIAN,
    ActorKind.BICYCLE: CarlaTag.BICYCLE,
    ActorKind.OBSTACLE: CarlaTag.STATIC,
    ActorKind.PARKED_VEHICLE: CarlaTag.CAR,
    ActorKind.EMERGENCY_VEHICLE: CarlaTag.CAR,
}
_BLUEPRINT_TAGS = (("truck", CarlaTag.TRUCK), ("bus", CarlaTag.BUS), ("ambulance", CarlaTag.TRUCK),
                   ("firetruck", CarlaTag.TRUCK), ("motorcycle", CarlaTag.MOTORCYCLE),
                   ("harley", CarlaTag.MOTORCYCLE), ("kawasaki", CarlaTag.MOTORCYCLE),
                   ("yamaha", CarlaTag.MOTORCYCLE), ("vespa", CarlaTag.MOTORCYCLE))
_LIGHT_BGR = {LightState.RED: (30, 30, 255), LightState.YELLOW: (30, 220, 255), LightState.GREEN: (60, 255, 60),
              LightState.OFF: (40, 40, 40)}
#: Boxes farther than this from the ego are left out (beyond every sensor's range).
SENSOR_REACH_M = 150.0
RIDER_SPLIT = 0.55  # share of a bicycle's height that is the bicycle; the rest is the rider
POLE_HALF_WIDTH_M = 0.1
LIGHT_HEAD_EXTENT = (0.25, 0.25, 0.5)  # half sizes; the head sits at 3.5 m
LIGHT_POLE_HEIGHT_M = 4.2
LIGHT_ARM_HALF_THICKNESS_M = 0.08  # the arm runs from the pole's top to the head at 4.1 m
SIGN_PLATE_EXTENT = (0.05, 0.4, 0.4)  # half sizes; the plate sits at 2.1 m


@attrs.define
class Solids:
    """Struct of arrays of oriented boxes (M rows)."""

    center: np.ndarray  # (M, 3) world
    rotation: np.ndarray  # (M, 3, 3) box-to-world
    extent: np.ndarray  # (M, 3) half sizes
    tag: np.ndarray  # (M,) CARLA tag
    bgr: np.ndarray  # (M, 3) base colour
    object_id: np.ndarray  # (M,) actor / light / sign id
    actor_row: np.ndarray  # (M,) row in ActorArrays, -1 for lights and signs

    def __len__(self) -> int:
        return int(self.center.shape[0])

    def corners(self) -> np.ndarray:
        """(M, 8, 3) world corners; corner k has signs (+-x, +-y, +-z) from bits (4, 2, 1) of k."""
        signs = np.array([[1 if k & 4 else -1, 1 if k & 2 else -1, 1 if k & 1 else -1] for k in range(8)], float)
        local = signs[None] * self.extent[:, None, :]
        return self.center[:, None, :] + np.einsum("mij,mkj->mki", self.rotation, local)


_KIND_TO_TAG = np.zeros(256, np.uint8)
for _kind, _tag in _ACTOR_TAG.items():
    _KIND_TO_TAG[_kind] = _tag


def _actor_tags(scene: Scene, rows: np.ndarray) -> np.ndarray:
    """CARLA tag per actor row: by kind, refined by blueprint for motor vehicles (trucks, buses, motorbikes)."""
    tags = _KIND_TO_TAG[scene.actors.kinds[rows].astype(np.int64)]
    blueprints = scene.actors.blueprints
    for i in np.flatnonzero(tags == CarlaTag.CAR):
        row = rows[i]
        tags[i] = _car_tag(blueprints[row] if row < len(blueprints) else "")
    return tags


@functools.lru_cache(maxsize=1024)
def _car_tag(blueprint: str) -> CarlaTag:
    """The tag of a car-kind actor's blueprint (trucks, buses and motorbikes have their own)."""
    lowered = blueprint.lower()
    return next((tag for word, tag in _BLUEPRINT_TAGS if word in lowered), CarlaTag.CAR)


def _prop_boxes(scene: Scene, ground_z: float) -> list[tuple]:
    """(center, yaw, extent, tag, bgr, object_id) of traffic-light and stop-sign poles and heads."""
    boxes = []
    grey = (120, 120, 120)
    arm_z = ground_z + LIGHT_POLE_HEIGHT_M - LIGHT_ARM_HALF_THICKNESS_M
    for light in scene.traffic_lights:
        x, y = float(light.position[0]), float(light.position[1])
        px, py = float(light.pole_position[0]), float(light.pole_position[1])
        half_height = 0.5 * LIGHT_POLE_HEIGHT_M
        boxes.append(((px, py, ground_z + half_height), 0.0, (POLE_HALF_WIDTH_M, POLE_HALF_WIDTH_M, half_height),
                      CarlaTag.POLE, grey, light.id))
        half_length = 0.5 * math.hypot(x - px, y - py)
        if half_length > 0.0:
            boxes.append((((x + px) / 2, (y + py) / 2, arm_z), math.atan2(y - py, x - px),
                          (half_length, LIGHT_ARM_HALF_THICKNESS_M, LIGHT_ARM_HALF_THICKNESS_M), CarlaTag.POLE, grey,
                          light.id))
        boxes.append(((x, y, ground_z + 3.5), 0.0, LIGHT_HEAD_EXTENT, CarlaTag.TRAFFIC_LIGHT,
                      _LIGHT_BGR[LightState(light.state)], light.id))
    for sign in scene.stop_signs:
        x, y = float(sign.position[0]), float(sign.position[1])
        boxes.append(((x, y, ground_z + 0.85), 0.0, (0.05, 0.05, 0.85), CarlaTag.POLE, grey, sign.id))
        boxes.append(((x, y, ground_z + 2.1), float(sign.trigger_yaw), SIGN_PLATE_EXTENT, CarlaTag.TRAFFIC_SIGN,
                      (40, 40, 200), sign.id))
    return boxes


def scene_solids(scene: Scene) -> Solids:
    """All boxes the sensors of the ego can see in ``scene``."""
    actors = scene.actors
    ego_xy = actors.position[EGO_INDEX, :2] if len(actors) else np.zeros(2)
    distance = np.linalg.norm(actors.position[:, :2] - ego_xy, axis=1)
    rows = np.flatnonzero((np.arange(len(actors)) != EGO_INDEX) & (distance <= SENSOR_REACH_M))
    center = actors.position[rows].astype(np.float64)
    yaw = actors.yaw[rows].astype(np.float64)
    extent = actors.extent[rows].astype(np.float64)
    tag = _actor_tags(scene, rows) if len(rows) else np.zeros(0, np.uint8)
    bgr = VEHICLE_BGR[actors.ids[rows] % len(VEHICLE_BGR)]
    bgr[tag == CarlaTag.PEDESTRIAN] = (70, 90, 140)
    bgr[tag == CarlaTag.STATIC] = (0, 110, 240)
    object_id = actors.ids[rows].astype(np.int64)
    actor_row = rows.copy()

    bikes = np.flatnonzero(tag == CarlaTag.BICYCLE)
    if len(bikes):  # split each bicycle into the bicycle (lower part) and its rider (upper part)
        height = 2.0 * extent[bikes, 2]
        bottom = center[bikes, 2] - extent[bikes, 2]
        rider_center = center[bikes].copy()
        rider_center[:, 2] = bottom + height * (1 + RIDER_SPLIT) / 2
        rider_extent = extent[bikes].copy()
        rider_extent[:, 0] *= 0.4
        rider_extent[:, 2] = height * (1 - RIDER_SPLIT) / 2
        center[bikes, 2] = bottom + height * RIDER_SPLIT / 2
        extent[bikes, 2] = height * RIDER_SPLIT / 2
        center = np.concatenate([center, rider_center])
        yaw = np.concatenate([yaw, yaw[bikes]])
        extent = np.concatenate([extent, rider_extent])
        tag = np.concatenate([tag, np.full(len(bikes), CarlaTag.RIDER, np.uint8)])
        bgr = np.concatenate([bgr, np.tile(np.array([(50, 60, 160)], np.uint8), (len(bikes), 1))])
        object_id = np.concatenate([object_id, object_id[bikes]])
        actor_row = np.concatenate([actor_row, actor_row[bikes]])

    ground_z = float(actors.position[EGO_INDEX, 2] - actors.extent[EGO_INDEX, 2]) if len(actors) else 0.0
    props = [p for p in _prop_boxes(scene, ground_z) if math.dist(p[0][:2], ego_xy) <= SENSOR_REACH_M]
    if props:
        center = np.concatenate([center, np.array([p[0] for p in props], float)])
        yaw = np.concatenate([yaw, np.array([p[1] for p in props], float)])
        extent = np.concatenate([extent, np.array([p[2] for p in props], float)])
        tag = np.concatenate([tag, np.array([p[3] for p in props], np.uint8)])
        bgr = np.concatenate([bgr, np.array([p[4] for p in props], np.uint8)])
        object_id = np.concatenate([object_id, np.array([p[5] for p in props], np.int64)])
        actor_row = np.concatenate([actor_row, np.full(len(props), -1, np.int64)])
    return Solids(center=center.reshape(-1, 3), rotation=yaw_matrix(yaw), extent=extent.reshape(-1, 3),
                  tag=tag.astype(np.uint8), bgr=bgr.reshape(-1, 3).astype(np.uint8), object_id=object_id,
                  actor_row=actor_row)
