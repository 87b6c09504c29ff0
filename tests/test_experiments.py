"""Every experiment shipped in experiments/ validates against the installed plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from lead_framework.config import load_experiment

EXPERIMENTS = sorted((Path(__file__).resolve().parents[1] / "experiments").glob("*.yaml"))


def test_experiments_folder_is_not_empty():
    assert any(path.name == "quickstart.yaml" for path in EXPERIMENTS)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda path: path.name)
def test_experiment_validates(path):
    experiment = load_experiment(path)
    assert experiment.stages and experiment.world is not None
