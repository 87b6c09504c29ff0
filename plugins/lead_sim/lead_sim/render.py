"""``leadfw render``: drive a short episode and save every sensor as a video and a PNG grid.

An agent drives one generated route while the LEAD rig (cameras, LiDAR, radar, BEV, boxes)
renders next to it; each tick's outputs become one grid frame of the video. The PNG is the grid
of the middle tick. The agent's own sensors are untouched: the rig is added alongside.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lead_framework.agent import Agent, PrivilegedView, VehicleControl
from lead_framework.plugins import get_registry
from lead_framework.route import RoutePlan
from lead_framework.sensors import SensorSpec
from lead_framework.video import VideoWriter
from lead_framework.world import TICK_RATE_HZ, EvaluationProtocol, Observer, TickInfo


class WithExtraSensors(Agent):
    """Wraps an agent so the world also renders ``extra`` sensors; the agent sees only its own."""

    def __init__(self, agent: Agent, extra: list[SensorSpec]):
        self.agent = agent
        self.privileged = agent.privileged
        own = {spec.id for spec in agent.sensors()}
        self.extra = [spec for spec in extra if spec.id not in own]
        self.own_ids = own

    def sensors(self) -> list[SensorSpec]:
        return list(self.agent.sensors()) + self.extra

    def setup(self, plan: RoutePlan, privileged: PrivilegedView | None = None) -> None:
        self.agent.setup(plan, privileged)

    def run_step(self, input_data: dict[str, tuple[int, Any]], timestamp: float) -> VehicleControl:
        return self.agent.run_step({key: value for key, value in input_data.items() if key in self.own_ids}, timestamp)

    def destroy(self) -> None:
        self.agent.destroy()


class GridRecorder(Observer):
    """Writes one sensor-grid frame per ``every`` ticks to a video; keeps the middle frame."""

    def __init__(self, video_path: Path, kinds: dict[str, str], every: int = 1):
        self.video_path, self.kinds, self.every = video_path, kinds, every
        self.frames: list[np.ndarray] = []
        self.writer: VideoWriter | None = None

    def on_tick(self, info: TickInfo) -> None:
        if info.tick % self.every:
            return
        from lead_sim.sensors.grid import render_sensor_grid

        grid = render_sensor_grid(info.input_data, self.kinds)
        if self.writer is None:
            self.writer = VideoWriter(self.video_path, fps=TICK_RATE_HZ / self.every)
        self.writer.write(grid)
        self.frames.append(grid)

    def close(self) -> Path | None:
        if self.writer is None:
            return None
        self.writer.close()
        return self.writer.path


class RenderCommand:
    """Render a short episode of the embedded world to a video and a PNG grid of all sensors."""

    help = "render a short episode of the embedded world: every sensor as a video and a PNG grid"

    def __init__(self, config: Any = None):
        self.config = config

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--town", default="grid_small", help="town preset, CARLA town name or .xodr path")
        parser.add_argument("--seconds", type=float, default=8.0, help="episode length in simulated seconds")
        parser.add_argument("--agent", default=None, help="agent name (default: pdm_expert if installed, else route_follower)")
        parser.add_argument("--vehicles", type=int, default=20)
        parser.add_argument("--walkers", type=int, default=10)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--every", type=int, default=2, help="record every Nth tick (20 Hz / N video)")
        parser.add_argument("--out", default="outputs/render", help="output folder (episode video and sensors.png)")

    def run(self, args: argparse.Namespace) -> int:
        from lead_sim.rigs import lead_rig
        from lead_sim.world import LeadSimConfig, LeadSimWorld

        if args.seconds <= 0 or args.every < 1:
            print("error: --seconds must be > 0 and --every >= 1", file=sys.stderr)
            return 2
        registry = get_registry()
        name = args.agent or ("pdm_expert" if "pdm_expert" in registry.names("agents") else "route_follower")
        agent = registry.create("agents", name)
        world = LeadSimWorld(LeadSimConfig(town=args.town, vehicles=args.vehicles, walkers=args.walkers))
        route = world.generate_routes(1, length_m=(150.0, 300.0), seed=args.seed)[0]
        rig = lead_rig()
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        recorder = GridRecorder(out / "episode", {spec.id: spec.kind for spec in rig}, args.every)
        protocol = EvaluationProtocol(max_ticks=int(args.seconds * TICK_RATE_HZ))
        record = world.run_route(route, WithExtraSensors(agent, rig), seed=args.seed, protocol=protocol, observers=[recorder])
        video = recorder.close()
        if video is None:
            print(f"error: the episode ended before the first frame ({record.status}); try another --seed", file=sys.stderr)
            return 1
        png = out / "sensors.png"
        cv2.imwrite(str(png), recorder.frames[len(recorder.frames) // 2])
        print(f"{name} on {args.town}, route {route.id}: {len(recorder.frames)} frames over {args.seconds:g} s (status when stopped: {record.status})")
        print(f"video: {video}\ngrid:  {png}")
        return 0
