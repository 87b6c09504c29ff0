"""Expert data collection speed at LEAD's rate (20 Hz simulation, every 5th tick saved, both rigs),
and decode speed of what it wrote: shards against the same content as LEAD-style lzma pickles.

Collects ``--routes`` generated routes of ``grid_small`` with the ``pdm_expert`` through the
``collect`` stage's per-route function in this single process (one core; OpenCV and BLAS limited
to one thread), after a warm-up route that loads the town and imports. CPU time is the process's
(``time.process_time``). Target: 14,400 saved frames (one driving hour) in <= 15 CPU-minutes.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/collect_speed.py --routes 3
"""

from __future__ import annotations

import argparse
import lzma
import pickle
import sys
import tempfile
import time
from pathlib import Path

import cv2

from lead_framework.collection import CollectTask, collect_route, data_route_id
from lead_framework.config import ComponentSpec
from lead_framework.data import ShardDataset
from lead_framework.plugins import get_registry
from lead_framework.route_tasks import route_seed
from lead_framework.world import TICK_RATE_HZ, EvaluationProtocol

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shard_decode import read_lzma_pickles, samples_per_second  # noqa: E402

SAVED_FRAMES_PER_HOUR = 3600 * 4


def tasks(data_dir: Path, count: int, length_m: tuple[float, float], vehicles: int, seed: int) -> list[CollectTask]:
    registry = get_registry()
    world_component = registry.get("worlds", "leadsim")
    world_config = world_component.config_class(town="grid_small", vehicles=vehicles)
    world = ComponentSpec("worlds", "leadsim", world_config)
    routes = world_component.create(world_config).generate_routes(count=count, length_m=length_m, seed=seed)
    agent = ComponentSpec("agents", "pdm_expert", registry.get("agents", "pdm_expert").config_class())
    return [CollectTask(i, data_route_id(i), route, world, agent, EvaluationProtocol(), route_seed(seed, i), data_dir,
                        "lead_rig", True, 5, True, 1000) for i, route in enumerate(routes)]


def write_lzma_pickles(dataset: ShardDataset, root: Path, preset: int, count: int) -> None:
    """The first ``count`` decoded samples as one lzma-compressed pickle each (LEAD's cache layout)."""
    root.mkdir(parents=True)
    for number, sample in zip(range(count), dataset):
        raw = {name.partition(".")[0]: value for name, value in sample.items() if not name.startswith("__")}
        (root / f"{number:06d}.pkl.xz").write_bytes(lzma.compress(pickle.dumps(raw, protocol=5), preset=preset))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=3)
    parser.add_argument("--length", type=float, nargs=2, default=(150.0, 250.0))
    parser.add_argument("--vehicles", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum measuring time per decode format")
    parser.add_argument("--lzma-preset", type=int, default=6)
    parser.add_argument("--pickle-frames", type=int, default=48, help="samples written as lzma pickles (compressing is slow)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        warm_up = tasks(workdir / "warm_up", 1, (40.0, 60.0), args.vehicles, args.seed + 1)
        collect_route(warm_up[0])
        data_dir = workdir / "data"
        frames, ticks, cpu = 0, 0, 0.0
        for task in tasks(data_dir, args.routes, tuple(args.length), args.vehicles, args.seed):
            start = time.process_time()
            result = collect_route(task)
            cpu += time.process_time() - start
            frames += result["samples"]
            ticks += result["samples"] * task.save_every
            print(f"  {task.data_id}: {result['samples']} frames, DS {result['DS']:.1f}, {result['failure'] or 'ok'}")
        rate = frames / cpu
        print(f"collect: {rate:.1f} saved frames per CPU-second ({SAVED_FRAMES_PER_HOUR / rate / 60:.1f} CPU-minutes per driving hour)"
              f" [{frames} frames, {ticks / TICK_RATE_HZ:.0f} s driven, {cpu:.1f} CPU-s]")
        shards = ShardDataset(data_dir, include_failed=True)
        next(iter(shards))
        shard_rate = samples_per_second(lambda: shards, args.seconds)
        pickle_root = workdir / "lzma_pickle"
        write_lzma_pickles(shards, pickle_root, args.lzma_preset, args.pickle_frames)
        pickle_rate = samples_per_second(lambda: read_lzma_pickles(pickle_root), args.seconds)
        print(f"loader: {shard_rate:.1f} decoded samples/s per core (lzma-pickle of the same content: {pickle_rate:.1f} samples/s per core)")


if __name__ == "__main__":
    main()
