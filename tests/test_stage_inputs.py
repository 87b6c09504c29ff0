"""Config fields that name earlier stages: resolved to their folders, and read by the runner."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import attrs
import pytest

from lead_framework.config import ComponentSpec, Experiment, StageSpec
from lead_framework.stages import StageContext, StageError, StageOutput, referenced_stages, resolve_stage_inputs


@attrs.define(frozen=True)
class AgentConfig:
    checkpoint: Any = attrs.field(default=None, metadata={"stage_input": "train"})
    speed: float = 1.0


@attrs.define(frozen=True)
class EvaluateConfig:
    agent: ComponentSpec | None = None
    data: Any = attrs.field(default=None, metadata={"stage_input": "collect"})


def earlier(tmp_path: Path) -> dict[str, StageOutput]:
    return {name: StageOutput(kind, name, tmp_path / name, {}) for kind, name in
            [("collect", "collect"), ("train", "pretrain"), ("train", "posttrain"), ("train", "posttrain_seed2")]}


def context(tmp_path: Path, previous: dict[str, StageOutput]) -> StageContext:
    spec = StageSpec("evaluate", "evaluate", EvaluateConfig())
    experiment = Experiment("x", 1, tmp_path, None, [spec])
    return StageContext(experiment, spec, tmp_path, tmp_path / "evaluate", previous, logging.getLogger("test"))


def agent(checkpoint: Any) -> ComponentSpec:
    return ComponentSpec("agents", "tfv6", AgentConfig(checkpoint=checkpoint))


@pytest.mark.parametrize(("value", "expected"), [
    ("previous", "posttrain_seed2"),  # the latest stage of the field's kind
    ("pretrain", "pretrain"),
    (["posttrain", "posttrain_seed2"], ["posttrain", "posttrain_seed2"]),
    (("pretrain", "/models/mine.pt"), ("pretrain", "/models/mine.pt")),  # a path is kept, the tuple stays a tuple
    ("/models/mine.pt", "/models/mine.pt"),
])
def test_stage_names_become_folders_and_paths_are_kept(tmp_path, value, expected):
    resolved = resolve_stage_inputs(agent(value), context(tmp_path, earlier(tmp_path))).config.checkpoint

    def folder(entry: str) -> str:
        return entry if entry.startswith("/models") else str(tmp_path / entry)

    assert resolved == (type(expected)(map(folder, expected)) if isinstance(expected, (list, tuple)) else folder(expected))


def test_a_spec_without_stage_names_is_returned_unchanged(tmp_path):
    spec = agent("/models/mine.pt")
    assert resolve_stage_inputs(spec, context(tmp_path, earlier(tmp_path))) is spec


def test_previous_without_an_earlier_stage_of_that_kind_says_what_to_add(tmp_path):
    only_collect = {"collect": earlier(tmp_path)["collect"]}
    with pytest.raises(StageError, match="needs the output of an earlier 'train' stage; add one before it or give a path"):
        resolve_stage_inputs(agent(["previous"]), context(tmp_path, only_collect))


def test_the_runner_reads_the_same_names_in_the_config_and_its_components(tmp_path):
    previous = earlier(tmp_path)
    config = EvaluateConfig(agent=agent(["pretrain", "previous", "/models/mine.pt"]), data="previous")
    assert referenced_stages(config, previous) == {"pretrain", "posttrain_seed2", "collect"}
    assert referenced_stages(EvaluateConfig(agent=agent("/models/mine.pt")), previous) == set()
    assert referenced_stages(EvaluateConfig(data="previous"), {}) == set()  # nothing to read yet
