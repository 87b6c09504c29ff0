"""The ``collect`` stage's observer: renders the data rig on saved ticks and writes finished samples.

Every ``save_every``-th tick (4 Hz at 20 Hz) the rig is rendered from the world's scene, and, with a
perturbation, the camera views, BEV and boxes once more from a second ego pose shifted sideways and
turned (LiDAR and radar are not rendered twice). Labels that need the future (the ego's next 60
ticks, the actors' next 2 s) are added once that future has been driven: frames wait in a small
buffer and are written as soon as their future is known; at the route's end the remaining frames
are written with the future driven so far. The expert's control and decision for a frame are the
ones it computed from that frame's observation (known one tick later).

The ``route`` label is the path the agent drives, where it offers one (``planned_path``, e.g. the
expert's route shifted around an obstacle), as LEAD saves the expert's shifted route: a policy that
steers along its predicted route can then learn the bypass. The world's route stays beside it as
``route_original``.

Rendering uses the world's sensor suite: a privileged view with ``sensor_suite(specs)``, or else the
world package's ``sensors.SensorSuite(specs, view.town)`` (the embedded world); both render from a
scene object whose actor arrays hold the ego in row 0.
"""

from __future__ import annotations

import collections
import importlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from lead_framework.frame_labels import (
    lidar_points,
    radar_points,
    shifted_pose,
    stitch_depth,
    stitch_rgb,
    stitch_semantics,
    to_ego_frame,
    weather_name,
    wrap,
)
from lead_framework.route import RoutePlan, RouteSpec, distinct_points, usable_command
from lead_framework.sensors import SensorSpec
from lead_framework.world import TICK_RATE_HZ, Observer, TickInfo

FUTURE_TICKS = 60
BOX_FUTURE_STEPS = 8
ROUTE_POINTS = 50
#: The driven path counts as shifted (``route_shifted``) where it leaves the world's route by more than this (metres).
ROUTE_SHIFT_M = 1.0
ACTOR_BOX_CLASSES = frozenset({"vehicle", "walker", "biker", "obstacle", "parking", "special"})
#: A scenario counts as active while the ego is this close (metres) to its trigger point.
SCENARIO_RADIUS_M = 30.0
#: Sink of finished samples: (frame index, members, bucket attributes).
SampleSink = Callable[[int, dict[str, Any], dict[str, Any]], None]


@attrs.define(frozen=True)
class Perturbation:
    """The second rig's pose relative to the ego: ``lateral_m`` to the right, turned by ``yaw_rad``."""

    lateral_m: float
    yaw_rad: float

    def to_json(self) -> dict[str, float]:
        return {"lateral_m": self.lateral_m, "yaw_rad": self.yaw_rad}


def sample_perturbation(rng: np.random.Generator, lane_gap_m: float, max_yaw_deg: float = 12.5) -> Perturbation:
    """LEAD's recovery shift: +-U(0.1, min(1.0, lane gap)) metres and U(-12.5, 12.5) degrees."""
    high = max(min(1.0, lane_gap_m), 0.1)
    lateral = float(rng.uniform(0.1, high)) * (1.0 if rng.random() < 0.5 else -1.0)
    return Perturbation(lateral, math.radians(float(rng.uniform(-max_yaw_deg, max_yaw_deg))))


def lane_gap(view: Any, route: RouteSpec) -> float:
    """Half the lane width at the route start (1 m when the world offers no ``map``)."""
    town_map = getattr(view, "map", None)
    if town_map is None or not route.waypoints:
        return 1.0
    import carla

    start = route.waypoints[0]
    waypoint = town_map.get_waypoint(carla.Location(start.x, start.y, start.z), project_to_road=True)
    return 0.5 * float(waypoint.lane_width) if waypoint is not None else 1.0


