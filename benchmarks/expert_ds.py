"""Driving Score of the ``pdm_expert`` on the embedded benchmarks: the generated Bench2Drive set
(one route per each of the 44 types) and the Longest6 mini (or full) set, each under its own protocol.

Prints one line per route (id, scenario types, DS, RC, infraction keys, status) and the mean
DS/RC/IS per benchmark.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/expert_ds.py [--seed 0] [--workers 2]
        [--benchmark bench2drive|longest6|both] [--longest6-subset mini|full] [--types Accident,ParkingExit]
"""

from __future__ import annotations

import argparse
from collections import Counter

import attrs
from lead_sim.benchmarks import (
    Bench2DriveBenchmark,
    Bench2DriveConfig,
    Longest6Benchmark,
    SimBenchmarkConfig,
)
from lead_sim.world import LeadSimConfig, LeadSimWorld

from lead_framework.execution import map_routes
from lead_framework.route import RouteSpec
from lead_framework.route_tasks import route_seed
from lead_framework.world import EvaluationProtocol


@attrs.define(frozen=True)
class Task:
    route: RouteSpec
    world: LeadSimConfig
    protocol: EvaluationProtocol
    seed: int


def drive(task: Task) -> dict:
    """Drive one route with the expert (runs in a worker process); returns the figures printed."""
    from lead_expert_pdm.expert import PdmExpert

    record = LeadSimWorld(task.world).run_route(task.route, PdmExpert(), seed=task.seed, protocol=task.protocol)
    keys = Counter(event.key for event in record.infractions)
    return {"DS": record.score_composed, "RC": record.score_route, "IS": record.score_penalty,
            "infractions": dict(keys), "status": record.status, "ticks": record.extra.get("ticks")}


def run_benchmark(name: str, benchmark, world: LeadSimConfig, args: argparse.Namespace) -> None:
    routes = benchmark.routes(LeadSimWorld(world), args.seed)
    if args.types:
        wanted = set(args.types.split(","))
        routes = [r for r in routes if wanted & {s.type for s in r.scenarios}]
    tasks = [Task(route, world, benchmark.protocol, route_seed(args.seed, i)) for i, route in enumerate(routes)]
    rows: dict[int, dict] = {}
    for outcome in map_routes(drive, tasks, workers=args.workers):
        route = tasks[outcome.index].route
        row = outcome.result or {"DS": 0.0, "RC": 0.0, "IS": 0.0, "infractions": {}, "status": f"crashed: {outcome.error}", "ticks": None}
        rows[outcome.index] = row
        types = ",".join(s.type for s in route.scenarios)
        print(f"{name:11s} {route.id:40s} DS {row['DS']:6.1f} RC {row['RC']:6.1f} IS {row['IS']:.3f} "
              f"ticks {row['ticks']} {row['status']:28s} {row['infractions']} [{types[:120]}]", flush=True)
    if rows:
        mean = {k: sum(r[k] for r in rows.values()) / len(rows) for k in ("DS", "RC", "IS")}
        print(f"== {name}: {len(rows)} routes  mean DS {mean['DS']:.2f}  RC {mean['RC']:.2f}  IS {mean['IS']:.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--benchmark", choices=("bench2drive", "longest6", "both"), default="both")
    parser.add_argument("--types", default="", help="comma-separated scenario types: only routes with one of them")
    parser.add_argument("--longest6-subset", choices=("mini", "full"), default="mini",
                        help="Longest6 set: 2 routes on grid_small, or the 36 routes of 1-3 km on grid_medium")
    parser.add_argument("--vehicles", type=int, default=10, help="background vehicles of the world")
    parser.add_argument("--walkers", type=int, default=4, help="background walkers of the world")
    args = parser.parse_args()
    world = LeadSimConfig(town="grid_small", vehicles=args.vehicles, walkers=args.walkers)
    if args.benchmark in ("bench2drive", "both"):
        run_benchmark("bench2drive", Bench2DriveBenchmark(Bench2DriveConfig(subset="mini", count=44)), world, args)
    if args.benchmark in ("longest6", "both"):
        run_benchmark("longest6", Longest6Benchmark(SimBenchmarkConfig(subset=args.longest6_subset)), world, args)


if __name__ == "__main__":
    main()
