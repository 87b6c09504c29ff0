"""The tfv6 sensor agent: building from checkpoints, its rig, run_step, ensembles and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from lead_tfv6.agent import (
    AgentConfigError,
    CheckpointLoadError,
    SensorInputError,
    TFv6Agent,
    TFv6AgentConfig,
)
from lead_tfv6.agent.inference import PlanPredictor
from lead_tfv6.agent.rig import RIG_KEY, rig_to_payload
from lead_tfv6.agent.testing import save_untrained_checkpoint, synthetic_drive

from lead_framework.agent import VehicleControl
from lead_framework.plugins import get_registry
from lead_framework.validators import FieldValueError

pytest.importorskip("lead_sim", reason="the LEAD rig is registered by the lead-sim plugin")
from lead_sim.rigs import LeadRigConfig, lead_rig

TICKS = 4


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("tfv6_checkpoints")
    return [save_untrained_checkpoint(root / f"seed{seed}", seed=seed).parent for seed in (0, 1)]


@pytest.fixture(scope="module")
def agent(checkpoints):
    return get_registry().create("agents", "tfv6", TFv6AgentConfig(checkpoint=str(checkpoints[0]), optimize=False))


@pytest.fixture(scope="module")
def drive(agent):
    return synthetic_drive(agent.sensors(), TICKS, seed=3)


def _drive(agent, drive) -> list[VehicleControl]:
    agent.setup(drive.plan)
    return [agent.run_step(data, tick * 0.05) for tick, data in enumerate(drive.ticks)]


def test_agent_asks_for_the_lead_rig_inputs(agent):
    expected = [spec for spec in lead_rig(LeadRigConfig(labels=False))]
    assert agent.sensors() == expected
    assert [spec.kind for spec in agent.sensors()].count("rgb") == 3 and agent.layout.cameras == ("rgb_left", "rgb_front", "rgb_right")
    assert agent.layout.radars == ("radar_front_left", "radar_front_right", "radar_rear_right", "radar_rear_left")


def test_run_step_returns_valid_controls_and_keeps_the_prediction(agent, drive):
    controls = _drive(agent, drive)
    for control in controls:
        assert isinstance(control, VehicleControl)
        assert all(math.isfinite(v) for v in (control.throttle, control.steer, control.brake))
        assert 0 <= control.throttle <= 1 and -1 <= control.steer <= 1 and 0 <= control.brake <= 1
    prediction, config = agent.last_prediction, agent.model_config
    assert prediction.tick == TICKS - 1 and prediction.control == controls[-1]
    assert prediction.plan.route.shape == (config.num_route_points, 2)
    assert prediction.plan.waypoints.shape == (config.num_waypoints, 2)
    assert prediction.plan.bev.shape == (config.lidar_height, config.lidar_width)
    assert 0.0 <= prediction.plan.target_speed <= max(config.target_speed_classes)
    # localisation from GNSS + compass matches the true pose of the synthetic drive
    truth = drive.poses[-1]
    assert math.hypot(prediction.pose.x - truth.x, prediction.pose.y - truth.y) < 0.05
    assert abs(prediction.pose.yaw - truth.yaw) < 1e-9


def _batch_after(agent, drive) -> dict[str, torch.Tensor]:
    _drive(agent, drive)
    return {key: torch.from_numpy(np.asarray(value)[None]) for key, value in agent.last_inputs.items()}


def test_optimized_model_predicts_what_the_eager_model_does(agent, drive):
    batch = _batch_after(agent, drive)
    optimized = PlanPredictor(agent.models, agent.config.brake_threshold, with_bev=True, optimize=True)
    eager_plan, fast_plan = agent.predictor(batch), optimized(batch)
    np.testing.assert_allclose(fast_plan.route, eager_plan.route, atol=1e-4)
    np.testing.assert_allclose(fast_plan.waypoints, eager_plan.waypoints, atol=1e-4)
    np.testing.assert_allclose(fast_plan.speed_probabilities, eager_plan.speed_probabilities, atol=1e-5)
    assert (fast_plan.bev != eager_plan.bev).mean() < 1e-3


def test_ensemble_of_two_checkpoints_averages_their_plans(agent, checkpoints, drive):
    ensemble = TFv6Agent(TFv6AgentConfig(checkpoint=str(checkpoints[0].parent / "seed*"), optimize=False))
    assert ensemble.checkpoint_files == [folder / "model_final.pt" for folder in checkpoints]
    batch = _batch_after(agent, drive)
    singles = [PlanPredictor([model], 0.9, with_bev=False).outputs(batch)[0] for model in ensemble.models]
    torch.testing.assert_close(singles[0]["route"], agent.predictor.outputs(batch)[0]["route"])  # seed 0 is seed 0
    merged = ensemble.predictor(batch)
    np.testing.assert_allclose(merged.route, ((singles[0]["route"] + singles[1]["route"]) / 2)[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(merged.waypoints, ((singles[0]["waypoints"] + singles[1]["waypoints"]) / 2)[0].numpy(), atol=1e-6)
    mean_logits = (singles[0]["target_speed_logits"] + singles[1]["target_speed_logits"]) / 2
    np.testing.assert_allclose(merged.speed_probabilities, mean_logits.softmax(-1)[0].numpy(), atol=1e-6)


def test_brake_threshold_decides_the_brake(agent, drive):
    batch = _batch_after(agent, drive)
    p0 = float(agent.predictor(batch).speed_probabilities[0])
    braking = PlanPredictor(agent.models, max(p0 - 1e-3, 0.0), with_bev=False)(batch)
    rolling = PlanPredictor(agent.models, min(p0 + 1e-3, 1.0), with_bev=False)(batch)
    assert braking.brake and braking.target_speed == 0.0
    assert not rolling.brake and rolling.target_speed > 0.0


def test_sensors_from_checkpoint(tmp_path, checkpoints):
    rig = lead_rig(LeadRigConfig(labels=False))[::-1]
    payload = torch.load(checkpoints[0] / "model_final.pt", weights_only=True)
    torch.save({**payload, RIG_KEY: rig_to_payload(rig)}, tmp_path / "with_rig.pt")
    agent = TFv6Agent(TFv6AgentConfig(checkpoint=str(tmp_path / "with_rig.pt"), sensors_from="checkpoint", optimize=False))
    assert agent.sensors() == rig
    with pytest.raises(AgentConfigError, match="stores no 'rig'"):
        TFv6Agent(TFv6AgentConfig(checkpoint=str(checkpoints[0]), sensors_from="checkpoint", optimize=False))


def test_bad_checkpoints_and_settings_are_explained(tmp_path, checkpoints):
    with pytest.raises(CheckpointLoadError, match="does not exist"):
        TFv6Agent(TFv6AgentConfig(checkpoint=str(tmp_path / "missing")))
    with pytest.raises(CheckpointLoadError, match="matches no file"):
        TFv6Agent(TFv6AgentConfig(checkpoint=str(tmp_path / "nothing*")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointLoadError, match="has no model_final.pt"):
        TFv6Agent(TFv6AgentConfig(checkpoint=str(tmp_path / "empty")))
    pretrained = save_untrained_checkpoint(tmp_path / "pretrain", phase="pretrain")
    with pytest.raises(CheckpointLoadError, match="phase: posttrain"):
        TFv6Agent(TFv6AgentConfig(checkpoint=str(pretrained)))
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointLoadError, match="junk.pt"):
        TFv6Agent(TFv6AgentConfig(checkpoint=str(tmp_path / "junk.pt")))
    for field, value, message in (("brake_threshold", 1.5, r"\[0.0, 1.0\]"), ("device", "tpu", "'cpu', 'cuda'"),
                                  ("checkpoint", [], "non-empty list"), ("sensors_from", "rig", "lead_rig")):
        with pytest.raises(FieldValueError, match=message) as error:
            TFv6AgentConfig(**{field: value})
        assert error.value.field == field


def test_ensemble_members_must_share_input_settings(tmp_path, checkpoints):
    payload = torch.load(checkpoints[0] / "model_final.pt", weights_only=True)
    torch.save({**payload, "config": {**payload["config"], "hist_max_per_pixel": 3}}, tmp_path / "other_histogram.pt")
    with pytest.raises(CheckpointLoadError, match="hist_max_per_pixel"):
        TFv6Agent(TFv6AgentConfig(checkpoint=[str(checkpoints[0]), str(tmp_path / "other_histogram.pt")], optimize=False))


def test_missing_or_malformed_sensor_data_is_named(agent, drive):
    agent.setup(drive.plan)
    data = dict(drive.ticks[0])
    del data["lidar_1"]
    with pytest.raises(SensorInputError, match="lidar_1"):
        agent.run_step(data, 0.0)
    data = dict(drive.ticks[0], speed=(0, 3.0))
    with pytest.raises(SensorInputError, match="speedometer 'speed'"):
        agent.run_step(data, 0.0)


def test_checkpoint_previous_names_the_train_stage_folder(checkpoints, tmp_path):
    import logging
    from types import SimpleNamespace

    from lead_tfv6.agent.checkpoints import resolve_checkpoint_files

    from lead_framework.config import ComponentSpec
    from lead_framework.stages import StageContext, StageOutput, resolve_stage_inputs

    previous = {"train_seed1": StageOutput("train", "train_seed1", checkpoints[1], {}), "train": StageOutput("train", "train", checkpoints[0], {})}
    ctx = StageContext(experiment=None, spec=SimpleNamespace(name="evaluate"), run_dir=tmp_path, stage_dir=tmp_path,
                       previous=previous, log=logging.getLogger("test"))
    latest = resolve_stage_inputs(ComponentSpec("agents", "tfv6", TFv6AgentConfig()), ctx).config.checkpoint
    named = resolve_stage_inputs(ComponentSpec("agents", "tfv6", TFv6AgentConfig(checkpoint="train_seed1")), ctx).config.checkpoint
    ensemble = resolve_stage_inputs(ComponentSpec("agents", "tfv6", TFv6AgentConfig(checkpoint=["train", "train_seed1"])), ctx)
    assert resolve_checkpoint_files(latest) == [checkpoints[0] / "model_final.pt"]
    assert resolve_checkpoint_files(named) == [checkpoints[1] / "model_final.pt"]
    assert resolve_checkpoint_files(ensemble.config.checkpoint) == [checkpoints[0] / "model_final.pt", checkpoints[1] / "model_final.pt"]
