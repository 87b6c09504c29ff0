"""Step time of the TFv6 sensor agent (tiny preset, untrained weights) on one CPU thread (torch and OpenCV).

Input: LEAD's full input rig (3 cameras 384x384, 2 roof LiDARs, 4 radars, GNSS, IMU, speed)
rendered by the embedded world (``lead_sim``) while a scripted agent drives a generated route;
the recorded ticks are then replayed through ``TFv6Agent.run_step``, so only the agent is timed
(conversion of the sensor data, LiDAR accumulation, model, control). The headline figures are CPU
milliseconds of this process per step (``time.process_time``; on a shared machine wall-clock time
also counts other processes' turns), median and 90th percentile over ``--steps`` steps after 10
warm-up steps; wall-clock figures follow on a second line.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/agent_speed.py [--steps 100] [--town grid_small] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

import lead_tfv6
from lead_framework.agent import Agent, VehicleControl
from lead_framework.world import EvaluationProtocol
from lead_tfv6.agent import TFv6Agent, TFv6AgentConfig
from lead_tfv6.training.checkpoint import FINAL_MODEL_FILE, model_payload, save_atomic

WARMUP_STEPS = 10


class TimedPredictor:
    """Delegates to the agent's predictor and keeps the CPU milliseconds of each call."""

    def __init__(self, predictor):
        self.predictor, self.times = predictor, []

    def __call__(self, batch):
        start = time.process_time()
        plan = self.predictor(batch)
        self.times.append((time.process_time() - start) * 1000.0)
        return plan


class Recorder(Agent):
    """Drives slowly straight on and keeps every tick's sensor data."""

    def __init__(self, sensors):
        self._sensors, self.ticks = sensors, []

    def sensors(self):
        return self._sensors

    def run_step(self, input_data, timestamp):
        self.ticks.append(input_data)
        return VehicleControl(throttle=0.3)


def record_ticks(agent: TFv6Agent, town: str, count: int):
    from lead_sim.routes import generate_routes
    from lead_sim.world import LeadSimConfig, LeadSimWorld

    route = generate_routes(town, 1, (150.0, 300.0), seed=0)[0]
    world = LeadSimWorld(LeadSimConfig(town=town, vehicles=20, walkers=5))
    recorder = Recorder(agent.sensors())
    plans = []
    recorder.setup = lambda plan, privileged=None: plans.append(plan)
    world.run_route(route, recorder, seed=0, protocol=EvaluationProtocol(max_ticks=count))
    return plans[0], recorder.ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--town", default="grid_small")
    parser.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        model = lead_tfv6.create_model("tiny", phase="posttrain")
        save_atomic(model_payload(model, model.config), Path(folder) / FINAL_MODEL_FILE)
        agent = TFv6Agent(TFv6AgentConfig(checkpoint=folder))
    plan, ticks = record_ticks(agent, args.town, WARMUP_STEPS + args.steps)
    print(f"recorded {len(ticks)} ticks of LEAD rig input on {args.town}")
    agent.setup(plan)
    for tick, input_data in enumerate(ticks[:WARMUP_STEPS]):
        agent.run_step(input_data, tick * 0.05)
    profiler = cProfile.Profile() if args.profile else None
    timed = agent.predictor = TimedPredictor(agent.predictor)
    cpu_times, wall_times = [], []
    for tick, input_data in enumerate(ticks[WARMUP_STEPS:], start=WARMUP_STEPS):
        start, cpu_start = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        agent.run_step(input_data, tick * 0.05)
        if profiler:
            profiler.disable()
        cpu_times.append((time.process_time() - cpu_start) * 1000.0)
        wall_times.append((time.perf_counter() - start) * 1000.0)
    print(f"tfv6 tiny agent step: {np.median(cpu_times):.1f} ms median, {np.percentile(cpu_times, 90):.1f} ms p90 (1 thread)")
    print(f"wall clock: {np.median(wall_times):.1f} ms median, {np.percentile(wall_times, 90):.1f} ms p90")
    rest = np.array(cpu_times) - np.array(timed.times[-len(cpu_times):])
    print(f"of which model(s): {np.median(timed.times):.1f} ms median; sensor conversion, inputs and control: {np.median(rest):.1f} ms median")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
