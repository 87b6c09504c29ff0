"""Actor flows: seeded gaps, and no actor appearing on top of a body that covers the source."""

import itertools

import numpy as np

from lead_sim.scenarios.actors import CAR_MODEL, Obstacles
from lead_sim.scenarios.flows import Flow
from lead_sim.scenarios.geometry import Path


def obstacles_at(*xy) -> Obstacles:
    n = len(xy)
    return Obstacles(ids=np.arange(n, dtype=np.int64), xy=np.array(xy, dtype=np.float64).reshape(-1, 2),
                     extent=np.tile([2.4, 1.0], (n, 1)), yaw=np.zeros(n), speed=np.zeros(n))


def run(flow: Flow, seconds: float, obstacles: Obstacles) -> None:
    for _ in range(int(seconds / 0.05)):
        flow.step(0.05, obstacles)


def test_flow_waits_while_its_source_is_covered_and_resumes_once_clear():
    path = Path(np.array([[0.0, 0.0, 0.0], [200.0, 0.0, 0.0]]))
    flow = Flow(path, speed=10.0, gap_interval=(15.0, 15.0), rng=np.random.default_rng(0), ids=itertools.count(100),
                model=CAR_MODEL, prefill=False)
    blocked = obstacles_at((3.0, 30.0), (2.0, 0.5))  # the second stands on the source
    run(flow, 1.0, blocked)
    assert not flow.movers, "no actor may appear on a covered source"
    clear = obstacles_at((3.0, 30.0))
    run(flow, 3.0, clear)
    positions = sorted(m.s for m in flow.movers)
    assert len(positions) >= 2 and np.allclose(np.diff(positions), 15.0, atol=0.6)


def test_prefilled_flow_leaves_out_actors_on_top_of_other_bodies():
    path = Path(np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]]))
    flow = Flow(path, speed=4.0, gap_interval=(10.0, 10.0), rng=np.random.default_rng(0), ids=itertools.count(100),
                model=CAR_MODEL)
    before = len(flow.movers)
    standing = (52.0, 0.2)  # a background car already on the path
    run(flow, 0.05, obstacles_at(standing))
    mine = np.array([m.actor.position[:2] for m in flow.movers])
    assert before - 2 <= len(flow.movers) < before
    assert np.min(np.linalg.norm(mine - standing, axis=1)) > Flow.SOURCE_CLEAR_M