def make_renderer(view: Any, specs: list[SensorSpec]) -> Any:
    """A sensor suite of the view's world rendering ``specs`` (see the module docstring)."""
    factory = getattr(view, "sensor_suite", None)
    if callable(factory):
        return factory(specs)
    package = type(view).__module__.split(".")[0]
    try:
        suite_class = importlib.import_module(f"{package}.sensors").SensorSuite
    except (ImportError, AttributeError) as error:
        raise RuntimeError(
            f"the world's privileged view ({type(view).__module__}.{type(view).__name__}) offers no sensor rendering: "
            f"give it a sensor_suite(specs) method or a {package}.sensors.SensorSuite class"
        ) from error
    return suite_class(specs, view.town)


def scene_with_ego_pose(scene: Any, x: float, y: float, yaw: float) -> Any:
    """A shallow copy of ``scene`` whose ego (actor row 0) stands at (x, y) heading ``yaw``."""
    actors = scene.actors
    position = np.array(actors.position, copy=True)
    yaws = np.array(actors.yaw, copy=True)
    position[0, 0], position[0, 1], yaws[0] = x, y, yaw
    return attrs.evolve(scene, actors=attrs.evolve(actors, position=position, yaw=yaws))


def boxes_in_shifted_frame(boxes: list[dict[str, Any]], perturbation: Perturbation) -> list[dict[str, Any]]:
    """Box labels of the ego frame moved into the frame of the perturbed rig (visibility unchanged)."""
    c, s = math.cos(perturbation.yaw_rad), math.sin(perturbation.yaw_rad)
    moved = []
    for box in boxes:
        x, y = box["position"][0], box["position"][1] - perturbation.lateral_m
        entry = dict(box)
        entry["position"] = [x * c + y * s, -x * s + y * c, box["position"][2]]
        entry["yaw"] = float(wrap(box["yaw"] - perturbation.yaw_rad))
        moved.append(entry)
    return moved


def _specs_of(specs: Sequence[SensorSpec], kind: str) -> list[SensorSpec]:
    """Specs of one kind, ordered left to right by mounting yaw."""
    return sorted((spec for spec in specs if spec.kind == kind), key=lambda spec: spec.pose.yaw)


def data_rig(specs: Sequence[SensorSpec]) -> list[SensorSpec]:
    """The rig as the recorder renders it: LiDARs switched to CARLA's semantic LiDAR (for point tags)."""
    return [attrs.evolve(spec, params={**spec.params, "semantic": True}) if spec.kind == "lidar" else spec for spec in specs]


@attrs.define
class _Frame:
    tick: int
    pose: tuple[float, float, float]
    members: dict[str, Any]
    boxes: list[dict[str, Any]]
    meta: dict[str, Any]
    attributes: dict[str, Any]
    route_world: np.ndarray
    target_world: np.ndarray
    #: The path the agent drives (world frame), once its decision for this frame is known.
    path_world: np.ndarray | None = None
    perturbed_pose: tuple[float, float, float] | None = None
    perturbed_boxes: list[dict[str, Any]] | None = None
    control: dict[str, float] | None = None


