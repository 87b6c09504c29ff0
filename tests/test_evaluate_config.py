"""The evaluate stage's route-time cap combines with the benchmark's own protocol."""

from __future__ import annotations

from lead_framework.config import ComponentSpec
from lead_framework.evaluation import EvaluateConfig
from lead_framework.world import EvaluationProtocol


def config(max_route_seconds):
    spec = ComponentSpec("agents", "any", None)
    return EvaluateConfig(agent=spec, benchmark=spec, max_route_seconds=max_route_seconds)


def test_no_cap_keeps_the_benchmark_protocol():
    protocol = EvaluationProtocol(min_speed_penalty=False, max_ticks=4000)
    assert config(None).protocol_for(protocol) is protocol


def test_cap_applies_when_shorter_than_the_benchmarks():
    capped = config(30.0).protocol_for(EvaluationProtocol(min_speed_penalty=False, max_ticks=4000))
    assert capped.max_ticks == 600 and capped.min_speed_penalty is False
    assert config(300.0).protocol_for(EvaluationProtocol(max_ticks=4000)).max_ticks == 4000
    assert config(10.0).protocol_for(EvaluationProtocol()).max_ticks == 200
