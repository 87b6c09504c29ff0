"""Whether a trained TFv6 brakes where the expert does: P(target-speed class 0) per hazard.

The tfv6 agent brakes when its (ensemble's) probability of target-speed class 0 exceeds
``brake_threshold`` (default 0.9, as LEAD); frames where the expert brakes are labelled class 0.
From a collect stage's samples in which the ego moves (at least the agent's ``MOVING_SPEED_MS``,
0.5 m/s), the script draws ``--samples`` where the expert brakes and as many where it does not
(by the ``brake`` bucket attribute) and prints, per expert action and binding hazard
(``stop_sign``, ``red_light``, ``vehicle``, ... or ``-``): the number of samples, the mean
P(class 0) and the share above each ``--thresholds`` value, i.e. where an agent with that
``brake_threshold`` (or ``moving_brake_threshold``) would brake too.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/brake_response.py \\
        outputs/lead_cpu/posttrain outputs/lead_cpu/posttrain_seed2 --data outputs/lead_cpu/collect \\
        --thresholds 0.9 0.7 0.5

Several checkpoints are combined as the agent's ensemble. Samples come from the training data
unless ``--data`` names another collect stage, so the figures are optimistic; a low share on the
expert's own braking frames means the policy will not brake there either.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from lead_framework.data import ShardDataset
from lead_tfv6.agent.checkpoints import load_models, resolve_checkpoint_files
from lead_tfv6.agent.control import MOVING_SPEED_MS
from lead_tfv6.agent.inference import PlanPredictor
from lead_tfv6.data.sample import SampleOptions, convert_sample
from lead_tfv6.ensemble import combine_plans

def stop_probabilities(predictor: PlanPredictor, data: Path, expert_brakes: bool, count: int) -> dict[str, list[float]]:
    """P(class 0) of ``count`` moving samples where the expert brakes (or not), by hazard."""
    bucket = {"where": {"brake": expert_brakes, "speed": {"min": MOVING_SPEED_MS}}, "weight": 1}
    samples = ShardDataset(data, buckets=[bucket], samples_per_epoch=count, seed=0)
    options = SampleOptions(perturbation_probability=0.0, augment=False)
    rng = np.random.default_rng(0)
    by_hazard: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        converted = convert_sample(sample, predictor.config, options, rng)
        batch = {key: torch.from_numpy(np.asarray(value))[None] for key, value in converted.items()}
        merged = combine_plans(predictor.outputs(batch), predictor.config.target_speed_classes)
        by_hazard[sample["meta.json"]["hazard"] or "-"].append(float(merged["target_speed_probabilities"][0, 0]))
    return by_hazard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoints", nargs="+", help="post-training stage folders or model files (an ensemble)")
    parser.add_argument("--data", type=Path, required=True, help="a collect stage folder")
    parser.add_argument("--samples", type=int, default=300, help="samples per expert action (default 300)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.9], help="brake_threshold values to compare (default 0.9)")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    files = [path for checkpoint in args.checkpoints for path in resolve_checkpoint_files(checkpoint)]
    predictor = PlanPredictor(load_models(files), brake_threshold=max(args.thresholds), with_bev=False)
    print(f"{len(files)} model(s); moving samples of {args.data}; share of samples the agent brakes on, per brake_threshold")
    print(f"{'expert':6s} {'hazard':17s} {'n':>5s} {'mean P0':>8s} " + " ".join(f"{'P0 > ' + str(t):>9s}" for t in args.thresholds))
    for expert_brakes in (True, False):
        groups = stop_probabilities(predictor, args.data, expert_brakes, args.samples)
        for hazard, values in sorted(groups.items(), key=lambda item: -len(item[1])):
            values_array = np.asarray(values)
            shares = " ".join(f"{(values_array > t).mean():9.0%}" for t in args.thresholds)
            print(f"{'brake' if expert_brakes else 'go':6s} {hazard:17s} {len(values):5d} {values_array.mean():8.2f} {shares}")


if __name__ == "__main__":
    main()
