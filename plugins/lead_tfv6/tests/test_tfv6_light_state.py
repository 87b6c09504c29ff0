"""``light_state_head``: the label read off the stored BEV map, the head, its loss (and that of
``stop_sign_head``, which reads the same embedding) and the planner's use."""

from __future__ import annotations

import lead_tfv6
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from lead_tfv6.agent.inference import PlanPredictor
from lead_tfv6.batch import batch_spec, make_synthetic_batch
from lead_tfv6.data.labels import LIGHT_AHEAD_M, light_state_label
from lead_tfv6.heads import LIGHT_STATES, STOP_SIGN_ZONES, LightStateHead

TOY = dict(image_height=32, image_width=96, perspective_output_stride=1, pixels_per_meter=1.0, min_x=-32.0, max_x=32.0,
           min_y=-32.0, max_y=32.0, fusion_dropout=0.0, radar_dropout=0.0, planner_dropout=0.0)
RED, YELLOW, GREEN = 10, 11, 12  # BEV classes of stop lines (docs/data-format.md)
PPM = 4.0


def bev_with_lines(lines: list[tuple[float, float, int]], ego_offset_m: float = 0.0, size: int = 256) -> np.ndarray:
    """A stored-format BEV map (forward up, ego at the centre column, ``ego_offset_m`` below the
    centre row) with road everywhere and a 0.5 m stop line across a 3.5 m lane at each
    (x ahead, lane centre y, class)."""
    bev = np.ones((size, size), np.uint8)
    for x, y, clazz in lines:
        row = int(size / 2 + ego_offset_m * PPM - x * PPM)
        col = int(size / 2 + y * PPM)
        bev[row - 1 : row + 1, col - 7 : col + 7] = clazz
    return bev


def state(bev: np.ndarray, ego_offset_m: float = 0.0) -> str:
    return LIGHT_STATES[int(light_state_label(bev, {"pixels_per_meter": PPM, "ego_offset_m": ego_offset_m}))]


@pytest.mark.parametrize("clazz, expected", [(RED, "stop"), (YELLOW, "stop"), (GREEN, "go")])
def test_a_stop_line_ahead_in_the_ego_lane_gives_its_light_state(clazz, expected):
    assert state(bev_with_lines([(12.0, 0.0, clazz)])) == expected
    assert state(bev_with_lines([(12.0, 0.0, clazz)], ego_offset_m=10.0), ego_offset_m=10.0) == expected


@pytest.mark.parametrize("x, y", [(-3.0, 0.0), (LIGHT_AHEAD_M + 5.0, 0.0), (12.0, 3.5), (12.0, -3.5)])
def test_lines_behind_too_far_or_in_other_lanes_do_not_bind_the_ego(x, y):
    assert state(bev_with_lines([(x, y, RED)])) == "none"


def test_the_nearest_line_ahead_decides():
    assert state(bev_with_lines([(8.0, 0.0, GREEN), (25.0, 0.0, RED)])) == "go"
    assert state(bev_with_lines([(8.0, 0.0, RED), (25.0, 0.0, GREEN), (12.0, 3.5, GREEN)])) == "stop"


@pytest.mark.parametrize(
    ("base", "head", "key", "classes"),
    [({}, "light_state_head", "light_state", LIGHT_STATES),
     ({"light_state_head": True}, "stop_sign_head", "stop_sign", STOP_SIGN_ZONES)],
)
def test_the_label_and_the_loss_exist_only_with_the_head(base, head, key, classes):
    off = lead_tfv6.preset_config("tiny", **TOY, **base)
    on = off.replace(**{head: True})
    assert key not in batch_spec(off) and batch_spec(on)[key] == ((None,), "int")
    assert key not in off.active_loss_weights and on.active_loss_weights[key] > 0
    model = lead_tfv6.create_model(on).eval()
    batch = make_synthetic_batch(model.config, batch_size=2, seed=0)
    with torch.no_grad():
        outputs = model(batch)
        _, parts = model.compute_loss(outputs, batch)
    assert outputs[f"{key}_logits"].shape == (2, len(classes))
    assert parts[key] == pytest.approx(F.cross_entropy(outputs[f"{key}_logits"], batch[key]).item())


