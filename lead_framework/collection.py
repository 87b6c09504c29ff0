"""The ``collect`` stage: an expert drives routes and its sensor data and labels become a data set.

The stage folder is the data set (see ``docs/data-format.md``): each route is driven at 20 Hz with
a :class:`~lead_framework.frame_recorder.FrameRecorder` that renders the data rig every
``save_every`` ticks and writes samples into a :class:`~lead_framework.data.DatasetWriter` route,
committed with the route's leaderboard record when the route ends. An expert run *fails* when the
route was not completed or had any infraction but the minimum-speed one (LEAD's filter); failed
routes are committed with the error (status ``failed``: readers skip them), with their samples
when ``keep_failed`` and without otherwise. A route that raised is recorded failed the same way,
and the other routes go on. Finished routes (committed or failed) are skipped when the stage runs
again; a route that a killed run left half-written is driven again from its start.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from lead_framework.config import ComponentSpec
from lead_framework.data import DatasetWriter, load_index
from lead_framework.execution import EXECUTORS, map_routes
from lead_framework.frame_recorder import FrameRecorder
from lead_framework.route import RouteSpec
from lead_framework.route_tasks import RouteSource, load_routes, route_seed
from lead_framework.scoring.record import RouteRecord
from lead_framework.scoring.status import is_route_finished
from lead_framework.stages import StageContext, StageError, resolve_stage_inputs
from lead_framework.validators import one_of, positive
from lead_framework.world import EvaluationProtocol

DEFAULT_AGENT = "pdm_expert"
#: Infractions that do not make an expert run fail (LEAD keeps routes with only these).
TOLERATED_INFRACTIONS = frozenset({"min_speed_infractions"})


def _default_routes() -> RouteSource:
    from lead_framework.route_tasks import GenerateRoutes

    return RouteSource(generate=GenerateRoutes(count=10))


@attrs.define(frozen=True)
class CollectConfig:
    """Section of the ``collect`` stage."""

    agent: ComponentSpec | None = attrs.field(default=None, metadata={"component": "agents"})
    routes: RouteSource = attrs.field(factory=_default_routes)
    rig: str = "lead_rig"
    perturbate: bool = True
    save_every: int = attrs.field(default=5, validator=positive)
    workers: int = attrs.field(default=1, validator=positive)
    executor: str = attrs.field(default="local", validator=one_of(EXECUTORS))
    keep_failed: bool = False
    max_routes: int | None = attrs.field(default=None, validator=attrs.validators.optional(positive))
    shard_max_samples: int = attrs.field(default=1000, validator=positive)


@attrs.define(frozen=True)
class CollectTask:
    """Everything a worker process needs to collect one route."""

    index: int
    data_id: str
    route: RouteSpec
    world: ComponentSpec
    agent: ComponentSpec
    protocol: EvaluationProtocol
    seed: int
    data_dir: Path
    rig: str
    perturbate: bool
    save_every: int
    keep_failed: bool
    shard_max_samples: int


def data_route_id(index: int) -> str:
    return f"route_{index:04d}"


def expert_failure(record: RouteRecord) -> str | None:
    """Why an expert run does not make training data (None when it does)."""
    if not is_route_finished(record.status):
        return f"route not completed ({record.status}, RC {record.score_route:.1f})"
    bad = sorted({event.key for event in record.infractions} - TOLERATED_INFRACTIONS)
    if bad:
        return f"infractions: {', '.join(bad)}"
    return None


def _writer(task: CollectTask) -> DatasetWriter:
    host = "".join(ch if ch.isalnum() or ch in "_-" else "-" for ch in socket.gethostname()) or "host"
    return DatasetWriter(task.data_dir, writer_id=f"{host}-{os.getpid()}-{task.data_id}", shard_max_samples=task.shard_max_samples)


def collect_route(task: CollectTask) -> dict[str, Any]:
    """Drive and record one route (runs in a worker process); returns its summary."""
    from lead_framework.plugins import get_registry

    world = task.world.create()
    agent = task.agent.create()
    specs = list(get_registry().get("sensors", task.rig).create(None))
    with _writer(task) as writer:
        metadata = {"route_id": task.route.id, "index": task.index, "town": task.route.town, "seed": task.seed}
        route_writer = writer.route(task.data_id, metadata=metadata)
        recorder = FrameRecorder(
            lambda frame, members, attributes: route_writer.add(frame, members, attributes), specs,
            route_id=task.data_id, agent=agent, save_every=task.save_every,
            perturbation_seed=task.seed if task.perturbate else None,
        )
        try:
            record = world.run_route(task.route, agent, seed=task.seed, protocol=task.protocol, observers=[recorder])
        except BaseException as error:
            route_writer.abort(f"{type(error).__name__}: {error}")
            raise
        record.index = task.index
        failure = expert_failure(record)
        perturbation = recorder.perturbation.to_json() if recorder.perturbation is not None else None
        extra = {"perturbation": perturbation, "DS": record.score_composed, "RC": record.score_route}
        if failure is not None and not task.keep_failed:
            route_writer.abort(failure)
            route_writer = writer.route(task.data_id, metadata=metadata)
        route_writer.commit(record.to_json(), error=failure, metadata=extra)
        samples = route_writer.samples
    return {"route": task.data_id, "samples": samples, "status": record.status, "DS": record.score_composed,
            "RC": record.score_route, "failure": failure}


def record_crash(task: CollectTask, error: str) -> None:
    """Mark a route whose collection raised as failed (no samples)."""
    with _writer(task) as writer:
        if not writer.is_done(task.data_id):
            writer.route(task.data_id, metadata={"route_id": task.route.id, "index": task.index}).commit(None, error=error)


class CollectStage:
    """Drive routes with an expert and write the documented sample format."""

    def __init__(self, config: CollectConfig):
        self.config = config

    def _agent_spec(self, ctx: StageContext) -> ComponentSpec:
        if self.config.agent is not None:
            return resolve_stage_inputs(self.config.agent, ctx)
        from lead_framework.plugins import get_registry

        component = get_registry().get("agents", DEFAULT_AGENT)
        return ComponentSpec("agents", DEFAULT_AGENT, component.config_class())

    def tasks(self, ctx: StageContext) -> list[CollectTask]:
        world_spec = ctx.require_world()
        routes = load_routes(self.config.routes, world_spec.create(), ctx.seed, ctx.spec.name)
        if self.config.max_routes is not None:
            routes = routes[: self.config.max_routes]
        if not routes:
            raise StageError(f"stage {ctx.spec.name!r}: the route source produced no routes")
        agent = self._agent_spec(ctx)
        c = self.config
        return [
            CollectTask(i, data_route_id(i), route, world_spec, agent, EvaluationProtocol(), route_seed(ctx.seed, i),
                        ctx.stage_dir, c.rig, c.perturbate, c.save_every, c.keep_failed, c.shard_max_samples)
            for i, route in enumerate(routes)
        ]

    def run(self, ctx: StageContext) -> dict[str, Any]:
        tasks = self.tasks(ctx)
        done = set(load_index(ctx.stage_dir, missing_ok=True)["routes"])
        pending = [task for task in tasks if task.data_id not in done]
        with ctx.progress(len(tasks), unit="route") as progress:
            if len(pending) < len(tasks):
                progress.update(len(tasks) - len(pending), message="already collected")
            for outcome in map_routes(collect_route, pending, workers=self.config.workers, executor=self.config.executor):
                task = pending[outcome.index]
                if outcome.error is not None:
                    record_crash(task, outcome.error)
                    ctx.log.error("route %s crashed: %s\n%s", task.data_id, outcome.error, outcome.traceback or "")
                    progress.update(message=f"{task.data_id}: crashed ({outcome.error})")
                    continue
                result = outcome.result
                state = "failed: " + result["failure"] if result["failure"] else "ok"
                progress.update(message=f"{task.data_id}: {state}, {result['samples']} samples", DS=result["DS"], RC=result["RC"])
        index = load_index(ctx.stage_dir, missing_ok=True)["routes"]
        ours = [index[task.data_id] for task in tasks if task.data_id in index]
        committed = [entry for entry in ours if entry["status"] == "committed"]
        scores = [entry["metadata"].get("DS") for entry in ours if entry["metadata"].get("DS") is not None]
        return {
            "routes": len(tasks),
            "committed": len(committed),
            "failed": len(ours) - len(committed),
            "samples": sum(entry["samples"] for entry in committed),
            "mean_DS": float(np.mean(scores)) if scores else None,
            "data": str(ctx.stage_dir),
        }