class FrameRecorder(Observer):
    """Buffers, labels and hands finished samples to ``sink``; see the module docstring."""

    def __init__(self, sink: SampleSink, specs: Sequence[SensorSpec], *, route_id: str, agent: Any = None,
                 save_every: int = 5, perturbation_seed: int | None = None):
        self.sink = sink
        self.specs = data_rig(specs)
        self.route_id = route_id
        self.agent = agent
        self.save_every = int(save_every)
        self.perturbation_seed = perturbation_seed
        self.perturbation: Perturbation | None = None
        self.cameras = {kind: _specs_of(self.specs, kind) for kind in ("rgb", "semantic", "depth")}
        self.camera_ids = [spec.id for kind in ("rgb", "semantic", "depth") for spec in self.cameras[kind]]
        #: The second rig renders the camera views and the BEV; its boxes are the first rig's, moved into its frame.
        self.perturbed_ids = self.camera_ids + [spec.id for spec in self.specs if spec.kind == "bev"]
        self.suite: Any = None
        self.perturbed_suite: Any = None
        self.pending: collections.deque[_Frame] = collections.deque()
        self.ego_history: dict[int, tuple[float, float, float, float]] = {}
        self.actor_poses: dict[int, dict[int, tuple[float, float, float]]] = {}
        self.samples = 0
        self._route_index = 0
        self._previous_velocity: np.ndarray | None = None
        self._previous_yaw: float | None = None

    # -- observer hooks -------------------------------------------------------------------------
    def on_route_start(self, route: RouteSpec, plan: RoutePlan) -> None:
        self.route_spec = route
        self.plan = plan
        self.town = route.town

    def on_tick(self, info: TickInfo) -> None:
        view = info.privileged
        if view is None:
            raise RuntimeError("the collect stage needs a world that passes its privileged view to observers")
        if self.suite is None:
            self._start(view)
        scene = getattr(view, "scene", None) or view.snapshot()
        actors = scene.actors
        x, y, yaw = float(actors.position[0, 0]), float(actors.position[0, 1]), float(actors.yaw[0])
        velocity = np.asarray(actors.velocity[0], np.float64)
        speed = float(np.hypot(velocity[0], velocity[1]))
        if self.pending and self.pending[-1].tick == info.tick - 1 and self.pending[-1].control is None:
            self._fill_decision(self.pending[-1], info)
        self.ego_history[info.tick] = (x, y, yaw, speed)
        if info.tick % self.save_every == 0:
            self._capture(info, view, scene, velocity)
        self._previous_velocity, self._previous_yaw = velocity, yaw
        while self.pending and self.pending[0].tick + FUTURE_TICKS <= info.tick and self.pending[0].control is not None:
            self._finish(self.pending.popleft())

    def on_route_end(self, record: Any) -> None:
        while self.pending:
            frame = self.pending.popleft()
            if frame.control is None:  # the route ended right after this frame
                frame.control = dict(frame.meta.pop("_applied_control"))
                frame.meta.update(self._decision_fields(None, frame.meta))
            self._finish(frame)

    # -- capture ------------------------------------------------------------------------------------
    def _start(self, view: Any) -> None:
        self.view = view
        if self.perturbation_seed is not None:
            rng = np.random.default_rng([self.perturbation_seed, 7])
            self.perturbation = sample_perturbation(rng, lane_gap(view, self.route_spec))
        self.suite = make_renderer(view, self.specs)
        if self.perturbation is not None:
            self.perturbed_suite = make_renderer(view, [spec for spec in self.specs if spec.id in self.perturbed_ids])
        dense = view.dense_route
        self.dense_xy = np.asarray(dense.positions, np.float64)[:, :2]
        steps = np.linalg.norm(np.diff(self.dense_xy, axis=0), axis=1)
        self.dense_s = np.concatenate([[0.0], np.cumsum(steps)])
        self.dense_junction = np.asarray(getattr(dense, "is_junction", np.zeros(len(self.dense_xy), bool)), bool)
        self.plan_s = np.array([self.dense_s[int(np.argmin(np.sum((self.dense_xy - p[:2]) ** 2, axis=1)))]
                                for p in np.asarray(self.plan.world_points, np.float64)])

    def _progress(self, x: float, y: float) -> int:
        lo, hi = max(self._route_index - 5, 0), min(self._route_index + 60, len(self.dense_xy))
        d = np.sum((self.dense_xy[lo:hi] - (x, y)) ** 2, axis=1)
        self._route_index = lo + int(np.argmin(d))
        return self._route_index

    def _route_ahead(self, index: int) -> np.ndarray:
        s = self.dense_s[index] + np.arange(ROUTE_POINTS, dtype=np.float64)
        return np.stack([np.interp(s, self.dense_s, self.dense_xy[:, k]) for k in range(2)], axis=1)

    def _target_points(self, s: float) -> tuple[np.ndarray, list[int]]:
        ahead = np.flatnonzero(self.plan_s > s + 1.0)
        current = int(ahead[0]) if ahead.size else len(self.plan_s) - 1
        chosen = [max(current - 1, 0), current, min(current + 1, len(self.plan_s) - 1)]
        points = np.asarray(self.plan.world_points, np.float64)[chosen, :2]
        return points, [usable_command(self.plan.commands[k]) for k in chosen]

    def _curvature(self, index: int) -> float:
        s = self.dense_s[index] + 10.0
        a, b = (int(np.clip(np.searchsorted(self.dense_s, v), 0, len(self.dense_s) - 1)) for v in (s - 2.0, s + 2.0))
        if b - a < 2:
            return 0.0
        ya = math.atan2(*(self.dense_xy[a + 1] - self.dense_xy[a])[::-1])
        yb = math.atan2(*(self.dense_xy[b] - self.dense_xy[b - 1])[::-1])
        return float(abs(wrap(yb - ya)) / max(self.dense_s[b] - self.dense_s[a], 1e-3))

    def _scenario(self, x: float, y: float) -> str:
        for scenario in self.route_spec.scenarios:
            if math.hypot(scenario.trigger.x - x, scenario.trigger.y - y) < SCENARIO_RADIUS_M:
                return scenario.type
        return ""

    def _capture(self, info: TickInfo, view: Any, scene: Any, velocity: np.ndarray) -> None:
        actors = scene.actors
        x, y, z, yaw = (float(v) for v in (*actors.position[0], actors.yaw[0]))
        weather = info.extra.get("weather")
        readings = self.suite.read(scene, weather, info.tick)
        members = self._camera_members(readings, "")
        members["lidar.npy"] = lidar_points([(spec.pose, readings[spec.id][1]) for spec in self.specs if spec.kind == "lidar"])
        members["radar.npy"] = radar_points([(spec.pose, readings[spec.id][1]) for spec in _specs_of(self.specs, "radar")])
        boxes = self._boxes(readings)
        self.actor_poses[info.tick] = {int(i): (float(p[0]), float(p[1]), float(h)) for i, p, h in
                                       zip(actors.ids[1:], actors.position[1:], actors.yaw[1:])}
        index = self._progress(x, y)
        s = float(self.dense_s[index])
        targets, commands = self._target_points(s)
        weather_fields = attrs.asdict(weather) if weather is not None and attrs.has(type(weather)) else {}
        sun = float(weather_fields.get("sun_altitude_angle", 90.0))
        dt = 1.0 / TICK_RATE_HZ
        accel_world = (velocity - self._previous_velocity) / dt if self._previous_velocity is not None else np.zeros(3)
        c, s_yaw = math.cos(yaw), math.sin(yaw)
        accel = [float(accel_world[0] * c + accel_world[1] * s_yaw), float(-accel_world[0] * s_yaw + accel_world[1] * c), float(accel_world[2])]
        yaw_rate = float(wrap(yaw - self._previous_yaw)) / dt if self._previous_yaw is not None else 0.0
        speed = float(np.hypot(velocity[0], velocity[1]))
        junction = bool(self.dense_junction[index])
        meta = {
            "route_id": self.route_id, "town": self.town, "tick": info.tick, "frame": info.tick // self.save_every,
            "time_s": round(info.tick / TICK_RATE_HZ, 4),
            "ego": {"x": x, "y": y, "z": z, "yaw": yaw, "speed": speed, "accel": accel, "yaw_rate": yaw_rate},
            "commands": commands, "scenario": self._scenario(x, y), "junction": junction,
            "weather": weather_fields, "camera": self._camera_meta(), "_applied_control": _control_dict(info.control),
        }
        bev = next((spec for spec in self.specs if spec.kind == "bev"), None)
        if bev is not None:
            meta["bev"] = {k: bev.params[k] for k in ("width", "height", "pixels_per_meter") if k in bev.params}
        frame = _Frame(info.tick, (x, y, yaw), members, boxes, meta, {
            "route_id": self.route_id, "town": self.town, "scenario": meta["scenario"],
            "weather": weather_name(float(weather_fields.get("cloudiness", 0.0)), float(weather_fields.get("precipitation", 0.0)), sun),
            "sun_altitude": sun, "curvature": round(self._curvature(index), 5), "speed": round(speed, 3),
            "junction": junction, "command": commands[1],
        }, self._route_ahead(index), targets)
        if self.perturbation is not None:
            px, py, pyaw = shifted_pose(x, y, yaw, self.perturbation.lateral_m, self.perturbation.yaw_rad)
            shifted = scene_with_ego_pose(scene, px, py, pyaw)
            second = self.perturbed_suite.read(shifted, weather, info.tick, ids=self.perturbed_ids)
            frame.members.update(self._camera_members(second, "_perturbated"))
            frame.perturbed_pose = (px, py, pyaw)
            frame.perturbed_boxes = boxes_in_shifted_frame(boxes, self.perturbation)
        self.pending.append(frame)

    def _camera_members(self, readings: dict[str, tuple[int, Any]], suffix: str) -> dict[str, Any]:
        members: dict[str, Any] = {}
        if self.cameras["rgb"]:
            members[f"rgb{suffix}.jpg"] = stitch_rgb([readings[spec.id][1] for spec in self.cameras["rgb"]])
        if self.cameras["semantic"]:
            members[f"semantics{suffix}.png"] = stitch_semantics([readings[spec.id][1] for spec in self.cameras["semantic"]])
        if self.cameras["depth"]:
            members[f"depth{suffix}.png"] = stitch_depth([readings[spec.id][1] for spec in self.cameras["depth"]])
        bev = next((spec for spec in self.specs if spec.kind == "bev"), None)
        if bev is not None:
            members[f"bev{suffix}.png"] = np.asarray(readings[bev.id][1], np.uint8)
        return members

    def _boxes(self, readings: dict[str, tuple[int, Any]]) -> list[dict[str, Any]]:
        spec = next((spec for spec in self.specs if spec.kind == "boxes"), None)
        if spec is None:
            return []
        boxes = []
        for box in readings[spec.id][1]:
            entry = {key: box[key] for key in ("class", "id", "position", "extent", "yaw", "speed")}
            entry["lidar_points"] = box.get("num_lidar_points")
            entry["visible_pixels"] = box.get("visible_pixels")
            if "state" in box:
                entry["state"] = box["state"]
            boxes.append(entry)
        return boxes

    def _camera_meta(self) -> dict[str, Any]:
        return {spec.id: {"width": spec.params.get("width"), "height": spec.params.get("height"), "fov": spec.params.get("fov"),
                          "pose": [spec.pose.x, spec.pose.y, spec.pose.z, spec.pose.roll, spec.pose.pitch, spec.pose.yaw]}
                for spec in self.cameras["rgb"]}

    # -- decisions and labels -----------------------------------------------------------------------
    def _fill_decision(self, frame: _Frame, info: TickInfo) -> None:
        frame.control = _control_dict(info.control)
        frame.meta.pop("_applied_control", None)
        frame.meta.update(self._decision_fields(getattr(self.agent, "decision", None), frame.meta))
        planned_path = getattr(self.agent, "planned_path", None)
        if planned_path is not None:
            frame.path_world = np.asarray(planned_path(float(ROUTE_POINTS)), np.float64).reshape(-1, 2)

    @staticmethod
    def _decision_fields(decision: Any, meta: dict[str, Any]) -> dict[str, Any]:
        return {
            "target_speed": float(getattr(decision, "target_speed", meta["ego"]["speed"])),
            "brake": bool(getattr(decision, "brake", False)),
            "speed_limit": float(getattr(decision, "speed_limit", 0.0)),
            "hazard": str(getattr(decision, "hazard", "")),
        }

    def _labels_in(self, frame: _Frame, pose: tuple[float, float, float], boxes: list[dict[str, Any]]) -> tuple[dict, list]:
        """Route, target points, ego futures and box futures in the ego frame at ``pose``."""
        x, y, yaw = pose
        future = [self.ego_history[t] for t in range(frame.tick + 1, frame.tick + FUTURE_TICKS + 1) if t in self.ego_history]
        future_xy = np.array([(f[0], f[1]) for f in future], np.float64).reshape(-1, 2)
        driven = frame.route_world if frame.path_world is None else frame.path_world
        labels = {
            "route": to_ego_frame(driven, (x, y), yaw).round(4).tolist(),
            "route_original": to_ego_frame(frame.route_world, (x, y), yaw).round(4).tolist(),
            "target_points": to_ego_frame(frame.target_world, (x, y), yaw).round(4).tolist(),
            "future_positions": to_ego_frame(future_xy, (x, y), yaw).round(4).tolist(),
            "future_yaws": [round(float(wrap(f[2] - yaw)), 5) for f in future],
            "future_speeds": [round(f[3], 4) for f in future],
        }
        # the saved ticks ahead whose actor poses are known (a box's future stops at its first missing pose)
        ahead = []
        for step in range(1, BOX_FUTURE_STEPS + 1):
            poses = self.actor_poses.get(frame.tick + step * self.save_every)
            if poses is None:
                break
            ahead.append(poses)
        labelled = []
        for box in boxes:
            entry = dict(box)
            entry["future"] = _box_future(ahead, int(box["id"]), pose) if box["class"] in ACTOR_BOX_CLASSES else []
            labelled.append(entry)
        return labels, labelled

    def _finish(self, frame: _Frame) -> None:
        meta = dict(frame.meta)
        meta["control"] = frame.control
        labels, boxes = self._labels_in(frame, frame.pose, frame.boxes)
        meta.update(labels)
        meta["perturbation"] = self.perturbation.to_json() if self.perturbation is not None else None
        meta["route_shifted"] = path_leaves_route(frame.path_world, frame.route_world, ROUTE_SHIFT_M)
        members = dict(frame.members)
        members["boxes.json"] = boxes
        members["meta.json"] = meta
        if frame.perturbed_pose is not None:
            shifted_meta = dict(meta)
            shifted_labels, shifted_boxes = self._labels_in(frame, frame.perturbed_pose, frame.perturbed_boxes or [])
            shifted_meta.update(shifted_labels)
            members["boxes_perturbated.json"] = shifted_boxes
            members["meta_perturbated.json"] = shifted_meta
        attributes = dict(frame.attributes)
        attributes["hazard"] = meta["hazard"]
        attributes["brake"] = bool(meta["brake"])
        attributes["route_shifted"] = meta["route_shifted"]
        self.sink(meta["frame"], members, attributes)
        self.samples += 1
        for old in [t for t in self.actor_poses if t <= frame.tick]:
            del self.actor_poses[old]
        for old in [t for t in self.ego_history if t <= frame.tick]:
            del self.ego_history[old]


