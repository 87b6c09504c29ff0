"""The tiny model learns: training on one fixed synthetic batch drives its losses down."""

import torch

import lead_tfv6
from lead_tfv6.batch import make_synthetic_batch

STEPS = 40


def test_tiny_model_overfits_a_fixed_batch():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    # The tiny preset at an even smaller input (64x192 image, 96x96 LiDAR raster at 1 px/m) and
    # without dropout, so that 40 steps fit in the test budget.
    model = lead_tfv6.create_model(
        "tiny", image_height=64, image_width=192, perspective_output_stride=1, pixels_per_meter=1.0,
        min_y=-48.0, max_y=48.0, fusion_dropout=0.0, radar_dropout=0.0, planner_dropout=0.0,
    )
    batch = make_synthetic_batch(model.config, batch_size=8, seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    history = []
    for _ in range(STEPS):
        total, parts = model.compute_loss(model(batch), batch)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        history.append((total.item(), {name: value.item() for name, value in parts.items()}))
    (first_total, first), (last_total, last) = history[0], history[-1]
    assert last_total < first_total / 2.5, (first_total, last_total)
    for name in ("semantics", "bev_semantics", "depth", "route"):
        assert last[name] < first[name] / 4, (name, first[name], last[name])
    for name in ("center_heatmap", "center_wh", "radar", "waypoints", "target_speed"):
        assert last[name] < first[name], (name, first[name], last[name])
