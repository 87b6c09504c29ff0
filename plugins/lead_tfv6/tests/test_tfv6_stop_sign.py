"""``stop_sign_head`` and the agent's ``full_stop_at_stop_signs``: the zone label read off the stored
BEV map, the configuration check and the full-stop rule (label and loss keys and driving's
probabilities are tested with the light-state head's in ``test_tfv6_light_state``)."""

from __future__ import annotations

import lead_tfv6
import numpy as np
import pytest
from lead_tfv6.agent import AgentConfigError, TFv6Agent, TFv6AgentConfig
from lead_tfv6.agent.control import (
    STOP_SIGN_APPROACH_MS,
    STOP_SIGN_RELEASE_TICKS,
    TFv6Controller,
)
from lead_tfv6.agent.inference import Plan
from lead_tfv6.agent.testing import save_untrained_checkpoint
from lead_tfv6.config import TFv6ConfigError
from lead_tfv6.data.labels import STOP_SIGN_AHEAD_M, STOP_SIGN_AT_M, stop_sign_label
from lead_tfv6.heads import STOP_SIGN_ZONES

STOP_AREA = 3  # BEV class of a stop sign's trigger area (docs/data-format.md)
PPM = 4.0


def zone(start_x: float, y: float = 0.0, length: float = 4.0, ego_offset_m: float = 0.0, size: int = 256) -> str:
    """The label of a stored-format BEV map (forward up, ego at the centre column) with road
    everywhere and a stop area across a 3.5 m lane from ``start_x`` to ``start_x + length`` ahead."""
    bev = np.ones((size, size), np.uint8)
    far_row = int(size / 2 + ego_offset_m * PPM - (start_x + length) * PPM)
    near_row = int(size / 2 + ego_offset_m * PPM - start_x * PPM)
    col = int(size / 2 + y * PPM)
    bev[max(far_row, 0) : max(near_row, 0), col - 7 : col + 7] = STOP_AREA
    return STOP_SIGN_ZONES[int(stop_sign_label(bev, {"pixels_per_meter": PPM, "ego_offset_m": ego_offset_m}))]


@pytest.mark.parametrize(
    ("start_x", "expected"),
    [(STOP_SIGN_AHEAD_M + 2.0, "none"),  # too far to matter yet
     (12.0, "ahead"),
     (STOP_SIGN_AT_M + 1.0, "ahead"),
     (STOP_SIGN_AT_M - 0.5, "at"),
     (-2.0, "at"),  # the ego's centre stands in the area
     (-6.0, "none")],  # the area lies behind the ego's centre: done
)
def test_the_zone_follows_the_distance_to_the_stop_area(start_x, expected):
    assert zone(start_x) == expected
    assert zone(start_x, ego_offset_m=10.0) == expected


@pytest.mark.parametrize("y", [3.5, -3.5])
def test_stop_areas_of_neighbouring_lanes_do_not_bind_the_ego(y):
    assert zone(2.0, y=y) == "none"


def test_the_head_needs_the_light_state_embedding():
    with pytest.raises(TFv6ConfigError, match="stop_sign_head reads the light-state head's embedding"):
        lead_tfv6.preset_config("tiny", stop_sign_head=True)


def _plan(zone_name: str | None, target_speed: float = 8.0) -> Plan:
    route = np.array([[2.5 + i, 0.0] for i in range(10)])
    speeds = np.full(8, 1 / 8)
    zones = None if zone_name is None else np.eye(len(STOP_SIGN_ZONES))[STOP_SIGN_ZONES.index(zone_name)] * 0.8 + 0.2 / 3
    return Plan(route=route, waypoints=route[:8], target_speed=target_speed, brake=False, speed_probabilities=speeds,
                stop_sign_probabilities=zones)


def test_full_stop_slows_on_the_approach_brakes_at_the_area_and_then_lets_the_ego_through():
    config = lead_tfv6.preset_config("tiny")
    controller = TFv6Controller(config, full_stop_at_stop_signs=True)
    assert controller.step(_plan("none"), speed=8.0)[1].target_speed == 8.0
    approach = controller.step(_plan("ahead"), speed=8.0)[1]
    assert approach.stop_sign and approach.target_speed == STOP_SIGN_APPROACH_MS
    for speed in (3.0, 1.0, 0.2):  # at the area: brake until the ego stands, whatever the plan says
        braking, debug = controller.step(_plan("at"), speed=speed)
        assert debug.stop_sign and debug.target_speed == 0.0 and braking.brake > 0.0
    assert controller.step(_plan("at"), speed=0.0)[1].target_speed == 8.0  # it stood: the plan drives on
    for _ in range(STOP_SIGN_RELEASE_TICKS):  # still in the area while pulling away
        assert not controller.step(_plan("at"), speed=2.0)[1].stop_sign
    assert controller.step(_plan("at"), speed=2.0)[1].target_speed == 0.0  # a later sign counts again
    off = TFv6Controller(config)
    assert off.step(_plan("at"), speed=3.0)[1].target_speed == 8.0
    assert TFv6Controller(config, full_stop_at_stop_signs=True).step(_plan(None), speed=3.0)[1].target_speed == 8.0


def test_the_rule_needs_a_model_with_the_head(tmp_path):
    plain = save_untrained_checkpoint(tmp_path / "plain").parent
    with pytest.raises(AgentConfigError, match="full_stop_at_stop_signs: true needs a model trained with stop_sign_head"):
        TFv6Agent(TFv6AgentConfig(checkpoint=str(plain), full_stop_at_stop_signs=True, optimize=False))
    with_head = save_untrained_checkpoint(tmp_path / "head", light_state_head=True, stop_sign_head=True).parent
    agent = TFv6Agent(TFv6AgentConfig(checkpoint=[str(plain), str(with_head)], full_stop_at_stop_signs=True, optimize=False))
    assert [model.config.stop_sign_head for model in agent.models] == [False, True]  # a mixed ensemble drives
