"""Registers Example Benchmark with the LEAD framework."""

from lead_framework import hookimpl

from lead_example_benchmark.benchmark import ExampleBenchmark, ExampleBenchmarkConfig


@hookimpl
def lead_register_benchmarks(register):
    register("example_benchmark", ExampleBenchmark, config=ExampleBenchmarkConfig, description="Example Benchmark (benchmark template)")
