"""Class ids shared by the sensors: CARLA semantic tags, ground raster classes and LEAD's BEV classes.

CARLA semantic tags are those of CARLA 0.9.14-0.9.16 (``carla.CityObjectLabel``): the semantic camera writes
them into the red channel and the semantic LiDAR into ``object_tag``.
"""

from __future__ import annotations

import enum

import numpy as np


class CarlaTag(enum.IntEnum):
    """The CARLA semantic tags the embedded world produces."""

    UNLABELED = 0
    ROAD = 1
    SIDEWALK = 2
    BUILDING = 3
    POLE = 6
    TRAFFIC_LIGHT = 7
    TRAFFIC_SIGN = 8
    TERRAIN = 10
    SKY = 11
    PEDESTRIAN = 12
    RIDER = 13
    CAR = 14
    TRUCK = 15
    BUS = 16
    MOTORCYCLE = 18
    BICYCLE = 19
    STATIC = 20
    ROAD_LINE = 24
    GROUND = 25


class Ground(enum.IntEnum):
    """Classes of the static ground raster (one uint8 per cell)."""

    TERRAIN = 0
    ROAD = 1
    SIDEWALK = 2
    PARKING = 3
    SHOULDER = 4
    MARKING_WHITE = 5
    MARKING_YELLOW = 6
    CROSSWALK = 7
    STOP_LINE = 8


class BevClass(enum.IntEnum):
    """LEAD's 13 BEV semantic classes."""

    UNLABELED = 0
    ROAD = 1
    LANE_MARKER = 2
    STOP_SIGN = 3
    VEHICLE = 4
    WALKER = 5
    OBSTACLE = 6
    PARKING_VEHICLE = 7
    SPECIAL_VEHICLE = 8
    BIKER = 9
    TRAFFIC_LIGHT_RED = 10
    TRAFFIC_LIGHT_YELLOW = 11
    TRAFFIC_LIGHT_GREEN = 12


def _lut(mapping: dict[int, int], default: int = 0) -> np.ndarray:
    table = np.full(256, default, dtype=np.uint8)
    for key, value in mapping.items():
        table[int(key)] = int(value)
    return table


#: Ground raster class -> CARLA tag (parking and shoulders are road surface in CARLA's towns).
GROUND_TO_TAG = _lut(
    {
        Ground.TERRAIN: CarlaTag.TERRAIN,
        Ground.ROAD: CarlaTag.ROAD,
        Ground.SIDEWALK: CarlaTag.SIDEWALK,
        Ground.PARKING: CarlaTag.ROAD,
        Ground.SHOULDER: CarlaTag.GROUND,
        Ground.MARKING_WHITE: CarlaTag.ROAD_LINE,
        Ground.MARKING_YELLOW: CarlaTag.ROAD_LINE,
        Ground.CROSSWALK: CarlaTag.ROAD_LINE,
        Ground.STOP_LINE: CarlaTag.ROAD_LINE,
    }
)

#: Ground raster class -> LEAD BEV class (crosswalks and stop lines lie on the road).
GROUND_TO_BEV = _lut(
    {
        Ground.ROAD: BevClass.ROAD,
        Ground.PARKING: BevClass.ROAD,
        Ground.MARKING_WHITE: BevClass.LANE_MARKER,
        Ground.MARKING_YELLOW: BevClass.LANE_MARKER,
        Ground.CROSSWALK: BevClass.ROAD,
        Ground.STOP_LINE: BevClass.ROAD,
    }
)

#: Ground raster class -> base BGR colour of the RGB camera.
GROUND_BGR = np.zeros((256, 3), dtype=np.uint8)
GROUND_BGR[Ground.TERRAIN] = (60, 110, 85)
GROUND_BGR[Ground.ROAD] = (88, 86, 84)
GROUND_BGR[Ground.SIDEWALK] = (150, 152, 156)
GROUND_BGR[Ground.PARKING] = (100, 98, 96)
GROUND_BGR[Ground.SHOULDER] = (110, 112, 114)
GROUND_BGR[Ground.MARKING_WHITE] = (225, 228, 230)
GROUND_BGR[Ground.MARKING_YELLOW] = (40, 185, 220)
GROUND_BGR[Ground.CROSSWALK] = (205, 208, 210)
GROUND_BGR[Ground.STOP_LINE] = (230, 232, 234)

#: CARLA tag -> display colour (BGR) of CARLA's CityScapes palette, for the sensor grid.
TAG_BGR = np.zeros((256, 3), dtype=np.uint8)
for _tag, _rgb in {
    CarlaTag.ROAD: (128, 64, 128),
    CarlaTag.SIDEWALK: (244, 35, 232),
    CarlaTag.BUILDING: (70, 70, 70),
    CarlaTag.POLE: (153, 153, 153),
    CarlaTag.TRAFFIC_LIGHT: (250, 170, 30),
    CarlaTag.TRAFFIC_SIGN: (220, 220, 0),
    CarlaTag.TERRAIN: (152, 251, 152),
    CarlaTag.SKY: (70, 130, 180),
    CarlaTag.PEDESTRIAN: (220, 20, 60),
    CarlaTag.RIDER: (255, 0, 0),
    CarlaTag.CAR: (0, 0, 142),
    CarlaTag.TRUCK: (0, 0, 70),
    CarlaTag.BUS: (0, 60, 100),
    CarlaTag.MOTORCYCLE: (0, 0, 230),
    CarlaTag.BICYCLE: (119, 11, 32),
    CarlaTag.STATIC: (110, 190, 160),
    CarlaTag.ROAD_LINE: (157, 234, 50),
    CarlaTag.GROUND: (81, 0, 81),
}.items():
    TAG_BGR[_tag] = _rgb[::-1]

#: BEV class -> display colour (BGR), for the sensor grid.
BEV_BGR = np.array(
    [
        (0, 0, 0),
        (90, 90, 90),
        (255, 255, 255),
        (0, 200, 255),
        (255, 120, 0),
        (60, 20, 220),
        (200, 200, 0),
        (160, 80, 80),
        (255, 0, 255),
        (0, 140, 255),
        (0, 0, 255),
        (0, 255, 255),
        (0, 255, 0),
    ],
    dtype=np.uint8,
)
