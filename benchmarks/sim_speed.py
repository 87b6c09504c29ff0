"""Ticks per second of the embedded world (``leadsim``), one configuration per line.

Each configuration drives one generated route with a pure-pursuit agent for ``--ticks`` ticks
(ego, traffic, lights, walkers, criteria and the agent's sensors, all in this one process with
numerical libraries limited to one thread). Route planning and spawning are not timed. Three figures
per line: wall-clock ticks/s over the whole run, ticks per CPU-second of this process, and the
fastest 100-tick window (as ``timeit`` reports its best repeat; the latter two are steadier on a
shared machine).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sim_speed.py [--town Town10HD] [--ticks 2000] [--only privileged]

Adding a configuration is one entry in ``CONFIGURATIONS``.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable

import attrs

os.environ.setdefault("OMP_NUM_THREADS", "1")

from lead_framework.agent import Agent, VehicleControl  # noqa: E402
from lead_framework.sensors import SensorSpec  # noqa: E402
from lead_framework.world import EvaluationProtocol, Observer  # noqa: E402
from lead_sim.rigs import LeadRigConfig, lead_rig  # noqa: E402
from lead_sim.routes import generate_routes  # noqa: E402
from lead_sim.world import LeadSimConfig, LeadSimWorld  # noqa: E402


class PurePursuit(Agent):
    """Follows the dense route at 6 m/s; reads the privileged view only (cheap by design)."""

    privileged = True

    def __init__(self, rig: list[SensorSpec]) -> None:
        self.rig = rig

    def sensors(self) -> list[SensorSpec]:
        return self.rig

    def run_step(self, input_data, timestamp) -> VehicleControl:
        view = self.world_view
        ego, route = view.ego, view.dense_route
        ahead = min(view.route_index + 6, len(route) - 1)
        dx, dy = route.positions[ahead, 0] - ego.x, route.positions[ahead, 1] - ego.y
        wheel = math.atan(2.0 * 2.9 * math.sin(math.atan2(dy, dx) - ego.yaw) / max(math.hypot(dx, dy), 1.0))
        error = 6.0 - ego.speed
        steer = wheel / math.radians(70.0)
        return VehicleControl(throttle=max(0.5 * error, 0.0), brake=max(-0.5 * error, 0.0), steer=steer)


@attrs.define(frozen=True)
class Configuration:
    label: str
    vehicles: int
    walkers: int
    rig: Callable[[], list[SensorSpec]]


#: name -> configuration; the printed label names the vehicles and the town.
CONFIGURATIONS: dict[str, Configuration] = {
    "privileged": Configuration("privileged", vehicles=50, walkers=10, rig=list),
    "full_rig": Configuration(
        "full rig (LEAD: 3 cameras, 2 LiDARs, 4 radars, GNSS, IMU, speed, BEV)", vehicles=30, walkers=0,
        rig=lambda: lead_rig(LeadRigConfig(labels=False)) + [SensorSpec("bev", "bev")],
    ),
}


WINDOW_TICKS = 100


class LoopClock(Observer):
    """Times the tick loop only (from the first tick to the route's end), and every window."""

    def on_route_start(self, route, plan) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.marks = [self.wall]

    def on_tick(self, info) -> None:
        if info.tick % WINDOW_TICKS == 0:
            self.marks.append(time.perf_counter())

    @property
    def best_window(self) -> float:
        """Ticks/s of the fastest window of WINDOW_TICKS ticks."""
        spans = [b - a for a, b in zip(self.marks, self.marks[1:])]
        return WINDOW_TICKS / min(spans)

    def on_route_end(self, record) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.ticks = record.extra["ticks"]


def measure(config: Configuration, town: str, ticks: int, seed: int) -> LoopClock:
    route = generate_routes(town, 1, (600.0, 1200.0), seed=seed)[0]
    world = LeadSimWorld(LeadSimConfig(town=town, vehicles=config.vehicles, walkers=config.walkers))
    clock = LoopClock()
    protocol = EvaluationProtocol(max_ticks=ticks, blocked_timeout_s=1e9)
    world.run_route(route, PurePursuit(config.rig()), seed=seed, protocol=protocol, observers=[clock])
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--town", default="Town10HD")
    parser.add_argument("--ticks", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=sorted(CONFIGURATIONS), default=None)
    args = parser.parse_args()
    for name, config in CONFIGURATIONS.items():
        if args.only and name != args.only:
            continue
        clock = measure(config, args.town, args.ticks, args.seed)
        print(
            f"{config.label} ({config.vehicles} vehicles, {args.town}, {clock.ticks} ticks; "
            f"{clock.ticks / clock.cpu:.0f} per CPU-second, best {WINDOW_TICKS}-tick window {clock.best_window:.0f}): "
            f"{clock.ticks / clock.wall:.0f} ticks/s"
        )


if __name__ == "__main__":
    main()
