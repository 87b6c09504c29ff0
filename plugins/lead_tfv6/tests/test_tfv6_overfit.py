"""The tiny model learns: training on one fixed synthetic batch drives every loss part down."""

import lead_tfv6
import torch
from lead_tfv6.batch import make_synthetic_batch

STEPS = 30
TAIL = 5  # judge the best of the last few steps: single-step values of set losses are noisy


def test_tiny_model_overfits_a_fixed_batch():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    # The tiny preset at a toy input size (32x96 image, 64x64 LiDAR raster at 1 px/m) and without
    # dropout, so that the test stays within its CPU budget.
    model = lead_tfv6.create_model(
        "tiny", image_height=32, image_width=96, perspective_output_stride=1, pixels_per_meter=1.0,
        min_x=-32.0, max_x=32.0, min_y=-32.0, max_y=32.0, fusion_dropout=0.0, radar_dropout=0.0, planner_dropout=0.0,
    )
    batch = make_synthetic_batch(model.config, batch_size=8, seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, foreach=True)
    totals, parts_history = [], []
    for _ in range(STEPS):
        total, parts = model.compute_loss(model(batch), batch)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
        parts_history.append({name: value.item() for name, value in parts.items()})
    first = parts_history[0]
    best = {name: min(step[name] for step in parts_history[-TAIL:]) for name in first}
    assert min(totals[-TAIL:]) < totals[0] / 2.5, totals
    for name, factor in (("bev_semantics", 4), ("route", 4), ("waypoints", 2.5), ("semantics", 2.5), ("depth", 2.5)):
        assert best[name] < first[name] / factor, (name, first[name], best[name])
    for name in first:
        assert best[name] < first[name], (name, first[name], best[name])
