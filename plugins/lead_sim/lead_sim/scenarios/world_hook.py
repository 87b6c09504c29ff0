"""Plugs a route's scenarios into the ``leadsim`` world loop.

:func:`setup_route_scenarios` is one of the world's ``scenario_setups``: it builds a
:class:`~lead_sim.scenarios.runner.ScenarioRunner` for the episode's route, moves the ego to a
scenario's start pose if one asks (ParkingExit), registers the control perturbation
(ControlLoss) and returns the per-tick adapter, which after traffic moved:

* runs the scenarios and hands their actors to the traffic (``Traffic.set_extra_actors``): the
  background traffic keeps its distance to them, and the scene lists them after the world's own
  rows, so criteria (collisions), sensors and privileged agents see them;
* switches the outside-lanes criterion off while a TwoWays scenario lets the ego overtake, and
  pauses the blocked criterion while a scenario runs (its own timeout applies instead);
* holds the traffic lights scenarios ask for;
* reports scenario timeouts and failures to yield to an emergency vehicle to their criteria.
"""

from __future__ import annotations

import os
import zlib
from typing import TYPE_CHECKING

import numpy as np

from lead_framework.route import RouteSpec
from lead_sim.ego import EgoState
from lead_sim.scene import LightState, Scene
from lead_sim.scenarios.runner import ScenarioRunner

if TYPE_CHECKING:
    from lead_sim.world import Episode

#: ``LEADFW_STRICT_SCENARIOS=1``: an unknown scenario type in a route file is an error, not a warning.
STRICT_ENV = "LEADFW_STRICT_SCENARIOS"


class EpisodeScenarios:
    """The world's scenario runner for one episode (``on_tick`` after traffic moved)."""

    def __init__(self, episode: Episode, runner: ScenarioRunner):
        self.episode = episode
        self.runner = runner
        self._held: dict[int, LightState] = {}

    def on_tick(self, scene: Scene) -> None:
        episode = self.episode
        self.runner.tick(scene)
        # Traffic keeps its distance to these from the next tick; the scene lists them after its rows.
        episode.traffic.set_extra_actors(self.runner.actors())
        scene.actors = episode.traffic.scene_actors
        criteria = episode.criteria
        criteria.outside_lanes.active = self.runner.outside_lanes_check_enabled
        criteria.blocked.paused = self.runner.any_running
        self._hold_lights(scene)
        for event in self.runner.pop_events():
            if event.kind == "timeout":
                criteria.scenario_timeout.report(event.scenario)
            else:
                criteria.yield_ev.report(event.location)

    def _hold_lights(self, scene: Scene) -> None:
        lights = self.episode.traffic.lights
        wanted = self.runner.light_overrides(scene)
        for light in set(self._held) - set(wanted):
            lights.release(light)
        for light, state in wanted.items():
            if self._held.get(light) != state:
                lights.freeze(light, state)
        self._held = wanted


def setup_route_scenarios(episode: Episode, route: RouteSpec) -> list[EpisodeScenarios]:
    """The scenario runner of ``route`` in ``episode`` (none when the route has no scenarios)."""
    if not route.scenarios:
        return []
    runner = ScenarioRunner(
        route, episode.dense_route, protocol=episode.protocol, seed=zlib.crc32(route.id.encode()),
        strict=os.environ.get(STRICT_ENV, "") == "1",
    )
    start = runner.ego_start()
    if start is not None:
        x, y, z, yaw = start
        episode.ego = EgoState(x=x, y=y, z=z + episode.ego_params.extent[2], yaw=yaw)
        episode.traffic.set_ego(np.array([episode.ego.x, episode.ego.y, episode.ego.z]), yaw, episode.ego.velocity())
    episode.control_filters.append(runner.adjust_control)
    return [EpisodeScenarios(episode, runner)]
