"""Tests of lead-example-benchmark: it registers through the entry point and computes its metrics."""

from lead_framework.plugins import get_registry
from lead_framework.scoring.record import RouteRecord

from lead_example_benchmark.benchmark import ExampleBenchmark, ExampleBenchmarkConfig


def test_registered_through_the_entry_point():
    component = get_registry(refresh=True).get("benchmarks", "example_benchmark")
    assert component.distribution == "lead-example-benchmark"
    assert isinstance(component.create(), ExampleBenchmark)


def test_metrics_count_finished_routes():
    benchmark = ExampleBenchmark(ExampleBenchmarkConfig(routes=3))
    records = [RouteRecord("0", status="Perfect"), RouteRecord("1", status="Failed - Agent got blocked"), RouteRecord("2", status="Completed")]
    assert benchmark.metrics(records, []) == {"finished_routes": 2, "finished_share": 2 / 3}


class _CountingWorld:
    def generate_routes(self, count, length_m, seed):
        return [f"route-{seed}-{i}-{length_m[0]:.0f}" for i in range(count)]


def test_routes_come_from_the_world():
    benchmark = ExampleBenchmark(ExampleBenchmarkConfig(routes=2, length_m=(50.0, 60.0)))
    assert benchmark.routes(_CountingWorld(), seed=4) == ["route-4-0-50", "route-4-1-50"]
