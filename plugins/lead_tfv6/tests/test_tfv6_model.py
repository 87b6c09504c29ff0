"""The TFv6 model: parameter counts of the paper presets, output shapes, losses, batch checks."""

import lead_tfv6
import pytest
import torch
from lead_tfv6.batch import BatchError, make_synthetic_batch

torch.set_num_threads(1)


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("preset, token_dim, millions", [("resnet34", 64, 60.97), ("resnet34", 256, 68.88)])
def test_parameter_count_matches_the_paper(preset, token_dim, millions):
    model = lead_tfv6.create_model(preset, transfuser_token_dim=token_dim)
    assert _count(model) / 1e6 == pytest.approx(millions, rel=0.01)


def test_pretrain_has_no_planner():
    pre = lead_tfv6.create_model("tiny", phase="pretrain")
    post = lead_tfv6.create_model("tiny", phase="posttrain")
    assert pre.planner is None and post.planner is not None
    assert _count(post) > _count(pre)
    missing, unexpected = post.load_state_dict(pre.state_dict(), strict=False)
    assert not unexpected and missing and all(key.startswith("planner.") for key in missing)


@pytest.fixture(scope="module", params=["pretrain", "posttrain"])
def tiny_run(request):
    torch.manual_seed(0)
    model = lead_tfv6.create_model("tiny", phase=request.param)
    batch = make_synthetic_batch(model.config, batch_size=2, seed=0)
    outputs = model(batch)
    total, parts = model.compute_loss(outputs, batch)
    return model, batch, outputs, total, parts


def test_tiny_output_shapes(tiny_run):
    model, _, outputs, _, _ = tiny_run
    config = model.config
    h, w = config.bev_grid
    expected = {
        "semantics_logits": (2, 10, *config.perspective_size),
        "depth": (2, *config.perspective_size),
        "bev_semantics_logits": (2, 13, config.lidar_height, config.lidar_width),
        "center_heatmap_logits": (2, 8, h, w),
        "center_wh": (2, 2, h, w),
        "center_offset": (2, 2, h, w),
        "center_yaw_class_logits": (2, 12, h, w),
        "center_yaw_res": (2, 1, h, w),
        "center_velocity": (2, 1, h, w),
        "radar_features": (2, 20, config.radar_token_dim),
        "radar_predictions": (2, 20, 4),
    }
    if config.phase == "posttrain":
        expected.update({"route": (2, 10, 2), "waypoints": (2, 8, 2), "target_speed_logits": (2, 8), "target_speed": (2,)})
    assert {key: tuple(value.shape) for key, value in outputs.items()} == expected
    radar = outputs["radar_predictions"]
    assert (radar[..., 0] >= config.min_x).all() and (radar[..., 0] <= config.max_x).all()
    assert (radar[..., 2] >= 0).all() and (radar[..., 2] <= config.max_speed).all()


def test_tiny_losses_finite_with_all_parts(tiny_run):
    model, _, _, total, parts = tiny_run
    assert set(parts) == set(model.config.active_loss_weights)
    assert all(torch.isfinite(value) and value >= 0 for value in parts.values())
    weights = model.config.active_loss_weights
    torch.testing.assert_close(total, sum(weights[name] * parts[name] for name in weights))
    total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_same_seed_same_outputs():
    results = []
    for _ in range(2):
        torch.manual_seed(3)
        model = lead_tfv6.create_model("tiny").eval()
        with torch.no_grad():
            results.append(model(make_synthetic_batch(model.config, 1, seed=5))["waypoints"])
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)


def test_malformed_batch_is_named():
    model = lead_tfv6.create_model("tiny", phase="pretrain")
    batch = make_synthetic_batch(model.config, 1, seed=0)
    with pytest.raises(BatchError, match="missing 'lidar'"):
        model({k: v for k, v in batch.items() if k != "lidar"})
    with pytest.raises(BatchError, match=r"batch\['rgb'\] has shape \(1, 3, 64, 384\)"):
        model({**batch, "rgb": batch["rgb"][:, :, :64]})
    with pytest.raises(BatchError, match=r"batch\['semantics'\] has dtype torch.float32"):
        model.compute_loss(model(batch), {**batch, "semantics": batch["semantics"].float()})
