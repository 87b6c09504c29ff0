"""``leadfw routes generate``: a seeded Leaderboard 2.0 route file with scenarios on any town."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lead_framework.route_xml import write_routes

STYLES = ("bench2drive", "longest6", "town13")


class RoutesCommand:
    """Route files: generate seeded Bench2Drive-, Longest6- or Town13-style sets."""

    help = "route files: generate seeded sets with scenarios (bench2drive, longest6 or town13 style)"

    def __init__(self, config: Any = None):
        self.config = config

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="routes_command", required=True, metavar="SUBCOMMAND")
        gen = sub.add_parser("generate", help="write a seeded route file with scenarios")
        gen.add_argument("--town", required=True, help="town preset, .xodr path or CARLA town name")
        gen.add_argument("--style", required=True, choices=STYLES)
        gen.add_argument("--count", type=int, required=True, help="number of routes")
        gen.add_argument("--seed", type=int, default=0)
        gen.add_argument("--out", required=True, help="route file to write (.xml)")

    def run(self, args: argparse.Namespace) -> int:
        from lead_sim.scenarios.generate import RouteGenerationError, generate_scenario_routes

        try:
            routes = generate_scenario_routes(args.town, args.style, args.count, args.seed)
        except (RouteGenerationError, LookupError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        path = write_routes(args.out, routes, weathers_last=args.style == "bench2drive")
        scenarios = sum(len(route.scenarios) for route in routes)
        print(f"{path}: {len(routes)} route(s), {scenarios} scenario(s) on {args.town} ({args.style}, seed {args.seed})")
        return 0
