"""Backbones: timm feature extractors run stage by stage, local weights, clear errors, registry."""

import pytest
import timm
import torch
from lead_tfv6 import plugin
from lead_tfv6.backbones import BackboneError, BackboneNotFoundError, create_backbone
from lead_tfv6.config import BackboneConfig, TimmBackboneConfig

from lead_framework.plugins import PluginSet

torch.set_num_threads(1)


def test_channels_and_strides_come_from_feature_info():
    backbone = create_backbone("regnetx_002", in_chans=1, out_indices=(-4, -3, -2, -1))
    reference = timm.create_model("regnetx_002", features_only=True, in_chans=1)
    assert backbone.channels == reference.feature_info.channels()[-4:]
    assert backbone.strides == [4, 8, 16, 32]
    assert backbone.num_stages == 4
    assert backbone.body.stem.conv.weight.shape[1] == 1


def test_stagewise_run_matches_timm_features():
    torch.manual_seed(0)
    backbone = create_backbone("regnetx_002").eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        ours = backbone(x)
        theirs = backbone.body(x)
    assert [f.shape for f in ours] == [f.shape for f in theirs]
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)
    assert [f.shape[1] for f in ours] == backbone.channels
    assert [64 // f.shape[2] for f in ours] == backbone.strides


def test_weights_path_loads_a_local_state_dict(tmp_path):
    torch.manual_seed(1)
    source = timm.create_model("regnetx_002", pretrained=False)
    path = tmp_path / "regnetx_002.pth"
    torch.save(source.state_dict(), path)
    backbone = create_backbone("regnetx_002", weights_path=path)
    torch.testing.assert_close(backbone.body.s4.b1.conv1.conv.weight, source.s4.b1.conv1.conv.weight)
    lidar = create_backbone("regnetx_002", in_chans=1, weights_path=path)
    torch.testing.assert_close(lidar.body.stem.conv.weight, source.stem.conv.weight.sum(dim=1, keepdim=True))


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(BackboneError, match="not a file"):
        create_backbone("regnetx_002", weights_path=tmp_path / "absent.pth")


def test_unknown_backbone_lists_suggestions():
    with pytest.raises(BackboneNotFoundError) as error:
        create_backbone("resnet35")
    assert "resnet34" in error.value.suggestions
    assert "did you mean" in str(error.value) and "resnet34" in str(error.value)


def test_backbone_that_cannot_run_stagewise_is_rejected():
    with pytest.raises(BackboneError, match="stage by stage"):
        create_backbone("efficientnet_b0")


def test_registry_has_generic_and_named_backbones():
    plugins = PluginSet()
    info = plugins.add_plugin(plugin, name="tfv6", distribution="lead-tfv6")
    assert info.status == "ok", info.error
    names = plugins.registry.names("backbones")
    assert {"timm", "resnet34", "regnety_032", "resnet18", "regnetx_002"} <= set(names)
    named = plugins.registry.create("backbones", "regnetx_002", BackboneConfig(in_chans=1, out_indices=(-4, -3, -2, -1)))
    generic = plugins.registry.create("backbones", "timm", TimmBackboneConfig(model="regnetx_002", in_chans=1, out_indices=(-4, -3, -2, -1)))
    assert named.channels == generic.channels == [24, 56, 152, 368]
    assert "tfv6_planning_decoder" in plugins.registry.names("planners")
