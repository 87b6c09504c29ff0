"""Leaderboard 2.0 and Bench2Drive scenarios for the embedded world.

:class:`ScenarioRunner` runs a route's scenarios inside the world loop; :data:`SCENARIO_CLASSES`
maps every official type name to its behaviour.
"""

from lead_sim.scenarios.base import EgoView, Scenario, ScenarioContext, ScenarioState
from lead_sim.scenarios.catalog import BENCH2DRIVE_EXTRA_TYPES, LEADERBOARD_TYPES, SCENARIO_CLASSES
from lead_sim.scenarios.errors import (
    ScenarioError,
    ScenarioParameterError,
    ScenarioPlacementError,
    UnknownScenarioTypeError,
)
from lead_sim.scenarios.runner import ScenarioRunner, registered_builders

__all__ = [
    "BENCH2DRIVE_EXTRA_TYPES", "EgoView", "LEADERBOARD_TYPES", "SCENARIO_CLASSES", "Scenario", "ScenarioContext",
    "ScenarioError", "ScenarioParameterError", "ScenarioPlacementError", "ScenarioRunner", "ScenarioState",
    "UnknownScenarioTypeError", "registered_builders",
]
