"""TFv6 forward and forward+backward time on the CPU for the presets at batch sizes 1-4.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_tfv6_model.py --presets tiny resnet34 --batch-sizes 1 2 4

Prints one line per (preset, phase, batch size): parameter count, median inference forward time
(eval, no grad) and median training step time (train mode: forward, loss, backward), each as wall
time and as process CPU time. With one thread the CPU time is what the step costs on an idle core,
even when other processes share the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import lead_tfv6
from lead_tfv6.batch import make_synthetic_batch


def _median_seconds(step, repeats: int) -> tuple[float, float]:
    """Median wall and process-CPU seconds of ``step`` after one warm-up call."""
    step()
    wall, cpu = [], []
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["tiny", "resnet34"])
    parser.add_argument("--phase", default="posttrain", choices=["pretrain", "posttrain"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {args.threads} thread(s), phase {args.phase}")
    for preset in args.presets:
        model = lead_tfv6.create_model(preset, phase=args.phase)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        for batch_size in args.batch_sizes:
            batch = make_synthetic_batch(model.config, batch_size, seed=0)

            def infer() -> None:
                model.eval()
                with torch.no_grad():
                    model(batch)

            def train_step() -> None:
                model.train()
                model.zero_grad(set_to_none=True)
                total, _ = model.compute_loss(model(batch), batch)
                total.backward()

            forward = _median_seconds(infer, args.repeats)
            step = _median_seconds(train_step, args.repeats)
            print(f"{preset:12s} params {params:7.2f} M  batch {batch_size}: "
                  f"forward {forward[0] * 1000:7.0f} ms wall {forward[1] * 1000:7.0f} ms CPU  "
                  f"forward+backward {step[0] * 1000:7.0f} ms wall {step[1] * 1000:7.0f} ms CPU")


if __name__ == "__main__":
    main()
