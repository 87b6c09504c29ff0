"""How the evaluate stage reports an agent that cannot be built and routes that all crash alike."""

from __future__ import annotations

import json

import pytest

from lead_framework.config import load_experiment
from lead_framework.runner import RunError, run_experiment

pytest.importorskip("lead_sim", reason="the routes are driven on the embedded world (lead-sim plugin)")


def write_experiment(tmp_path, fail: str):
    experiment = tmp_path / "evaluate.yaml"
    experiment.write_text(
        f"name: toy_failures\noutput: {tmp_path / 'run'}\nworld: {{name: leadsim, town: grid_small, vehicles: 1, walkers: 0}}\n"
        f"stages:\n  - evaluate: {{agent: {{name: toy_agent, fail: {fail}}}, "
        "benchmark: {name: bench2drive, subset: mini, town: grid_small, count: 2}, max_routes: 2, max_route_seconds: 1}\n",
        encoding="utf-8",
    )
    return load_experiment(experiment)


def test_an_agent_that_cannot_be_built_stops_the_stage_before_any_route(toy_path, tmp_path):
    with pytest.raises(RunError) as error:
        run_experiment(write_experiment(tmp_path, "build"), echo=lambda *_: None, interactive=False)
    message = str(error.value)
    assert "agent 'toy_agent' cannot be built, so no route was started" in message
    assert "FileNotFoundError: toy weights missing" in message and "'agent' section" in message
    assert not (tmp_path / "run" / "evaluate" / "routes").exists()


def test_an_agent_that_raises_on_every_route_fails_them_and_is_summed_up_in_one_line(toy_path, tmp_path):
    run_experiment(write_experiment(tmp_path, "drive"), echo=lambda *_: None, interactive=False)
    routes = tmp_path / "run" / "evaluate" / "routes"
    records = [json.loads(path.read_text()) for path in sorted(routes.glob("*/record.json"))]
    assert [r["status"] for r in records] == ["Failed - Agent crashed"] * 2  # final, as on the leaderboard
    assert not list(routes.glob("*/crash.json"))  # nothing to retry
    log = (tmp_path / "run" / "run.log").read_text(encoding="utf-8")
    assert "2 route(s) failed because the agent raised" in log and "route(s) crashed" not in log
    summaries = [line for line in log.splitlines() if "every failure has the same error" in line]
    assert len(summaries) == 1 and summaries[0].endswith("before running again: RuntimeError: toy agent fails on every tick")
    state = json.loads((tmp_path / "run" / "evaluate" / "stage.json").read_text())
    assert state["status"] == "complete" and state["summary"]["agent_failed"] == 2
