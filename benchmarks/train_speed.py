"""TFv6 training throughput: optimisation steps and the shard data loader, in samples per second.

Writes a synthetic data set in the real shard format at each preset's camera resolution, then
measures (1) the data loader alone (decode + conversion to model tensors, with augmentation and
perturbated views as in training) and (2) training steps on batches already in memory
(forward, losses, backward, clipping, AdamW), after one warm-up step.

    .venv/bin/python benchmarks/train_speed.py                     # tiny and resnet34 on the CPU
    .venv/bin/python benchmarks/train_speed.py --device cuda --steps 20
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from lead_tfv6 import preset_config
from lead_tfv6.data import SampleOptions, TFv6BatchStream, make_loader, write_synthetic_dataset
from lead_tfv6.training.distributed import DistContext, select_device
from lead_tfv6.training.setup import build_model
from lead_tfv6.training.trainer import Trainer

DEFAULT_BATCH = {"tiny": 8, "resnet34": 2, "regnety_032": 2}


def loader_speed(stream: TFv6BatchStream, workers: int) -> float:
    started, samples = time.perf_counter(), 0
    for _, batch in make_loader(stream, workers=workers):
        samples += batch["rgb"].shape[0]
    return samples / (time.perf_counter() - started)


def train_speed(preset: str, batches: list[dict[str, torch.Tensor]], device: torch.device, precision: str, steps: int,
                phase: str) -> float:
    config = preset_config(preset, phase=phase)
    trainer = Trainer(build_model(config, seed=0), lr=3e-4, weight_decay=0.01, steps_per_epoch=steps, precision=precision,
                      grad_clip=1.0, device=device, dist=DistContext())
    trainer.train_step(batches[0])  # warm-up: allocator, autotuning, lazy init
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for step in range(steps):
        trainer.train_step(batches[step % len(batches)])
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batches[0]["rgb"].shape[0] / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["tiny", "resnet34"])
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    parser.add_argument("--steps", type=int, default=None, help="timed training steps (default: 6 tiny, 3 otherwise)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 8 for tiny, 2 otherwise")
    parser.add_argument("--workers", type=int, default=0, help="data-loader worker processes")
    parser.add_argument("--precision", choices=["fp32", "bf16", "fp16"], default="fp32")
    parser.add_argument("--phase", choices=["pretrain", "posttrain"], default="posttrain")
    args = parser.parse_args()
    device = select_device(args.device, DistContext())
    for preset in args.presets:
        config = preset_config(preset, phase=args.phase)
        batch_size = args.batch_size or DEFAULT_BATCH.get(preset, 2)
        steps = args.steps or (6 if preset == "tiny" else 3)
        with tempfile.TemporaryDirectory() as folder:
            samples = batch_size * max(steps, 4)
            data = write_synthetic_dataset(Path(folder) / "data", routes=2, frames_per_route=(samples + 1) // 2,
                                           image_size=(config.image_height, config.image_width))
            stream = TFv6BatchStream(data, config, batch_size=batch_size, seed=0, options=SampleOptions())
            loader = loader_speed(stream, args.workers)
            batches = [batch for _, batch in make_loader(stream)]
        train = train_speed(preset, batches, device, args.precision, steps, args.phase)
        print(f"{preset}: train {train:.2f} samples/s, loader {loader:.1f} samples/s "
              f"(device {device.type}, batch {batch_size}, {args.precision}, {args.phase}, {args.workers} loader workers, "
              f"{torch.get_num_threads()} threads)", flush=True)


if __name__ == "__main__":
    main()
