"""The train stage: configuration errors, non-finite step skipping, and learning on real shards."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lead_tfv6 import create_model
from lead_tfv6.data import (
    SampleOptions,
    TFv6BatchStream,
    make_loader,
    write_synthetic_dataset,
)
from lead_tfv6.data.synthetic import FAST_OVERRIDES
from lead_tfv6.training import TrainConfig, TrainConfigError
from lead_tfv6.training.loop import train
from lead_tfv6.training.trainer import Trainer
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from lead_framework.config import ExperimentError, parse_experiment
from lead_framework.data import DatasetWriter

NO_DROPOUT = {"fusion_dropout": 0.0, "radar_dropout": 0.0, "planner_dropout": 0.0}


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: the CPU is shared (two threads on two busy cores run several times slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return write_synthetic_dataset(tmp_path_factory.mktemp("train") / "data", routes=4, frames_per_route=8, image_size=(32, 96))


def fast_config(data: Path, **fields) -> TrainConfig:
    return TrainConfig(**{"data": str(data), "overrides": FAST_OVERRIDES, "batch_size": 4, "device": "cpu", "image_every": 0, **fields})


# -- configuration errors ---------------------------------------------------------------------------
def _experiment_error(train_section: dict) -> str:
    with pytest.raises(ExperimentError) as info:
        parse_experiment({"name": "x", "stages": [{"train": train_section}]}, "x.yaml")
    return str(info.value)


def test_yaml_errors_name_the_field():
    assert "$.stages[0].train.preset: unknown TFv6 preset 'tinny'; did you mean 'tiny'" in _experiment_error({"preset": "tinny"})
    assert "did you mean 'image_height'" in _experiment_error({"overrides": {"image_hieght": 64}})
    assert "$.stages[0].train.precision: must be one of" in _experiment_error({"precision": "fp8"})
    assert "$.stages[0].train.lr: must be > 0" in _experiment_error({"lr": 0})
    assert "set by the train stage's own `phase:`" in _experiment_error({"overrides": {"phase": "posttrain"}})


def test_unknown_backbone_is_reported_with_suggestions(dataset, tmp_path):
    config = fast_config(dataset, overrides={**FAST_OVERRIDES, "image_backbone": "resnet3"})
    with pytest.raises(TrainConfigError, match=r"train.overrides.image_backbone: unknown backbone 'resnet3'.*did you mean.*'resnet34'"):
        train(config, tmp_path, seed=0)


def test_image_size_not_divisible_by_stride(dataset, tmp_path):
    config = fast_config(dataset, overrides={**FAST_OVERRIDES, "image_height": 40})
    with pytest.raises(TrainConfigError, match=r"image size 40x96 is not divisible by the backbone stride 32"):
        train(config, tmp_path, seed=0)
    assert not (tmp_path / "checkpoint.pt").exists()


def test_missing_and_empty_data_sets(dataset, tmp_path):
    with pytest.raises(TrainConfigError, match=r"nowhere' does not exist; run a collect stage first"):
        train(fast_config(tmp_path / "nowhere"), tmp_path, seed=0)
    with DatasetWriter(tmp_path / "empty") as writer:
        writer.route("route_0000").commit(error="the expert crashed")
    empty = tmp_path / "empty"
    with pytest.raises(TrainConfigError, match=r"holds 0 usable samples"):
        train(fast_config(empty), tmp_path, seed=0)


def test_posttrain_needs_existing_init(dataset, tmp_path):
    with pytest.raises(TrainConfigError, match=r"posttrain starts from pre-trained weights; set init: previous"):
        train(fast_config(dataset, phase="posttrain"), tmp_path, seed=0)
    with pytest.raises(TrainConfigError, match=r"model_final.pt' does not exist; finish the pre-training stage first"):
        train(fast_config(dataset, phase="posttrain", init=str(tmp_path)), tmp_path, seed=0)


# -- non-finite steps -----------------------------------------------------------------------------
def test_non_finite_step_is_skipped_counted_and_not_applied(dataset):
    torch.manual_seed(0)
    model = create_model("tiny", phase="pretrain", **FAST_OVERRIDES)
    trainer = Trainer(model, lr=1e-3, weight_decay=0.01, steps_per_epoch=4, precision="fp32", grad_clip=1.0,
                      device=torch.device("cpu"))
    _, batch = next(iter(make_loader(TFv6BatchStream(dataset, model.config, batch_size=2, options=SampleOptions(augment=False)))))
    before = {name: value.clone() for name, value in model.state_dict().items()}
    poisoned = {**batch, "rgb": batch["rgb"].clone()}
    poisoned["rgb"][0, 0, 0, 0] = float("nan")
    result = trainer.train_step(poisoned)
    assert not result.applied and trainer.skipped_steps == 1
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items() if "running" not in name and "num_batches" not in name)
    assert not trainer.optimizer.state  # the optimizer never moved
    assert trainer.train_step(batch).applied and trainer.skipped_steps == 1
    assert any(not torch.equal(before[name], value) for name, value in model.state_dict().items())


# -- learning -------------------------------------------------------------------------------------
def test_tiny_preset_overfits_32_samples(dataset, tmp_path):
    config = fast_config(dataset, overrides={**FAST_OVERRIDES, **NO_DROPOUT}, batch_size=8, epochs=6, lr=3e-3,
                         log_every=4, augment=False, perturbation_probability=0.0, image_every=12)
    summary = train(config, tmp_path, seed=0)
    assert summary["steps"] == 24 and summary["skipped_steps"] == 0
    # The total mixes set losses (radar matching, box velocity) that need far more steps than a
    # test affords; the dense BEV head shows the memorisation clearly.
    assert summary["first_loss"] / summary["final_loss"] > 1.4, summary
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    bev = [event.value for event in events.Scalars("loss/bev_semantics")]
    assert bev[0] / bev[-1] > 3.0, bev
    assert {"input/camera", "bev/predicted_vs_true"} <= set(events.Tags()["images"])
    assert {"train/lr", "train/grad_norm", "train/skipped_steps", "train/samples_per_s"} <= set(events.Tags()["scalars"])
