"""The training run of the train stage: setup, resume, the epoch loop, logging and checkpoints.

Exact resume: the data order, per-sample augmentation, model initialisation, dropout and the
optimizer are all functions of the seed and the saved state, so a run killed after a checkpoint
and started again ends with the same weights as one that was never interrupted (on the CPU, with
deterministic algorithms and the same thread count).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from lead_framework.config import unstructure
from lead_framework.progress import Progress
from lead_tfv6.config import TFv6Config
from lead_tfv6.data import SampleOptions, TFv6BatchStream, make_loader
from lead_tfv6.training import distributed
from lead_tfv6.training.checkpoint import (
    FINAL_MODEL_FILE,
    STATE_FORMAT,
    TRAIN_STATE_FILE,
    capture_rng,
    config_to_dict,
    epoch_model_file,
    load_train_state,
    model_payload,
    restore_rng,
    save_atomic,
)
from lead_tfv6.training.config import TrainConfig
from lead_tfv6.training.errors import ResumeError
from lead_tfv6.training.setup import (
    build_model,
    check_data,
    load_init_weights,
    model_config,
    resolve_init,
)
from lead_tfv6.training.tensorboard import TrainLog
from lead_tfv6.training.trainer import StepResult, Trainer

#: Fault injection for resume tests: the process ends abruptly (``os._exit``) after this global step.
FAULT_EXIT_ENV = "LEAD_TFV6_FAULT_EXIT_AFTER_STEP"
FAULT_EXIT_CODE = 86
#: Settings that may change between a killed run and its resumption without changing the result.
RESUMABLE_CHANGES = ("workers", "prefetch", "log_every", "image_every", "checkpoint_every_steps", "device")

ProgressFactory = Callable[[int, str], Progress]


class _Window:
    """Running sums between two log points."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.started, self.steps, self.applied = time.perf_counter(), 0, 0
        self.sums: dict[str, float] = {}

    def add(self, result: StepResult) -> None:
        self.steps += 1
        if result.applied:
            self.applied += 1
            for name, value in {"total": result.loss, **result.parts}.items():
                self.sums[name] = self.sums.get(name, 0.0) + value
            self.sums["grad_norm"] = self.sums.get("grad_norm", 0.0) + result.grad_norm

    def means(self) -> dict[str, float]:
        return {name: value / self.applied for name, value in self.sums.items()} if self.applied else {}


def _check_resumable(state: dict[str, Any], config: TrainConfig, world_size: int, path: Path) -> None:
    saved = {k: v for k, v in state["train_config"].items() if k not in RESUMABLE_CHANGES}
    current = {k: v for k, v in unstructure(config).items() if k not in RESUMABLE_CHANGES}
    changed = sorted(k for k in current if saved.get(k) != current[k])
    if changed or state["world_size"] != world_size:
        what = ", ".join(changed) + (f" world size {state['world_size']} -> {world_size}" if state["world_size"] != world_size else "")
        raise ResumeError(f"{path} was written with other settings ({what}); restore them or move the stage folder away to start over")


def train(config: TrainConfig, stage_dir: Path, *, seed: int, log: logging.Logger | None = None,
          progress: ProgressFactory | None = None) -> dict[str, Any]:
    """Run (or resume) one training; returns the stage summary."""
    log = log or logging.getLogger("lead_tfv6.train")
    stage_dir = Path(stage_dir)
    context = distributed.from_environment()
    device = distributed.select_device(config.device, context)
    tf_config = model_config(config)
    data_root = check_data(config.data, config.batch_size, context.world_size)
    init_path = resolve_init(config.init, config.phase)
    state_path = stage_dir / TRAIN_STATE_FILE
    state = load_train_state(state_path)
    if state is not None:
        _check_resumable(state, config, context.world_size, state_path)
    deterministic_before = torch.are_deterministic_algorithms_enabled()
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
    model = build_model(tf_config, seed)
    init_info = load_init_weights(model, init_path) if init_path is not None and state is None else None
    context = distributed.start(context, device)
    try:
        return _Run(config, tf_config, stage_dir, data_root, seed, context, device, model, log, progress).fit(state, init_info)
    finally:
        distributed.stop(context)
        torch.use_deterministic_algorithms(deterministic_before)


