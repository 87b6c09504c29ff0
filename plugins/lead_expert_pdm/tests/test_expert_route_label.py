"""The collect stage saves the path the expert drives as the ``route`` label: shifted into the next
lane beside an accident, while ``route_original`` stays on the blocked lane."""

import attrs
import numpy as np
import pytest

pytest.importorskip("lead_sim")

from lead_expert_pdm.expert import PdmExpert
from lead_sim.benchmarks.bench2drive import PROTOCOL
from lead_sim.scenarios.generate import generate_scenario_routes
from lead_sim.world import LeadSimConfig, LeadSimWorld

from lead_framework.frame_recorder import FrameRecorder
from lead_framework.plugins import get_registry


def test_route_label_follows_the_expert_around_an_accident():
    route = generate_scenario_routes("grid_small", "bench2drive", 1, 0, types=("Accident",))[0]
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=0, walkers=0))
    agent = PdmExpert()
    samples: list[tuple[dict, dict]] = []
    recorder = FrameRecorder(lambda frame, members, attributes: samples.append((members["meta.json"], attributes)),
                             list(get_registry().get("sensors", "privileged_minimal").create(None)), route_id="r", agent=agent)
    record = world.run_route(route, agent, seed=0, protocol=attrs.evolve(PROTOCOL, max_ticks=800), observers=[recorder])
    assert record.score_route == 100.0, record.status

    flags = [meta["route_shifted"] for meta, _ in samples]
    assert [attributes["route_shifted"] for _, attributes in samples] == flags
    assert not flags[0] and not flags[-1] and any(flags)
    # beside the accident the label runs about a lane width from the blocked lane's centre line,
    # and the ego's next 3 s follow the label, not the blocked lane
    gaps = [np.linalg.norm(np.subtract(meta["route"], meta["route_original"]), axis=1).max() for meta, _ in samples]
    assert max(gaps) > 2.5
    shifted = [meta for meta, _ in samples if meta["route_shifted"] and len(meta["future_positions"]) == 60]
    assert shifted
    to_label = np.mean([mean_distance(meta["future_positions"], meta["route"]) for meta in shifted])
    to_lane = np.mean([mean_distance(meta["future_positions"], meta["route_original"]) for meta in shifted])
    assert to_label < 0.6 and to_lane > 1.5, (to_label, to_lane)


def mean_distance(points: list, line: list) -> float:
    """Mean distance of ``points`` to the nearest of the 1 m samples of ``line``."""
    gaps = np.linalg.norm(np.asarray(points)[:, None, :] - np.asarray(line)[None], axis=2)
    return float(gaps.min(axis=1).mean())
