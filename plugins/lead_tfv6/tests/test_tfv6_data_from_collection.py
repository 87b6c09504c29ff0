"""Data recorded by the collect stage on the embedded world converts into TFv6 batches.

The synthetic shards of the other data tests follow docs/data-format.md as the training code
reads it; this test closes the loop with what the recorder really writes.
"""

from __future__ import annotations

import numpy as np
import pytest

from lead_framework.config import load_experiment
from lead_framework.data import ShardDataset
from lead_framework.runner import run_experiment
from lead_tfv6.batch import batch_spec
from lead_tfv6.data.sample import SampleOptions, convert_sample
from lead_tfv6.presets import preset_config

pytest.importorskip("lead_sim", reason="the embedded world is the lead-sim plugin")


def test_recorded_samples_convert_for_both_phases(tmp_path):
    experiment = tmp_path / "collect.yaml"
    experiment.write_text(
        f"name: tiny_collect\noutput: {tmp_path / 'run'}\nworld: {{name: leadsim, town: grid_small, vehicles: 3, walkers: 2}}\n"
        "stages:\n  - collect: {agent: {name: route_follower, speed: 8}, routes: {generate: {count: 1, length_m: [60, 90]}}}\n",
        encoding="utf-8",
    )
    run_experiment(load_experiment(experiment), echo=lambda *_: None)
    samples = list(ShardDataset(tmp_path / "run" / "collect"))
    assert len(samples) >= 5
    rng = np.random.default_rng(0)
    for phase in ("pretrain", "posttrain"):
        config = preset_config("tiny", phase=phase)
        spec = batch_spec(config)
        for sample in samples:
            converted = convert_sample(sample, config, SampleOptions(perturbation_probability=0.5, augment=True), rng)
            for key, (shape, _) in spec.items():
                assert tuple(converted[key].shape) == tuple(shape[1:]), (phase, key)
            assert all(np.all(np.isfinite(value)) for value in converted.values() if value.dtype.kind == "f")
