"""Benchmarks of the embedded world: ``bench2drive``, ``longest6`` and ``town13``."""

from lead_sim.benchmarks.bench2drive import Bench2DriveBenchmark, Bench2DriveConfig, generate_bench2drive_routes
from lead_sim.benchmarks.common import BenchmarkConfigError, SimBenchmarkConfig
from lead_sim.benchmarks.longest6 import Longest6Benchmark, Town13Benchmark

__all__ = [
    "Bench2DriveBenchmark", "Bench2DriveConfig", "BenchmarkConfigError", "Longest6Benchmark", "SimBenchmarkConfig", "Town13Benchmark",
    "generate_bench2drive_routes",
]
