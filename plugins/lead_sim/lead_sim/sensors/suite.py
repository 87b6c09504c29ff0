"""The embedded world's sensor rig: validates a list of SensorSpecs once and renders them every tick."""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

import attrs
import carla
import cv2
import numpy as np

from lead_framework.route import Weather
from lead_framework.sensors import SensorSpec
from lead_sim.scene import Scene
from lead_sim.sensors.bev import Bev
from lead_sim.sensors.camera import CameraImages, CameraView
from lead_sim.sensors.cameras import CameraSensor, DepthCamera, RgbCamera, SemanticCamera
from lead_sim.sensors.configs import (BevConfig, BoxesConfig, CameraConfig, LidarConfig, NoParams, RadarConfig,
                                      build_config)
from lead_sim.sensors.errors import SensorConfigError, UnknownSensorKindError
from lead_sim.sensors.frame import FrameContext
from lead_sim.sensors.labels import Boxes
from lead_sim.sensors.lidar import Lidar
from lead_sim.sensors.motion import Gnss, Imu, Speedometer
from lead_sim.sensors.radar import Radar
from lead_sim.sensors.weather import look_for
from lead_sim.sensors.world_raster import GroundRaster, ground_raster


@attrs.define(frozen=True)
class SensorKind:
    """A sensor kind the embedded world renders: its class, config class and a one-line description."""

    factory: type
    config_class: type
    description: str


#: Every kind the embedded world renders (the plugin registers these).
SENSOR_KINDS: dict[str, SensorKind] = {
    "rgb": SensorKind(RgbCamera, CameraConfig, "Pinhole RGB camera rendered on the CPU (BGRA)"),
    "semantic": SensorKind(SemanticCamera, CameraConfig, "Semantic camera: CARLA tags in the red channel"),
    "depth": SensorKind(DepthCamera, CameraConfig, "Depth camera in CARLA's 24-bit encoding"),
    "lidar": SensorKind(Lidar, LidarConfig, "Rotating ray-cast LiDAR, (N, 4) or semantic (N, 6)"),
    "radar": SensorKind(Radar, RadarConfig, "Radar detections (depth, altitude, azimuth, velocity)"),
    "bev": SensorKind(Bev, BevConfig, "Ego-centred BEV map with LEAD's 13 classes"),
    "boxes": SensorKind(Boxes, BoxesConfig, "3D box labels with LiDAR and camera visibility"),
    "gnss": SensorKind(Gnss, NoParams, "GNSS [lat, lon, alt]"),
    "imu": SensorKind(Imu, NoParams, "IMU [acc xyz, gyro xyz, compass]"),
    "speedometer": SensorKind(Speedometer, NoParams, "Forward speed {'speed': m/s}"),
}
#: Read order: boxes count the LiDAR hits and camera pixels of the same read.
_ORDER = {"rgb": 0, "semantic": 0, "depth": 0, "lidar": 1, "radar": 2, "bev": 3, "gnss": 3, "imu": 3,
          "speedometer": 3, "boxes": 4}


def make_sensor(spec: SensorSpec) -> Any:
    """Validate one spec and build its sensor (errors name the sensor id, kind and parameter)."""
    kind = SENSOR_KINDS.get(spec.kind)
    if kind is None:
        raise UnknownSensorKindError(spec.id, spec.kind, list(SENSOR_KINDS))
    config = build_config(spec, kind.config_class)
    try:
        return kind.factory(config, spec.pose)
    except SensorConfigError as error:
        raise SensorConfigError(f"sensor {spec.id!r} ({spec.kind}): {error}") from None


def _town_map(town: Any) -> carla.Map:
    town_map = getattr(town, "map", town)
    if not isinstance(town_map, carla.Map):
        raise SensorConfigError(f"SensorSuite needs a carla.Map or an object with a .map carla.Map, got {type(town).__name__}")
    return town_map


