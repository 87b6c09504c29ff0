"""The agent interface: what drives, shaped like the CARLA leaderboard's ``AutonomousAgent``.

An agent lists its sensors, receives the route as target points, and maps sensor data to a
control every tick. The same agent class runs on the embedded world and, wrapped by the
``lead_carla`` plugin, on a CARLA server. Privileged agents (experts) also receive a
:class:`PrivilegedView` of the world; sensor agents must not ask for one.

An agent that the ``collect`` stage drives may offer two more things, read after each step and
saved as labels: a ``decision`` attribute (``target_speed``, ``brake``, ``speed_limit``,
``hazard``) and a ``planned_path(metres)`` method returning the path it steers along, world
frame, one point per metre from the ego on (the ``route`` label; without it the world's route).
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from lead_framework.route import RoutePlan
from lead_framework.sensors import SensorSpec


def _clip(low: float, high: float):
    def convert(value: float) -> float:
        return float(min(max(value, low), high))

    return convert


@attrs.define
class VehicleControl:
    """CARLA's vehicle control: throttle and brake in [0, 1], steer in [-1, 1] (positive = right)."""

    throttle: float = attrs.field(default=0.0, converter=_clip(0.0, 1.0))
    steer: float = attrs.field(default=0.0, converter=_clip(-1.0, 1.0))
    brake: float = attrs.field(default=0.0, converter=_clip(0.0, 1.0))
    hand_brake: bool = False
    reverse: bool = False


class PrivilegedView(Protocol):
    """Ground truth that a world offers to privileged agents (experts).

    Worlds document the concrete type; ``lead_sim`` returns its scene state (actors, traffic
    lights, stop signs, the road map) through this view.
    """

    def snapshot(self) -> Any: ...


class Agent:
    """Base class of agents. Override :meth:`run_step`; the rest have sensible defaults."""

    #: Set to True by experts that need ground truth; the world then passes a PrivilegedView.
    privileged: bool = False

    def sensors(self) -> list[SensorSpec]:
        """The sensors this agent needs (world-agnostic specifications)."""
        return []

    def setup(self, plan: RoutePlan, privileged: PrivilegedView | None = None) -> None:
        """Called once per route before the first tick."""
        self.plan = plan
        self.world_view = privileged

    def run_step(self, input_data: dict[str, tuple[int, Any]], timestamp: float) -> VehicleControl:
        """Map one tick of sensor data (``{sensor_id: (frame, data)}``) to a control."""
        raise NotImplementedError

    def debug_image(self, input_data: dict[str, tuple[int, Any]]) -> Any:
        """A BGR picture of what the agent sees and plans at this tick, for route videos.

        Return None (the default) to let the video show the raw camera images.
        """
        return None

    def debug_values(self) -> dict[str, float | int | bool | str]:
        """Scalars about the latest ``run_step`` decision (what a model predicted, which rule
        braked), written per tick to the route's ``steps.jsonl`` under ``agent`` by the evaluate
        stage, so a route can be read back without driving it again. Empty (the default): none."""
        return {}

    def destroy(self) -> None:
        """Called once per route after the last tick."""
