"""``planner_status_queries``: the planning queries see speed, command and target points directly;
``planner_target_line_status`` adds the ego's offset from the target-point line."""

import math

import lead_tfv6
import numpy as np
import pytest
import torch
from lead_tfv6.batch import make_synthetic_batch
from lead_tfv6.config import TFv6ConfigError
from lead_tfv6.data.geometry import to_perturbated_frame
from lead_tfv6.planning import target_line_status

TOY = dict(image_height=32, image_width=96, perspective_output_stride=1, pixels_per_meter=1.0, min_x=-32.0, max_x=32.0,
           min_y=-32.0, max_y=32.0, fusion_dropout=0.0, radar_dropout=0.0, planner_dropout=0.0)
SENSOR_KEYS = ("rgb", "lidar", "radar", "speed", "command")


def turning_batch(config, size: int = 8) -> dict[str, torch.Tensor]:
    """Samples with the same sensors, speed and command whose route bends towards the current target point."""
    batch = make_synthetic_batch(config, batch_size=size, seed=0)
    for key in SENSOR_KEYS:
        batch[key] = batch[key][:1].expand_as(batch[key]).clone()
    side = torch.tensor([1.0, -1.0]).repeat(size // 2)
    batch["target_points"] = torch.tensor([[-10.0, 0.0], [30.0, 0.0], [60.0, 0.0]]).repeat(size, 1, 1)
    batch["target_points"][:, 1, 1] = 20.0 * side
    steps = torch.arange(1, config.num_route_points + 1, dtype=torch.float32)
    batch["route"] = torch.stack([(steps + 1.5).expand(size, -1), side[:, None] * 0.05 * steps**2], dim=-1)
    return batch


@pytest.mark.parametrize("status_queries", [True, False])
def test_only_status_queries_let_a_short_training_follow_the_target_point(status_queries):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = lead_tfv6.create_model("tiny", planner_status_queries=status_queries, **TOY)
    batch = turning_batch(model.config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(30):
        total, _ = model.compute_loss(model(batch), batch)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        end = model(batch)["route"][:, -1, 1]
    apart = (end[0::2].mean() - end[1::2].mean()).item()  # last route point: left-turn minus right-turn samples
    if status_queries:
        assert apart > 4.0, apart  # labels are 5 m and -5 m
    else:  # LEAD's decoder: the target point reaches the queries only through attention, not yet learned
        assert abs(apart) < 1.0, apart


@pytest.mark.parametrize("lateral_m, yaw_deg", [(0.6, 0.0), (-0.8, 10.0), (0.3, -12.5), (9.0, 0.0)])
def test_target_line_status_reads_a_shift_off_the_lane_centre(lateral_m, yaw_deg):
    """Target points on a straight lane, seen from a rig shifted sideways and turned (as the
    recovery views are made): the feature gives the shift (clipped at 4 m) and the lane's heading."""
    on_lane = np.array([[-20.0, 0.0], [30.0, 0.0], [80.0, 0.0]])
    seen = to_perturbated_frame(on_lane, {"lateral_m": lateral_m, "yaw_rad": math.radians(yaw_deg)})
    offset, heading = target_line_status(torch.from_numpy(seen)[None])[0].tolist()
    assert offset == pytest.approx(max(min(lateral_m, 4.0), -4.0), abs=1e-4)
    assert heading == pytest.approx(-math.radians(yaw_deg), abs=1e-5)


def test_target_line_status_is_zero_without_a_line():
    same_point = torch.tensor([[[5.0, 1.0], [5.0, 1.0], [40.0, 1.0]]])
    assert target_line_status(same_point).tolist() == [[0.0, 0.0]]


def test_target_line_status_needs_the_status_queries():
    with pytest.raises(TFv6ConfigError, match="planner_status_queries: true"):
        lead_tfv6.create_model("tiny", planner_target_line_status=True, **TOY)
    model = lead_tfv6.create_model("tiny", planner_status_queries=True, planner_target_line_status=True, **TOY).eval()
    assert model.planner.status_queries[0].in_features == 1 + model.config.num_commands + 6 + 2
    with torch.no_grad():
        route = model(make_synthetic_batch(model.config, batch_size=2, seed=0))["route"]
    assert route.shape == (2, model.config.num_route_points, 2)
