"""Ensembling: averaged plans and the brake rule P(speed class 0) > 0.9."""

import lead_tfv6
import pytest
import torch
from lead_tfv6.batch import make_synthetic_batch
from lead_tfv6.ensemble import Ensemble, combine_plans

CLASSES = (0.0, 4.0, 8.0, 10.0, 13.88888888, 16.0, 17.77777777, 20.0)


def _plan(class0_logit: float, waypoint: float) -> dict[str, torch.Tensor]:
    logits = torch.zeros(1, 8)
    logits[0, 0] = class0_logit
    return {"target_speed_logits": logits, "waypoints": torch.full((1, 8, 2), waypoint), "route": torch.full((1, 10, 2), waypoint)}


def test_brake_only_when_class0_probability_exceeds_threshold():
    # softmax with one logit at L and seven at 0: p0 = e^L / (e^L + 7); p0 = 0.9 at L = ln 63
    strong = combine_plans([_plan(5.0, 1.0), _plan(5.0, 3.0)], CLASSES)
    assert strong["brake"].item() and strong["target_speed"].item() == 0.0
    assert strong["target_speed_probabilities"][0, 0] > 0.9
    torch.testing.assert_close(strong["waypoints"], torch.full((1, 8, 2), 2.0))
    weak = combine_plans([_plan(4.0, 0.0)], CLASSES)
    assert not weak["brake"].item() and weak["target_speed"].item() > 0.0


def test_logit_and_probability_averaging_differ_at_the_boundary():
    plans = [_plan(10.0, 0.0), _plan(0.0, 0.0)]
    by_logits = combine_plans(plans, CLASSES, average="logits")  # mean logit 5 -> p0 ~ 0.955
    by_probabilities = combine_plans(plans, CLASSES, average="probabilities")  # (~1 + 1/8) / 2 ~ 0.562
    assert by_logits["brake"].item() and not by_probabilities["brake"].item()
    torch.testing.assert_close(by_probabilities["target_speed_probabilities"].sum(), torch.tensor(1.0))


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="at least one"):
        combine_plans([], CLASSES)
    with pytest.raises(ValueError, match="posttrain"):
        combine_plans([{"waypoints": torch.zeros(1, 8, 2)}], CLASSES)


def test_ensemble_of_models_runs():
    torch.manual_seed(0)
    models = [lead_tfv6.create_model("tiny").eval() for _ in range(2)]
    batch = make_synthetic_batch(models[0].config, 1, seed=0)
    with torch.no_grad():
        merged = Ensemble(models)(batch)
        single = [model(batch) for model in models]
    torch.testing.assert_close(merged["waypoints"], (single[0]["waypoints"] + single[1]["waypoints"]) / 2)
    assert merged["brake"].shape == (1,)
