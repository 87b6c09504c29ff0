"""An in-process plugin for core tests: a stage that counts to N, optionally failing midway."""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs

from lead_framework import hookimpl
from lead_framework.agent import Agent, VehicleControl
from lead_framework.config import ComponentSpec
from lead_framework.stages import INCOMPLETE_KEY, StageContext, resolve_stage_inputs
from lead_framework.validators import one_of, positive


@attrs.define(frozen=True)
class CountConfig:
    to: int = attrs.field(default=3, validator=positive)
    fail_at: int | None = None
    fail_while: str | None = None  # the planned failure happens only while this file exists
    flaky_at: int | None = None  # this step is left undone (and reported incomplete) while ``fail_while`` exists
    lr: float = attrs.field(default=0.1, validator=positive)
    agent: ComponentSpec | None = attrs.field(default=None, metadata={"component": "agents"})
    #: an earlier count stage this one reads (its folder is written into every item)
    after: str | None = attrs.field(default=None, metadata={"stage_input": "count"})


class CountStage:
    """Writes one file per step; resumes from the files already there."""

    def __init__(self, config: CountConfig):
        self.config = config

    def run(self, ctx: StageContext) -> dict:
        after = resolve_stage_inputs(ComponentSpec("stages", "count", self.config), ctx).config.after
        left = 0
        with ctx.progress(self.config.to, unit="item") as progress:
            for i in range(self.config.to):
                item = ctx.stage_dir / f"item_{i}.json"
                if item.exists():
                    progress.update(message="already done")
                    continue
                if self.config.fail_at == i and (self.config.fail_while is None or Path(self.config.fail_while).exists()):
                    raise RuntimeError(f"planned failure at {i}")
                if self.config.flaky_at == i and Path(self.config.fail_while).exists():
                    left += 1
                    progress.update(message="flaky, left for the next run")
                    continue
                item.write_text(json.dumps({"i": i, "seed": ctx.seed, "after": after}))
                progress.update()
        return {"items": self.config.to - left, INCOMPLETE_KEY: left}


@attrs.define(frozen=True)
class ToyAgentConfig:
    speed: float = attrs.field(default=5.0, validator=positive)
    #: fail on purpose: when it is built ("build") or on every tick ("drive")
    fail: str | None = attrs.field(default=None, validator=attrs.validators.optional(one_of(("build", "drive"))))


class ToyAgent(Agent):
    def __init__(self, config: ToyAgentConfig):
        if config.fail == "build":
            raise FileNotFoundError("toy weights missing")
        self.config = config
        self.steps = 0

    def run_step(self, input_data, timestamp: float) -> VehicleControl:
        if self.config.fail == "drive":
            raise RuntimeError("toy agent fails on every tick")
        self.steps += 1
        return VehicleControl(throttle=0.3)

    def debug_values(self) -> dict[str, float | int | bool | str]:
        return {"steps": self.steps, "cruising": self.steps > 10}


@hookimpl
def lead_register_stages(register):
    # TOY_COUNT_REVISION stands for a plugin release that changes what the stage produces
    register("count", CountStage, config=CountConfig, description="Count to N, one file per step", revision=int(os.environ.get("TOY_COUNT_REVISION", "0")))


@hookimpl
def lead_register_agents(register):
    register("toy_agent", ToyAgent, config=ToyAgentConfig, description="Holds a speed")
