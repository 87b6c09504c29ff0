"""The tiny model learns: training on 32 fixed synthetic samples drives the loss parts down."""

import lead_tfv6
import torch
from lead_tfv6.batch import make_synthetic_batch

SAMPLES, BATCH, STEPS = 32, 8, 64
TAIL = 8  # judge the best of the last two passes: single-batch values differ between batches


def test_tiny_model_overfits_32_samples():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    # The tiny preset at a toy input size (32x96 image, 64x64 LiDAR raster at 1 px/m) and without
    # dropout, so that the test stays within its CPU budget.
    model = lead_tfv6.create_model(
        "tiny", image_height=32, image_width=96, perspective_output_stride=1, pixels_per_meter=1.0,
        min_x=-32.0, max_x=32.0, min_y=-32.0, max_y=32.0, fusion_dropout=0.0, radar_dropout=0.0, planner_dropout=0.0,
    )
    batches = [make_synthetic_batch(model.config, batch_size=BATCH, seed=seed) for seed in range(SAMPLES // BATCH)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, foreach=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=STEPS, pct_start=0.15)
    history = []
    for step in range(STEPS):
        batch = batches[step % len(batches)]
        total, parts = model.compute_loss(model(batch), batch)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        schedule.step()
        history.append({"total": total.item(), **{name: value.item() for name, value in parts.items()}})
    first = {name: max(step[name] for step in history[: len(batches)]) for name in history[0]}
    last = {name: max(step[name] for step in history[-TAIL:]) for name in history[0]}
    # The dense and regression targets are memorised; CenterNet's heatmap and yaw classes and the
    # target-speed classes of random boxes and labels move slowly at this budget, which caps the
    # factor of the weighted total.
    for name, factor in (("total", 2.2), ("route", 4), ("bev_semantics", 4), ("depth", 3), ("semantics", 3), ("waypoints", 2.2)):
        assert last[name] < first[name] / factor, (name, first[name], last[name])
    for name in first:
        assert last[name] < first[name], (name, first[name], last[name])
