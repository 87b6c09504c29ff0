"""What the evaluate stage logs per tick in ``steps.jsonl``: controls, ego state and the agent's values."""

from __future__ import annotations

import json

import pytest

from lead_framework.agent import Agent, VehicleControl
from lead_framework.config import load_experiment
from lead_framework.evaluation import StepLog
from lead_framework.runner import run_experiment
from lead_framework.world import TickInfo

pytest.importorskip("lead_sim", reason="the routes are driven on the embedded world (lead-sim plugin)")


def test_each_tick_logs_the_agents_debug_values_beside_controls_and_ego_state(toy_path, tmp_path):
    experiment = tmp_path / "evaluate.yaml"
    experiment.write_text(
        f"name: toy_steps\noutput: {tmp_path / 'run'}\nworld: {{name: leadsim, town: grid_small, vehicles: 1, walkers: 0}}\n"
        "stages:\n  - evaluate: {agent: toy_agent, benchmark: {name: bench2drive, subset: mini, town: grid_small, count: 1}, "
        "max_routes: 1, max_route_seconds: 1}\n",
        encoding="utf-8",
    )
    run_experiment(load_experiment(experiment), echo=lambda *_: None, interactive=False)
    (steps_file,) = (tmp_path / "run" / "evaluate" / "routes").glob("*/steps.jsonl")
    rows = [json.loads(line) for line in steps_file.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 20  # 1 s at 20 Hz
    assert [row["agent"] for row in rows[9:12]] == [{"steps": 10, "cruising": False}, {"steps": 11, "cruising": True}, {"steps": 12, "cruising": True}]
    assert all(row["tick"] == row["agent"]["steps"] and row["throttle"] == 0.3 and "speed" in row for row in rows)


def test_an_agent_without_debug_values_adds_no_agent_field(tmp_path):
    log = StepLog(tmp_path / "steps.jsonl", Agent())
    log.on_route_start(None, None)
    log.on_tick(TickInfo(tick=1, timestamp=0.05, input_data={}, control=VehicleControl(brake=1.0), extra={"ego": {"speed": 0.0}}))
    log.on_route_end(None)
    assert json.loads((tmp_path / "steps.jsonl").read_text()) == {"tick": 1, "t": 0.05, "throttle": 0.0, "steer": 0.0, "brake": 1.0, "speed": 0.0}
