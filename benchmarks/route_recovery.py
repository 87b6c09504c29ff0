"""How well a trained TFv6 reads its sideways position: route error on normal and recovery views.

Closed-loop lane keeping needs a route prediction that moves with the car: when the ego drifts
0.5 m to the left, the predicted route must start 0.5 m to its right. The recovery views that the
collect stage records (a second rig shifted sideways and turned, labels moved with it) test exactly
that. For every ``--every``-th sample of a collect stage's shards in which the ego moves, the script
predicts the route from the normal and from the recovery view and prints, per view:

- the mean absolute lateral error (metres) at each of the route's points;
- ``response``: the slope of predicted against true lateral position of the third route point
  (4.5 m ahead): 1 means the model sees the whole offset, 0 that it ignores it.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/route_recovery.py outputs/lead_cpu/posttrain outputs/lead_cpu/collect

With ``--bypass`` it draws only samples where the expert's path leaves the world's route (bucket
attribute ``route_shifted``: around obstacles, at lane changes) and reports the normal views twice:
the errors against the path the expert drove (``route``) and against the world's route
(``route_original``), whatever route label the model was trained on. A model that learnt the
bypass is closer to the first. ``--scenarios Accident ParkedObstacle ...`` keeps only the samples
near scenarios of those types (the obstacles, without the lane changes).

Samples come from the training data unless you point it at another collect stage, so the errors
are optimistic; the response is the telling figure.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import torch

from lead_framework.data import ShardDataset
from lead_tfv6.agent.checkpoints import load_models, resolve_checkpoint_files
from lead_tfv6.agent.inference import PlanPredictor
from lead_tfv6.data.sample import SampleOptions, convert_sample

#: Samples slower than this (m/s) are skipped: standing still, the route ahead is not steered along.
MIN_SPEED_MS = 1.0
#: The route point whose lateral position the response is measured on.
RESPONSE_INDEX = 2


def lateral_pairs(predictor: PlanPredictor, samples: list[dict], recovery: bool, seed: int,
                  label_field: str | None = None) -> np.ndarray:
    """(N, R, 2): predicted and true lateral route positions for each moving sample; the true route
    is the model's own route label, or the ``meta.json`` field ``label_field`` for every sample."""
    rng = np.random.default_rng(seed)
    options = SampleOptions(perturbation_probability=1.0 if recovery else 0.0, augment=False)
    config = predictor.config
    if label_field is not None:
        config = config.replace(route_label=label_field, expert_path_scenarios=())
    pairs = []
    for sample in samples:
        converted = convert_sample(sample, config, options, rng)
        if float(converted["speed"].reshape(-1)[0]) < MIN_SPEED_MS:
            continue
        batch = {key: torch.from_numpy(np.asarray(value))[None] for key, value in converted.items()}
        predicted = predictor.outputs(batch)[0]["route"][0].numpy()
        pairs.append(np.stack([predicted[:, 1], converted["route"][:, 1]], axis=-1))
    return np.array(pairs)


def report(name: str, pairs: np.ndarray) -> None:
    if len(pairs) == 0:
        print(f"{name}: no moving samples")
        return
    error = np.abs(pairs[..., 0] - pairs[..., 1]).mean(axis=0)
    predicted, true = pairs[:, RESPONSE_INDEX, 0], pairs[:, RESPONSE_INDEX, 1]
    response = float(np.polyfit(true, predicted, 1)[0]) if np.ptp(true) > 1e-6 else float("nan")
    print(f"{name:9s} n={len(pairs):4d}  response={response:5.2f}  lateral error per route point (m): "
          + " ".join(f"{value:.2f}" for value in error))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", help="a post-training stage folder or model file")
    parser.add_argument("shards", type=Path, help="a collect stage folder")
    parser.add_argument("--every", type=int, default=20, help="use every N-th sample (default 20)")
    parser.add_argument("--samples", type=int, default=200, help="at most this many samples (default 200)")
    parser.add_argument("--bypass", action="store_true",
                        help="draw --samples samples where the expert's path leaves the world's route (route_shifted)")
    parser.add_argument("--scenarios", nargs="+", metavar="TYPE",
                        help="with --bypass: only samples near a scenario of these types (bucket attribute scenario)")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    predictor = PlanPredictor(load_models(resolve_checkpoint_files(args.checkpoint)), brake_threshold=0.9, with_bev=False)
    if args.bypass:
        where = {"route_shifted": True, "speed": {"min": MIN_SPEED_MS}}
        if args.scenarios:
            where["scenario"] = args.scenarios
        bypass = [{"where": where, "weight": 1}]
        samples = list(ShardDataset(args.shards, buckets=bypass, samples_per_epoch=args.samples))
    else:
        samples = list(itertools.islice(ShardDataset(args.shards), 0, args.every * args.samples, args.every))
    if not samples:
        raise SystemExit(f"{args.shards}: no samples found; give a collect stage's folder")
    print(f"{args.checkpoint}: {len(samples)} samples of {args.shards}")
    if args.bypass:
        report("to path", lateral_pairs(predictor, samples, recovery=False, seed=0, label_field="route"))
        report("to lane", lateral_pairs(predictor, samples, recovery=False, seed=0, label_field="route_original"))
        return
    report("normal", lateral_pairs(predictor, samples, recovery=False, seed=0))
    report("recovery", lateral_pairs(predictor, samples, recovery=True, seed=0))


if __name__ == "__main__":
    main()
