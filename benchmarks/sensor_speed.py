"""Speed of the embedded world's CPU sensors: per sensor and for LEAD's full rig.

Scene: a CARLA town (py123d's bundled OpenDRIVE, default Town10HD) with the ego and N vehicles driving
along their lanes at 8 m/s. Figures are CPU milliseconds of this process (``time.process_time``) on one
thread (OMP/OpenCV threads set to 1), medians over the ticks: on a shared machine wall-clock time also counts
other processes' turns, CPU time does not. A "tick" renders what data collection needs at LEAD's rate: every tick the
inputs (3 RGB cameras, 2 LiDARs, 4 radars, GNSS, IMU, speed), and on every 5th tick (4 Hz) also the labels
(semantic and depth cameras, BEV, boxes).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sensor_speed.py [--town Town10HD] [--vehicles 30] [--ticks 100]
        [--grid outputs/sensor_grid.png]   # also save every sensor of the last tick as one picture
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import math
import pathlib
import statistics
import time

import carla
import cv2
import numpy as np

from lead_framework.route import Weather
from lead_sim.rigs import lead_rig
from lead_sim.scene import ActorArrays, ActorKind, Scene
from lead_sim.sensors import SensorSuite
from lead_sim.sensors.grid import render_sensor_grid

SPEED_MPS = 8.0
DT = 0.05


def load_carla_town(name: str) -> carla.Map:
    spec = importlib.util.find_spec("py123d")
    if spec is None:
        raise SystemExit("this benchmark reads the CARLA towns bundled with py123d; install lead-sim[test]")
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "parser/opendrive/carla_maps" / f"{name}.xodr.gz"
    return carla.Map(name, gzip.open(path, "rt").read())


class LaneTraffic:
    """The ego and ``count`` vehicles within 60 m, each advancing along its lane every tick."""

    def __init__(self, town: carla.Map, count: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        waypoints = [w for w in town.generate_waypoints(4.0) if not w.is_junction]
        ego = waypoints[len(waypoints) // 3]
        near = [w for w in waypoints if 8.0 < w.transform.location.distance(ego.transform.location) < 60.0]
        chosen = rng.choice(len(near), size=min(count, len(near)), replace=False)
        self.waypoints = [ego] + [near[i] for i in chosen]

    def scene(self, tick: int) -> Scene:
        n = len(self.waypoints)
        position, yaw, velocity = np.zeros((n, 3)), np.zeros(n), np.zeros((n, 3))
        for i, waypoint in enumerate(self.waypoints):
            transform = waypoint.transform
            heading = math.radians(transform.rotation.yaw)
            position[i] = (transform.location.x, transform.location.y, transform.location.z + 0.75)
            yaw[i] = heading
            velocity[i] = (SPEED_MPS * math.cos(heading), SPEED_MPS * math.sin(heading), 0.0)
        actors = ActorArrays(ids=np.arange(n), kinds=np.full(n, ActorKind.VEHICLE, np.int8), position=position,
                             yaw=yaw, extent=np.tile([2.4, 1.0, 0.75], (n, 1)), velocity=velocity,
                             blueprints=["vehicle.lincoln.mkz_2020"] * n)
        self.waypoints = [(w.next(SPEED_MPS * DT) or [w])[0] for w in self.waypoints]
        return Scene(tick=tick, time_s=tick * DT, actors=actors)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--town", default="Town10HD")
    parser.add_argument("--vehicles", type=int, default=30)
    parser.add_argument("--ticks", type=int, default=100)
    parser.add_argument("--grid", type=pathlib.Path, default=None, help="save a PNG of all sensors of the last tick")
    args = parser.parse_args()
    cv2.setNumThreads(1)

    town = load_carla_town(args.town)
    start = time.perf_counter()
    suite = SensorSuite(lead_rig(), town)
    print(f"{args.town}: ground raster {suite.raster.classes.shape[1]}x{suite.raster.classes.shape[0]} cells at "
          f"{suite.raster.resolution} m, suite built in {time.perf_counter() - start:.2f} s")
    traffic = LaneTraffic(town, args.vehicles)
    weather = Weather(sun_altitude_angle=45.0)
    scenes = [traffic.scene(t) for t in range(args.ticks)]

    per_sensor: dict[str, list[float]] = {sid: [] for sid in suite.sensors}
    for tick, scene in enumerate(scenes[:30]):
        for sid in suite.sensors:
            t0 = time.process_time()
            suite.read(scene, weather, tick, ids=[sid])
            per_sensor[sid].append(time.process_time() - t0)
    print("per sensor, read alone (CPU ms):")
    for sid, samples in per_sensor.items():
        print(f"  {sid:18s} {median_ms(samples):6.2f}")

    inputs, full, mixed = [], [], []
    for tick, scene in enumerate(scenes):
        t0 = time.process_time()
        suite.read(scene, weather, tick, ids=suite.input_ids)
        t1 = time.process_time()
        suite.read(scene, weather, tick)
        t2 = time.process_time()
        inputs.append(t1 - t0)
        full.append(t2 - t1)
    for tick, scene in enumerate(scenes):
        t0 = time.process_time()
        suite.read(scene, weather, tick, ids=None if tick % 5 == 0 else suite.input_ids)
        mixed.append(time.process_time() - t0)
    print(f"full LEAD rig, {args.vehicles} vehicles, one thread (CPU time):")
    print(f"  inputs only (every tick):      {median_ms(inputs):6.2f} ms  -> {1e3 / median_ms(inputs):5.1f} ticks/s")
    print(f"  inputs + labels (saved frame): {median_ms(full):6.2f} ms  -> {1e3 / median_ms(full):5.1f} ticks/s")
    mean_mixed = statistics.fmean(mixed)
    print(f"  collection mix (labels at 4 Hz), mean: {mean_mixed * 1e3:6.2f} ms -> {1 / mean_mixed:5.1f} ticks/s")
    if args.grid is not None:
        args.grid.parent.mkdir(parents=True, exist_ok=True)
        outputs = suite.read(scenes[-1], weather, len(scenes) - 1)
        cv2.imwrite(str(args.grid), render_sensor_grid(outputs, suite.kinds))
        print(f"sensor grid written to {args.grid}")


if __name__ == "__main__":
    main()
