"""Exact resume: a training killed mid-epoch and run again ends with the weights of an uninterrupted one.

Both runs go through the real ``train`` stage of YAML experiments (``run_experiment`` in this
process, ``leadfw run`` in a child process that ends abruptly after a given step).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from lead_tfv6.data import write_synthetic_dataset
from lead_tfv6.data.synthetic import FAST_OVERRIDES
from lead_tfv6.training.checkpoint import load_model
from lead_tfv6.training.loop import FAULT_EXIT_CODE, FAULT_EXIT_ENV

from lead_framework.config import load_experiment
from lead_framework.runner import run_experiment

#: 8 samples, batch 2: 4 steps per epoch, 8 in all; checkpoints after steps 3, 4 (epoch end), 6, 8.
PRETRAIN = {"overrides": FAST_OVERRIDES, "batch_size": 2, "epochs": 2, "checkpoint_every_steps": 3, "log_every": 3,
            "image_every": 5, "device": "cpu", "seed": 11}
KILL_AFTER_STEP = 7  # in epoch 2: the resumed run restarts from step 6 and redoes step 7


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: the CPU is shared (two threads on two busy cores run several times slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write_experiment(folder: Path, stages: list[dict]) -> Path:
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump({"name": folder.name, "seed": 0, "output": str(folder / "run"), "stages": stages}))
    return path


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


def test_killed_training_resumes_to_identical_weights(tmp_path):
    data = write_synthetic_dataset(tmp_path / "data", routes=2, frames_per_route=4, image_size=(32, 96))
    pretrain = {"data": str(data), **PRETRAIN}

    # Uninterrupted, with loader workers, followed by a post-training stage that starts from it.
    posttrain = {"phase": "posttrain", "init": "previous", "data": str(data), "overrides": FAST_OVERRIDES, "batch_size": 2,
                 "samples_per_epoch": 4, "device": "cpu", "image_every": 1}
    reference_folder = tmp_path / "reference"
    reference_folder.mkdir()
    stages = [{"train": {**pretrain, "workers": 2}}, {"train": posttrain}]
    reference = load_experiment(write_experiment(reference_folder, stages))
    outputs = run_experiment(reference, echo=lambda line: None)
    pre, post = outputs[0].summary, outputs[1].summary
    assert pre["steps"] == 8 and post["steps"] == 2 and post["init"] == str(reference.output / "train")
    planner = load_model(post["checkpoint"])
    assert planner.planner is not None and planner.config.phase == "posttrain"
    shared = weights(Path(pre["checkpoint"]))
    # the encoder started from the pre-trained weights (AdamW moved it only two steps)
    first = "encoder.image_backbone.body.stem.conv.weight"
    assert torch.allclose(planner.state_dict()[first], shared[first], atol=0.05)

    # Killed after step 7 in a child process, then run again.
    killed_folder = tmp_path / "killed"
    killed_folder.mkdir()
    experiment_path = write_experiment(killed_folder, [{"train": {**pretrain, "workers": 0}}])
    env = {**os.environ, FAULT_EXIT_ENV: str(KILL_AFTER_STEP), "OMP_NUM_THREADS": "1"}  # as in this process
    child = subprocess.run([sys.executable, "-m", "lead_framework.cli", "run", str(experiment_path)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == FAULT_EXIT_CODE, child.stdout + child.stderr
    stage_dir = killed_folder / "run" / "train"
    assert not (stage_dir / "model_final.pt").exists()
    state = torch.load(stage_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert state["position"] == {"epoch": 1, "batch": 2, "step": 6, "samples": 12}

    resumed = run_experiment(load_experiment(experiment_path), echo=lambda line: None)[0].summary
    assert resumed["steps"] == 8
    final, expected = weights(Path(resumed["checkpoint"])), shared
    assert final.keys() == expected.keys()
    assert all(torch.equal(final[name], expected[name]) for name in expected)
    assert (stage_dir / "tensorboard").is_dir() and (stage_dir / "model_epoch_0001.pt").exists()
