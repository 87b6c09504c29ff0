"""TFv6Config and presets: overrides, validation and loss-weight normalisation."""

import lead_tfv6
import pytest
from lead_tfv6 import (
    TFv6Config,
    TFv6ConfigError,
    UnknownOverrideError,
    UnknownPresetError,
    preset_config,
)


def test_presets_resolve_to_configs():
    paper = preset_config("resnet34")
    assert (paper.image_height, paper.image_width) == (384, 1152)
    assert (paper.lidar_height, paper.lidar_width) == (320, 384)
    assert paper.image_anchors == (12, 36) and paper.lidar_anchors == (10, 12)
    assert paper.bev_grid == (80, 96)
    assert paper.transfuser_token_dim == 256
    assert preset_config("regnety_032").image_backbone == "regnety_032"
    tiny = preset_config("tiny")
    assert tiny.image_anchors == (4, 12) and tiny.lidar_anchors == (5, 6)


def test_unknown_override_raises_with_suggestion():
    with pytest.raises(UnknownOverrideError) as error:
        preset_config("tiny", transfuser_token_dims=128)
    assert "transfuser_token_dim" in str(error.value)
    with pytest.raises(UnknownOverrideError):
        lead_tfv6.create_model("tiny", image_hight=128)


def test_unknown_preset_raises_with_suggestion():
    with pytest.raises(UnknownPresetError, match="'tiny'"):
        preset_config("tinny")


def test_image_size_not_divisible_by_backbone_stride():
    with pytest.raises(TFv6ConfigError, match=r"100x384 is not divisible by the backbone stride 32.*128x384"):
        lead_tfv6.create_model("tiny", image_height=100)


def test_lidar_raster_not_divisible_by_backbone_stride():
    with pytest.raises(TFv6ConfigError, match="LiDAR raster size"):
        lead_tfv6.create_model("tiny", pixels_per_meter=1.0)


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"phase": "finetune"}, "phase"),
        ({"fusion_dropout": 1.5}, "fusion_dropout"),
        ({"pixels_per_meter": 0.3}, "whole"),
        ({"loss_weights": {"semantic": 1.0}}, "unknown part"),
        ({"target_speed_classes": (0.0, 5.0, 4.0)}, "increase strictly"),
        ({"route_label": "route_driven"}, "route_label must be one of route, route_original"),
        ({"expert_path_scenarios": "Accident"}, "expert_path_scenarios must be a list of scenario type names"),
    ],
)
def test_invalid_values_are_rejected(overrides, match):
    with pytest.raises(TFv6ConfigError, match=match):
        TFv6Config(**overrides)


def test_loss_weights_normalised_and_phase_dependent():
    post = TFv6Config(phase="posttrain").active_loss_weights
    pre = TFv6Config(phase="pretrain").active_loss_weights
    assert sum(post.values()) == pytest.approx(1.0) and sum(pre.values()) == pytest.approx(1.0)
    assert {"waypoints", "route", "target_speed"} <= set(post)
    assert not {"waypoints", "route", "target_speed"} & set(pre)
    assert post["depth"] / post["semantics"] == pytest.approx(1e-5)
    custom = TFv6Config(loss_weights={"radar": 0.0}).active_loss_weights
    assert custom["radar"] == 0.0 and sum(custom.values()) == pytest.approx(1.0)