class _Run:
    def __init__(self, config: TrainConfig, tf_config: TFv6Config, stage_dir: Path, data_root: Path, seed: int,
                 context: distributed.DistContext, device: torch.device, model: torch.nn.Module,
                 log: logging.Logger, progress: ProgressFactory | None):
        self.config, self.tf_config, self.stage_dir, self.seed = config, tf_config, stage_dir, seed
        self.context, self.device, self.log, self.progress_factory = context, device, log, progress
        options = SampleOptions(perturbation_probability=config.perturbation_probability, augment=config.augment)
        self.stream = TFv6BatchStream(
            data_root, tf_config, batch_size=config.batch_size, seed=seed, options=options, buckets=config.buckets,
            shuffle_buffer=config.shuffle_buffer, samples_per_epoch=config.samples_per_epoch,
            rank=context.rank, world_size=context.world_size,
        )
        self.steps_per_epoch = self.stream.batches_per_epoch
        self.trainer = Trainer(model, lr=config.lr, weight_decay=config.weight_decay, steps_per_epoch=self.steps_per_epoch,
                               precision=config.precision, grad_clip=config.grad_clip, device=device, dist=context)
        self.epoch, self.batch, self.step = 0, 0, 0
        self.first_loss: float | None = None
        self.last_loss: float | None = None
        self.samples_per_s = 0.0

    @property
    def samples_per_step(self) -> int:
        return self.config.batch_size * self.context.world_size

    # -- checkpoints ----------------------------------------------------------------------------
    def _save_state(self) -> None:
        if self.context.is_main:
            save_atomic({
                "format": STATE_FORMAT,
                "trainer": self.trainer.state_dict(),
                "rng": capture_rng(),
                "position": {"epoch": self.epoch, "batch": self.batch, "step": self.step,
                             "samples": self.step * self.samples_per_step},
                "first_loss": self.first_loss,
                "last_loss": self.last_loss,
                "config": config_to_dict(self.tf_config),
                "train_config": unstructure(self.config),
                "world_size": self.context.world_size,
            }, self.stage_dir / TRAIN_STATE_FILE)
        distributed.barrier(self.context)

    def _save_model(self, name: str) -> Path:
        path = self.stage_dir / name
        if self.context.is_main:
            save_atomic(model_payload(self.trainer.model, self.tf_config), path)
        distributed.barrier(self.context)
        return path

    def _restore(self, state: dict[str, Any]) -> None:
        self.trainer.load_state_dict(state["trainer"])
        restore_rng(state["rng"])
        position = state["position"]
        self.epoch, self.batch, self.step = position["epoch"], position["batch"], position["step"]
        self.first_loss, self.last_loss = state["first_loss"], state["last_loss"]
        self.log.info("resuming from %s: epoch %d, batch %d, step %d", self.stage_dir / TRAIN_STATE_FILE,
                      self.epoch, self.batch, self.step)

    # -- the loop -------------------------------------------------------------------------------
    def fit(self, state: dict[str, Any] | None, init_info: dict[str, int] | None) -> dict[str, Any]:
        if state is not None:
            self._restore(state)
        elif init_info is not None:
            self.log.info("initial weights from %s: %s", self.config.init, init_info)
        total = self.steps_per_epoch * self.config.epochs
        tensorboard = TrainLog(self.stage_dir, self.step) if self.context.is_main else None
        progress = self.progress_factory(total, "step") if self.progress_factory and self.context.is_main else None
        fault_step = int(os.environ[FAULT_EXIT_ENV]) if FAULT_EXIT_ENV in os.environ else None
        try:
            if progress is not None and self.step:
                progress.update(self.step, message="resumed")
            while self.epoch < self.config.epochs:
                self._run_epoch(tensorboard, progress, fault_step)
                self.epoch, self.batch = self.epoch + 1, 0
                self._save_state()
                self._save_model(epoch_model_file(self.epoch - 1))
            final = self._save_model(FINAL_MODEL_FILE)
        finally:
            if tensorboard is not None:
                tensorboard.close()
            if progress is not None:
                progress.close()
        return {
            "first_loss": self.first_loss,
            "final_loss": self.last_loss,
            "steps": self.step,
            "epochs": self.config.epochs,
            "samples": self.step * self.samples_per_step,
            "skipped_steps": self.trainer.skipped_steps,
            "checkpoint": str(final),
            "train_state": str(self.stage_dir / TRAIN_STATE_FILE),
            "samples_per_s": round(self.samples_per_s, 3),
            "device": str(self.device),
            "world_size": self.context.world_size,
            "init": self.config.init,
        }

    def _run_epoch(self, tensorboard: TrainLog | None, progress: Progress | None, fault_step: int | None) -> None:
        self.stream.set_position(self.epoch, self.batch)
        if self.config.workers > 0:  # once here, not in every worker of every epoch
            self.stream.shards.read_headers(self.epoch)
        window, since_progress = _Window(), 0
        for number, batch in make_loader(self.stream, workers=self.config.workers, prefetch=self.config.prefetch,
                                         pin_memory=self.device.type == "cuda"):
            result = self.trainer.train_step(batch)
            self.step, self.batch = self.step + 1, number + 1
            window.add(result)
            since_progress += 1
            if not result.applied:
                self.log.warning("step %d skipped: non-finite loss or gradients (%d skipped so far)",
                                 self.step, self.trainer.skipped_steps)
            if self.step % self.config.log_every == 0 or self.batch == self.steps_per_epoch:
                self._log_window(window, tensorboard, progress, since_progress)
                window.reset()
                since_progress = 0
            if tensorboard is not None and self.config.image_every and self.step % self.config.image_every == 0:
                tensorboard.images(self.step, batch, result.outputs, self.tf_config)
            if (self.config.checkpoint_every_steps and self.step % self.config.checkpoint_every_steps == 0
                    and self.batch < self.steps_per_epoch):
                self._save_state()
            if fault_step is not None and self.step == fault_step:
                os._exit(FAULT_EXIT_CODE)

    def _log_window(self, window: _Window, tensorboard: TrainLog | None, progress: Progress | None, steps: int) -> None:
        elapsed = max(time.perf_counter() - window.started, 1e-9)
        self.samples_per_s = window.steps * self.samples_per_step / elapsed
        means = distributed.mean_over_ranks(window.means(), self.context, self.device)
        if "total" in means:
            self.last_loss = means["total"]
            self.first_loss = self.last_loss if self.first_loss is None else self.first_loss
        if tensorboard is not None:
            scalars = {f"loss/{name}": value for name, value in means.items() if name != "grad_norm"}
            if "grad_norm" in means:
                scalars["train/grad_norm"] = means["grad_norm"]
            scalars.update({"train/lr": self.trainer.lr, "train/skipped_steps": float(self.trainer.skipped_steps),
                            "train/samples_per_s": self.samples_per_s})
            tensorboard.scalars(self.step, scalars)
        if progress is not None:
            progress.update(steps, loss=self.last_loss if self.last_loss is not None else float("nan"),
                            samples_per_s=round(self.samples_per_s, 2), skipped=self.trainer.skipped_steps)
