"""DDP: the train stage under ``torchrun`` with two CPU processes (gloo)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import torch
import yaml
from lead_tfv6.data import write_synthetic_dataset
from lead_tfv6.data.synthetic import FAST_OVERRIDES


def test_two_process_ddp_epoch_writes_one_checkpoint(tmp_path):
    data = write_synthetic_dataset(tmp_path / "data", routes=2, frames_per_route=5, image_size=(32, 96))
    train = {"data": str(data), "overrides": FAST_OVERRIDES, "batch_size": 2, "epochs": 1, "log_every": 1,
             "image_every": 1, "device": "cpu"}
    experiment = tmp_path / "ddp.yaml"
    experiment.write_text(yaml.safe_dump({"name": "ddp", "output": str(tmp_path / "run"), "stages": [{"train": train}]}))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "lead_framework.cli", "run", str(experiment)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # A session of its own, so that a hang ends with every rank killed, not only torchrun.
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    assert process.returncode == 0, output[-4000:]

    stage_dir = tmp_path / "run" / "train"
    state = torch.load(stage_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    # 10 samples over 2 ranks: 5 each, 2 whole batches of 2 per rank.
    assert state["world_size"] == 2 and state["position"] == {"epoch": 1, "batch": 0, "step": 2, "samples": 8}
    assert sorted(path.name for path in stage_dir.glob("*.pt")) == ["checkpoint.pt", "model_epoch_0000.pt", "model_final.pt"]
    assert len(list((stage_dir / "tensorboard").iterdir())) == 1  # rank 0 alone writes
    summary = json.loads((stage_dir / "stage.json").read_text())["summary"]
    assert summary["world_size"] == 2 and summary["skipped_steps"] == 0
