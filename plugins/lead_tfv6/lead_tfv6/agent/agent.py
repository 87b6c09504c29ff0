"""The closed-loop TFv6 sensor agent ``tfv6``.

Every tick (20 Hz): localise from GNSS and compass, turn the live sensor data into the training
sample layout (``sensor_inputs``), make the model inputs with the training pipeline's functions
(``model_inputs``), run the model or seed ensemble (``inference``) and follow the predicted route
and target speed with the expert's controllers (``control``). The latest prediction stays on
``agent.last_prediction`` for video observers.
"""

from __future__ import annotations

import attrs
import numpy as np
import torch

from lead_framework.agent import Agent, PrivilegedView, VehicleControl
from lead_framework.route import RoutePlan
from lead_framework.sensors import SensorSpec
from lead_framework.world import TICK_RATE_HZ
from lead_tfv6.agent.checkpoints import load_models, resolve_checkpoint_files
from lead_tfv6.agent.config import TFv6AgentConfig
from lead_tfv6.agent.control import ControlDebug, TFv6Controller
from lead_tfv6.agent.debug_view import debug_image
from lead_tfv6.agent.errors import AgentConfigError
from lead_tfv6.agent.geometry import EgoPose
from lead_tfv6.agent.inference import Plan, PlanPredictor
from lead_tfv6.agent.localization import GnssProjection, PoseEstimator
from lead_tfv6.agent.model_inputs import sample_inputs, to_batch
from lead_tfv6.agent.rig import checkpoint_rig, lead_rig_inputs
from lead_tfv6.agent.sensor_inputs import (
    SensorLayout,
    SensorSample,
    SensorSampleBuilder,
)
from lead_tfv6.agent.targets import TargetPoints, TargetPointTracker
from lead_tfv6.heads.light_state import LIGHT_STATES
from lead_tfv6.heads.stop_sign import STOP_SIGN_ZONES


@attrs.define
class Prediction:
    """What the agent saw and decided on its latest tick (ego frame, metres)."""

    tick: int
    pose: EgoPose
    speed: float
    targets: TargetPoints
    plan: Plan
    control: VehicleControl
    debug: ControlDebug


class TFv6Agent(Agent):
    """``tfv6``: drives with trained TransFuser v6 model(s) from sensors only."""

    def __init__(self, config: TFv6AgentConfig | None = None):
        config = config if config is not None else TFv6AgentConfig()
        self.config = config
        try:
            self.device = torch.device(config.device)
        except RuntimeError as error:
            raise AgentConfigError(f"device: {config.device!r} is not a torch device ({error})") from error
        self.checkpoint_files = resolve_checkpoint_files(config.checkpoint)
        self._sensors = checkpoint_rig(self.checkpoint_files[0]) if config.sensors_from == "checkpoint" else lead_rig_inputs()
        self.layout = SensorLayout.from_specs(self._sensors)
        self.models = load_models(self.checkpoint_files, self.device)
        self.model_config = self.models[0].config
        if config.full_stop_at_stop_signs and not any(model.config.stop_sign_head for model in self.models):
            raise AgentConfigError(
                "full_stop_at_stop_signs: true needs a model trained with stop_sign_head: true (a TFv6 override); "
                f"none of {[str(path) for path in self.checkpoint_files]} has one. Set it to false or use such a checkpoint"
            )
        self.predictor = PlanPredictor(
            self.models, config.brake_threshold, config.predict_bev or config.stop_sign_slowdown, optimize=config.optimize
        )
        self.last_prediction: Prediction | None = None
        self.last_inputs: dict[str, np.ndarray] | None = None

    def sensors(self) -> list[SensorSpec]:
        return list(self._sensors)

    def setup(self, plan: RoutePlan, privileged: PrivilegedView | None = None) -> None:
        super().setup(plan, None)  # a sensor agent never uses ground truth
        self.localizer = PoseEstimator(GnssProjection.from_plan(plan), use_filter=self.config.gnss_filter)
        self.tracker = TargetPointTracker(plan)
        self.builder = SensorSampleBuilder(self.layout, keep_ground=False, history_ticks=self.config.lidar_history_ticks)
        self.controller = TFv6Controller(self.model_config, self.config.creep, self.config.stop_sign_slowdown,
                                         self.config.moving_brake_threshold, self.config.collision_guard,
                                         self.config.full_stop_at_stop_signs)
        self.tick = 0
        self.last_prediction, self.last_inputs = None, None

    def observe(self, input_data: dict) -> tuple[EgoPose, float, SensorSample, TargetPoints]:
        """Localise and build this tick's sample arrays (advances the LiDAR history and route tracking)."""
        speed = self.builder.speed(input_data)
        pose = self.localizer.update(self.builder.gnss(input_data), self.builder.compass(input_data), speed, 1.0 / TICK_RATE_HZ)
        sample = self.builder.build(input_data, pose)
        return pose, speed, sample, self.tracker.targets(pose)

    def run_step(self, input_data: dict, timestamp: float) -> VehicleControl:
        pose, speed, sample, targets = self.observe(input_data)
        inputs = sample_inputs(sample.rgb, sample.lidar, sample.radar, speed, targets.command, targets.points, self.model_config)
        plan = self.predictor(to_batch(inputs, self.model_config, self.device))
        control, debug = self.controller.step(plan, speed, sample.lidar)
        self.last_inputs = inputs
        self.last_prediction = Prediction(self.tick, pose, speed, targets, plan, control, debug)
        self.tick += 1
        return control

    def debug_values(self) -> dict[str, float | bool | str]:
        """The latest tick's decision for ``steps.jsonl``: the (ensemble's) probability of stopping,
        its target speed, the target after the heuristics, which rule braked or pushed, and (models
        with those heads) the most likely state of the light ahead and stop-sign zone."""
        prediction = self.last_prediction
        if prediction is None:
            return {}
        plan, decided = prediction.plan, prediction.debug
        heads = {} if plan.light_state_probabilities is None else {
            "light": LIGHT_STATES[int(np.argmax(plan.light_state_probabilities))]}
        if plan.stop_sign_probabilities is not None:
            heads["stop_sign_zone"] = STOP_SIGN_ZONES[int(np.argmax(plan.stop_sign_probabilities))]
        return {
            "p_stop": round(float(plan.speed_probabilities[0]), 4),
            "model_target_speed": round(plan.target_speed, 3),
            "target_speed": round(decided.target_speed, 3),
            "model_brake": plan.brake,
            "moving_brake": decided.moving_brake,
            "guard": decided.guard,
            "creeping": decided.creeping,
            "stop_sign": decided.stop_sign,
            **heads,
        }

    def debug_image(self, input_data: dict) -> np.ndarray | None:
        """Cameras beside a top-down drawing of the latest predicted route, waypoints and targets."""
        return debug_image(input_data, self.last_prediction)