def path_leaves_route(path: np.ndarray | None, route: np.ndarray, tolerance_m: float) -> bool:
    """Whether some point of ``path`` lies farther than ``tolerance_m`` from the polyline ``route``.

    Path points beyond the end of the world's route (ahead of its last point along its last
    heading: the path goes on where the route stops) are not compared.
    """
    route = route[distinct_points(route)]
    if path is None or len(path) == 0 or len(route) < 2:
        return False
    steps = np.diff(route, axis=0)
    path = path[(path - route[-1]) @ steps[-1] <= 0.0]
    a = route[:-1]
    t = np.clip(np.einsum("pkd,kd->pk", path[:, None, :] - a[None], steps) / np.sum(steps * steps, axis=1), 0.0, 1.0)
    gaps = np.linalg.norm(path[:, None, :] - (a[None] + t[..., None] * steps[None]), axis=2).min(axis=1, initial=np.inf)
    return bool(np.any(gaps > tolerance_m))


def _box_future(ahead: list[dict[int, tuple[float, float, float]]], actor_id: int, pose: tuple[float, float, float]
                ) -> list[list[float]]:
    """[[x, y, yaw], ...] of one actor at the saved ticks ``ahead`` (actor id -> world pose), in the frame of ``pose``."""
    x, y, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    out = []
    for poses in ahead:
        later = poses.get(actor_id)
        if later is None:
            break
        dx, dy = later[0] - x, later[1] - y
        turn = (later[2] - yaw + math.pi) % (2.0 * math.pi) - math.pi
        out.append([round(dx * c + dy * s, 4), round(-dx * s + dy * c, 4), round(turn, 5)])
    return out


def _control_dict(control: Any) -> dict[str, float]:
    return {"throttle": float(control.throttle), "steer": float(control.steer), "brake": float(control.brake)}
