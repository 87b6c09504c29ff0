"""The tfv6 agent drives a route of the embedded world end to end (untrained weights: it only has to run)."""

from __future__ import annotations

import math

import pytest
from lead_tfv6.agent import TFv6AgentConfig
from lead_tfv6.agent.testing import save_untrained_checkpoint

from lead_framework.plugins import get_registry
from lead_framework.world import EvaluationProtocol, Observer

pytest.importorskip("lead_sim", reason="the embedded world is the lead-sim plugin")
from lead_sim.routes import generate_routes
from lead_sim.world import LeadSimConfig, LeadSimWorld

TICKS = 25


class PoseCheck(Observer):
    """Compares the agent's GNSS + compass pose with the world's true ego pose of the same tick.

    Observers run after the world stepped, so the pose the agent estimated from this tick's sensors
    is the true pose the previous call saw.
    """

    def __init__(self, agent):
        self.agent, self.errors, self.controls, self.previous, self.values = agent, [], [], None, []

    def on_tick(self, info):
        self.values.append(self.agent.debug_values())
        ego, estimate = info.privileged.ego, self.agent.last_prediction.pose
        if self.previous is not None:
            x, y, yaw = self.previous
            self.errors.append((math.hypot(x - estimate.x, y - estimate.y), abs(math.remainder(yaw - estimate.yaw, math.tau))))
        self.previous = (ego.x, ego.y, ego.yaw)
        self.controls.append(info.control)


def test_agent_drives_a_generated_route_without_crashing(tmp_path):
    agent = get_registry().create("agents", "tfv6", TFv6AgentConfig(checkpoint=str(save_untrained_checkpoint(tmp_path)), optimize=False))
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=3, walkers=1))
    route = generate_routes("grid_small", 1, (80.0, 120.0), seed=1)[0]
    check = PoseCheck(agent)
    record = world.run_route(route, agent, seed=0, protocol=EvaluationProtocol(max_ticks=TICKS), observers=[check])
    assert "error" not in record.extra, record.extra.get("error")
    assert record.extra["ticks"] == len(check.controls) and 0 < len(check.controls) <= TICKS
    assert agent.last_prediction.tick == len(check.controls) - 1
    assert max(error for error, _ in check.errors) < 0.3  # metres, GNSS inverted through the plan's projection
    assert max(yaw for _, yaw in check.errors) < 1e-6
    assert any(control.throttle > 0 for control in check.controls)
    for values, control in zip(check.values, check.controls):  # what steps.jsonl gets under "agent"
        assert 0.0 <= values["p_stop"] <= 1.0 and values["model_brake"] == (values["model_target_speed"] == 0.0)
        assert values["target_speed"] <= values["model_target_speed"] or values["creeping"]
        assert (values["target_speed"] < 0.01) <= (control.brake == 1.0)  # a zero target always brakes


def test_route_video_shows_cameras_and_the_plan(tmp_path):
    import cv2

    from lead_framework.route_video import RouteVideo

    agent = get_registry().create("agents", "tfv6", TFv6AgentConfig(checkpoint=str(save_untrained_checkpoint(tmp_path)), optimize=False))
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=2, walkers=0))
    route = generate_routes("grid_small", 1, (80.0, 120.0), seed=2)[0]
    video = RouteVideo(tmp_path / "video", agent, every=5)
    world.run_route(route, agent, seed=0, protocol=EvaluationProtocol(max_ticks=20), observers=[video])
    capture = cv2.VideoCapture(str(video.writer.path))
    frames = []
    while (frame := capture.read())[0]:
        frames.append(frame[1])
    assert len(frames) == 4  # ticks 0, 5, 10, 15
    # three 384 px cameras plus the plan panel, scaled to MAX_WIDTH
    assert frames[0].shape[1] == 1152 and frames[0].shape[0] < 384
    panel = frames[-1][:, -288:].astype(int)  # the plan panel, 384 px scaled by 1152 / 1536
    drawn_red = (panel[..., 2] > 150) & (panel[..., 0] < 100)
    drawn_blue = (panel[..., 0] > 150) & (panel[..., 2] < 100)
    assert drawn_red.sum() > 10 and drawn_blue.sum() > 10  # waypoints and route are drawn


def test_a_wrong_checkpoint_stops_the_evaluation_before_any_route(tmp_path):
    from lead_framework.config import load_experiment
    from lead_framework.runner import RunError, run_experiment

    experiment = tmp_path / "evaluate.yaml"
    experiment.write_text(
        f"name: wrong_checkpoint\noutput: {tmp_path / 'run'}\nworld: {{name: leadsim, town: grid_small, vehicles: 1, walkers: 0}}\n"
        "stages:\n  - evaluate: {agent: {name: tfv6, checkpoint: posttrian_typo.pt}, "
        "benchmark: {name: bench2drive, subset: mini, town: grid_small, count: 2}, max_routes: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(RunError) as error:
        run_experiment(load_experiment(experiment), echo=lambda *_: None, interactive=False)
    message = str(error.value)
    assert "no route was started" in message and "posttrian_typo.pt does not exist" in message and "'agent' section" in message
    assert not list((tmp_path / "run").glob("*/routes/*/crash.json"))