def test_the_planner_reads_the_light_state_in_its_memory_and_status_queries():
    plain = lead_tfv6.create_model("tiny", planner_status_queries=True, **TOY)
    with_light = lead_tfv6.create_model("tiny", planner_status_queries=True, light_state_head=True, **TOY)
    assert with_light.planner.num_status_tokens == plain.planner.num_status_tokens + 1
    assert with_light.planner.status_queries[0].in_features == plain.planner.status_queries[0].in_features + len(LIGHT_STATES)
    batch = make_synthetic_batch(plain.config, batch_size=1, seed=0)
    encoded = plain.encoder(batch["rgb"], batch["lidar"])
    radar = plain.radar_detector(encoded[0], batch["radar"], batch["speed"])
    with pytest.raises(ValueError, match="light_state_head=False but the light state was given"):
        plain.planner(encoded[0], *radar, batch, (torch.zeros(1, plain.config.transfuser_token_dim), torch.zeros(1, 3)))


def test_the_head_finds_a_light_in_one_feature_cell_anywhere():
    """Feature maps of noise where one cell, at a random place, carries a "red" or a "green"
    pattern: the pooled head learns which, also for places it was not trained on (a lit housing
    covers one cell of the last stage's features). Mean pooling alone dilutes the cell 48 times
    and stays below the bar; the max keeps it."""
    torch.manual_seed(0)
    config = lead_tfv6.preset_config("tiny", light_state_head=True)
    channels = 32
    head = LightStateHead(channels, config)
    patterns = torch.zeros(2, channels)  # stop, go: raised in disjoint channels
    patterns[0, :8], patterns[1, 8:16] = 4.0, 4.0
    generator = torch.Generator().manual_seed(1)

    def features(count: int) -> tuple[torch.Tensor, torch.Tensor]:
        maps = torch.randn(count, channels, 4, 12, generator=generator)
        states = torch.randint(0, 2, (count,), generator=generator)
        rows, cols = torch.randint(0, 4, (count,), generator=generator), torch.randint(0, 12, (count,), generator=generator)
        maps[torch.arange(count), :, rows, cols] += patterns[states]
        return maps, states + LIGHT_STATES.index("stop")

    optimizer = torch.optim.AdamW(head.parameters(), lr=3e-3)
    for _ in range(150):
        maps, labels = features(32)
        loss = F.cross_entropy(head(maps)[1], labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    maps, labels = features(200)
    with torch.no_grad():
        accuracy = (head(maps)[1].argmax(dim=1) == labels).float().mean().item()
    assert accuracy > 0.95, accuracy


@pytest.mark.parametrize(
    ("base", "head", "key", "field"),
    [({}, "light_state_head", "light_state_logits", "light_state_probabilities"),
     ({"light_state_head": True}, "stop_sign_head", "stop_sign_logits", "stop_sign_probabilities")],
)
def test_driving_averages_a_head_over_the_models_that_have_it(base, head, key, field):
    torch.manual_seed(0)
    with_head = lead_tfv6.create_model("tiny", **{head: True}, **base, **TOY).eval()
    plain = lead_tfv6.create_model("tiny", **base, **TOY).eval()
    batch = make_synthetic_batch(plain.config, batch_size=1, seed=0)
    inputs = {key: batch[key] for key in ("rgb", "lidar", "radar", "speed", "command", "target_points")}
    with torch.no_grad():
        expected = with_head(inputs)[key][0].softmax(dim=-1).numpy()
    for optimize in (False, True):  # eager and traced, in an ensemble with a model without the head
        plan = PlanPredictor([with_head, plain], 0.9, with_bev=False, optimize=optimize)(inputs)
        np.testing.assert_allclose(getattr(plan, field), expected, atol=1e-5)
    assert getattr(PlanPredictor([plain], 0.9, with_bev=False)(inputs), field) is None
