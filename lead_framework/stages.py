"""Stages: the steps of an experiment (collect, train, evaluate, export, ...).

A stage kind is a component registered through ``lead_register_stages``; its factory takes the
stage's config and returns an object with ``run(ctx) -> dict | None``. The returned summary is
stored with the stage; a stage whose summary exists is skipped when the experiment runs again,
unless its config, the experiment's world or seed, or one of the earlier stages it reads changed.
A stage declares what it reads by config fields with ``metadata={"stage_input": "<kind>"}``
(directly or in a component spec such as an evaluate stage's agent). Long stages should also
resume inside themselves (finished routes, epochs) using ``ctx.stage_dir``.

A summary with a positive ``incomplete`` count (e.g. routes that crashed) marks the stage
``partial``: later stages still run, and the next invocation resumes it to retry what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs

from lead_framework.config import ComponentSpec, Experiment, StageSpec
from lead_framework.progress import Progress


#: Summary key: how many items of a stage are left to retry on the next invocation.
INCOMPLETE_KEY = "incomplete"


class StageError(Exception):
    """A stage cannot run (missing input, bad combination); the message says how to fix it."""


@attrs.define
class StageOutput:
    """A finished stage as later stages see it."""

    kind: str
    name: str
    directory: Path
    summary: dict[str, Any]


@attrs.define
class StageContext:
    """Everything a stage needs to run."""

    experiment: Experiment
    spec: StageSpec
    run_dir: Path
    stage_dir: Path
    previous: dict[str, StageOutput]
    log: logging.Logger
    interactive: bool | None = None

    @property
    def seed(self) -> int:
        return self.experiment.seed

    @property
    def world(self) -> ComponentSpec | None:
        return self.experiment.world

    def require_world(self) -> ComponentSpec:
        if self.experiment.world is None:
            raise StageError(f"stage {self.spec.name!r} needs a world; add `world: {{name: leadsim}}` to the experiment")
        return self.experiment.world

    def progress(self, total: int | None, unit: str = "step") -> Progress:
        return Progress(total, self.spec.name, unit=unit, interactive=self.interactive)

    def input_from(self, kind: str, reference: str | None = None) -> StageOutput:
        """The output of an earlier stage: by name, or the latest one of ``kind``."""
        if reference is not None and reference != "previous":
            if reference not in self.previous:
                raise StageError(f"stage {self.spec.name!r}: no earlier stage named {reference!r}; earlier stages: {', '.join(self.previous) or 'none'}")
            return self.previous[reference]
        latest = latest_stage(self.previous, kind)
        if latest is not None:
            return latest
        raise StageError(f"stage {self.spec.name!r} needs the output of an earlier {kind!r} stage; add one before it or give a path")


def latest_stage(previous: Mapping[str, StageOutput], kind: str) -> StageOutput | None:
    """The last of the earlier stages of ``kind`` (what ``previous`` refers to), if any."""
    return next((output for output in reversed(list(previous.values())) if output.kind == kind), None)


class Stage(Protocol):
    def run(self, ctx: StageContext) -> dict[str, Any] | None: ...


def _entries(value: Any) -> list[Any]:
    """The entries of a ``stage_input`` value: the value itself, or each item of a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _named_stage(kind: str, entry: Any, previous: Mapping[str, StageOutput]) -> StageOutput | None:
    """The earlier stage one entry names: ``previous`` (the latest of ``kind``) or a stage's name;
    ``None`` for anything else (a path given by the user)."""
    if entry == "previous":
        return latest_stage(previous, kind)
    return previous.get(entry) if isinstance(entry, str) else None


def resolve_stage_inputs(spec: ComponentSpec, ctx: StageContext) -> ComponentSpec:
    """Replace config fields that refer to earlier stages by those stages' folders.

    A component's config field declares ``metadata={"stage_input": "<kind>"}``; the YAML value
    ``previous`` (the latest stage of that kind) or a stage name becomes that stage's directory,
    in a list too (``checkpoint: [posttrain, posttrain_seed2]``). Other values are kept (a path
    given by the user).
    """

    def resolve(kind: str, entry: Any) -> Any:
        if entry == "previous" or _named_stage(kind, entry, ctx.previous) is not None:
            return str(ctx.input_from(kind, entry).directory)  # input_from explains a missing 'previous'
        return entry

    changes = {}
    for field in attrs.fields(type(spec.config)):
        kind = field.metadata.get("stage_input")
        if kind:
            value = getattr(spec.config, field.name)
            entries = [resolve(kind, entry) for entry in _entries(value)]
            resolved = type(value)(entries) if isinstance(value, (list, tuple)) else entries[0]
            if resolved != value:
                changes[field.name] = resolved
    if not changes:
        return spec
    return ComponentSpec(spec.kind, spec.name, attrs.evolve(spec.config, **changes))


def referenced_stages(config: Any, previous: Mapping[str, StageOutput]) -> set[str]:
    """The earlier stages a stage's config reads, by the rules of :func:`resolve_stage_inputs`.

    Fields with ``stage_input`` metadata count, in the config itself and in the component specs
    it holds (``agent: {name: tfv6, checkpoint: posttrain}``). The runner re-runs a stage when
    one of these changed, and only then.
    """
    if not attrs.has(type(config)):
        return set()
    names: set[str] = set()
    for field in attrs.fields(type(config)):
        value = getattr(config, field.name)
        kind = field.metadata.get("stage_input")
        if kind:
            stages = (_named_stage(kind, entry, previous) for entry in _entries(value))
            names.update(stage.name for stage in stages if stage is not None)
        elif isinstance(value, ComponentSpec):
            names |= referenced_stages(value.config, previous)
    return names