class SensorSuite:
    """Renders a rig's sensors from the embedded world's :class:`~lead_sim.scene.Scene`.

    ``read`` returns the leaderboard's ``input_data``: ``{sensor_id: (frame, data)}``. Label sensors
    (semantic and depth cameras, BEV, boxes) are costly and needed only on saved frames: pass
    ``ids=suite.input_ids`` on the other ticks.
    """

    def __init__(self, specs: list[SensorSpec], town: Any, raster: GroundRaster | None = None):
        seen: set[str] = set()
        for spec in specs:
            if spec.id in seen:
                raise SensorConfigError(f"sensor id {spec.id!r} is used twice; sensor ids must be unique")
            seen.add(spec.id)
        self.specs = list(specs)
        #: Sensor id -> kind (for display, e.g. ``render_sensor_grid(outputs, suite.kinds)``).
        self.kinds = {spec.id: spec.kind for spec in specs}
        self.sensors = {spec.id: make_sensor(spec) for spec in specs}
        self.town = _town_map(town)
        self.raster = raster if raster is not None else ground_raster(self.town)
        self._views: dict[tuple, CameraView] = {}
        for sensor in self.sensors.values():
            if isinstance(sensor, CameraSensor) and sensor.view_key not in self._views:
                self._views[sensor.view_key] = sensor.make_view()
        self._order = sorted(self.sensors, key=lambda sid: _ORDER[self.kinds[sid]])

    @functools.cached_property
    def label_ids(self) -> tuple[str, ...]:
        """Sensors that produce ground-truth labels (semantic, depth, BEV, boxes)."""
        return tuple(sid for sid, sensor in self.sensors.items() if sensor.label)

    @functools.cached_property
    def input_ids(self) -> tuple[str, ...]:
        """Sensors a sensor agent consumes every tick (everything but the labels)."""
        return tuple(sid for sid, sensor in self.sensors.items() if not sensor.label)

    def read(self, scene: Scene, weather: Weather, frame: int, *, ids: Collection[str] | None = None
             ) -> dict[str, tuple[int, Any]]:
        """Render the sensors ``ids`` (all when None) for one tick."""
        wanted = set(self.sensors) if ids is None else set(ids)
        unknown = wanted - set(self.sensors)
        if unknown:
            raise SensorConfigError(f"read(ids=...): unknown sensor ids {sorted(unknown)}; rig has {sorted(self.sensors)}")
        chosen = [sid for sid in self._order if sid in wanted]
        ctx = FrameContext(scene=scene, frame=frame, raster=self.raster, town=self.town)
        look = look_for(weather)
        images = self._render_views(ctx, look, chosen)
        out: dict[str, Any] = {}
        for sid in chosen:
            sensor = self.sensors[sid]
            data = sensor.pick(images[sensor.view_key]) if isinstance(sensor, CameraSensor) else sensor.read(ctx, look)
            out[sid] = (frame, data)
        return {spec.id: out[spec.id] for spec in self.specs if spec.id in out}

    def _render_views(self, ctx: FrameContext, look, chosen: list[str]) -> dict[tuple, CameraImages]:
        """Render each camera view once with the union of products its chosen cameras need."""
        wants_boxes = any(isinstance(self.sensors[sid], Boxes) for sid in chosen)
        products: dict[tuple, set[str]] = {key: {"ids"} if wants_boxes else set() for key in self._views}
        for sid in chosen:
            sensor = self.sensors[sid]
            if isinstance(sensor, CameraSensor):
                products[sensor.view_key].add(sensor.product)
        images = {}
        for key, needed in products.items():
            if not needed:
                continue
            rendered = self._views[key].render(ctx, look, frozenset(needed))
            images[key] = rendered
            if wants_boxes:
                _count_pixels(ctx, rendered)
        return images


def _count_pixels(ctx: FrameContext, images: CameraImages) -> None:
    """Add the visible pixels of each actor in one view to the frame's counts."""
    faces = len(images.face_solid)
    # a histogram with one bin per id (OpenCV counts uint16 images far faster than np.bincount)
    per_id = cv2.calcHist([images.face_ids], [0], None, [faces + 1], [0, faces + 1]).ravel()
    per_solid = np.bincount(images.face_solid, weights=per_id[1:], minlength=len(ctx.solids)).astype(np.int64)
    ctx.add_counts(ctx.camera_pixels, ctx.solids.actor_row, per_solid)
    ctx.cameras_read = True
