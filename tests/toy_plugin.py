"""An in-process plugin for core tests: a stage that counts to N, optionally failing midway."""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from lead_framework import hookimpl
from lead_framework.config import ComponentSpec
from lead_framework.stages import INCOMPLETE_KEY, StageContext
from lead_framework.validators import positive


@attrs.define(frozen=True)
class CountConfig:
    to: int = attrs.field(default=3, validator=positive)
    fail_at: int | None = None
    fail_while: str | None = None  # the planned failure happens only while this file exists
    flaky_at: int | None = None  # this step is left undone (and reported incomplete) while ``fail_while`` exists
    lr: float = attrs.field(default=0.1, validator=positive)
    agent: ComponentSpec | None = attrs.field(default=None, metadata={"component": "agents"})


class CountStage:
    """Writes one file per step; resumes from the files already there."""

    def __init__(self, config: CountConfig):
        self.config = config

    def run(self, ctx: StageContext) -> dict:
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
                item.write_text(json.dumps({"i": i, "seed": ctx.seed}))
                progress.update()
        return {"items": self.config.to - left, INCOMPLETE_KEY: left}


@attrs.define(frozen=True)
class ToyAgentConfig:
    speed: float = attrs.field(default=5.0, validator=positive)


class ToyAgent:
    def __init__(self, config: ToyAgentConfig):
        self.config = config


@hookimpl
def lead_register_stages(register):
    register("count", CountStage, config=CountConfig, description="Count to N, one file per step")


@hookimpl
def lead_register_agents(register):
    register("toy_agent", ToyAgent, config=ToyAgentConfig, description="Holds a speed")
