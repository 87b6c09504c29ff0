"""The ``evaluate`` stage: an agent drives a benchmark's routes in a world, closed loop.

Per route, ``<stage>/routes/<NNN>_<route id>/`` holds ``record.json`` (the leaderboard record),
``infractions.json`` (every event with tick, time, location, metres driven) and ``steps.jsonl``
(ego speed, acceleration and controls per tick, for comfort metrics). The agent is built once
before any route starts, so that a configuration error stops the stage with one message. An agent
that raises while driving fails its route (``Failed - Agent crashed``, final, as on the
leaderboard); a route whose simulation raised is recorded in ``crash.json``, counts as failed and
runs again on the next invocation; finished routes never do. At the end: ``results.json`` in the
leaderboard's layout and the benchmark's table as ``table.md``, ``table.csv`` and ``table.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from lead_framework.agent import Agent
from lead_framework.config import ComponentSpec
from lead_framework.execution import EXECUTORS, map_routes
from lead_framework.route import RouteSpec
from lead_framework.route_tasks import route_folder_name, route_seed
from lead_framework.route_video import RouteVideo
from lead_framework.runner import write_json_atomic
from lead_framework.scoring import (
    RouteRecord,
    build_results,
    record_from_json,
    record_to_json,
    results_table,
    save_results,
)
from lead_framework.scoring.status import failed_status
from lead_framework.stages import INCOMPLETE_KEY, StageContext, StageError, resolve_stage_inputs
from lead_framework.validators import one_of, positive
from lead_framework.world import TICK_RATE_HZ, EvaluationProtocol, Observer, TickInfo

RECORD_FILE, CRASH_FILE, INFRACTIONS_FILE, STEPS_FILE = "record.json", "crash.json", "infractions.json", "steps.jsonl"
SIMULATION_CRASHED = failed_status("simulation_crashed")


def error_headline(error: str) -> str:
    """The last line of an error text: the exception itself when the text is a traceback."""
    lines = error.strip().splitlines()
    return lines[-1] if lines else error


@attrs.define(frozen=True)
class EvaluateConfig:
    """Section of the ``evaluate`` stage."""

    agent: ComponentSpec = attrs.field(metadata={"component": "agents"})
    benchmark: ComponentSpec = attrs.field(metadata={"component": "benchmarks"})
    workers: int = attrs.field(default=1, validator=positive)
    executor: str = attrs.field(default="local", validator=one_of(EXECUTORS))
    max_routes: int | None = attrs.field(default=None, validator=attrs.validators.optional(positive))
    #: Write ``video.<ext>`` per route: the agent's debug picture (or its cameras), 20 / video_every fps.
    videos: bool = False
    video_every: int = attrs.field(default=2, validator=positive)
    #: End every route after this many simulated seconds (quick runs; a cut route counts as timed out).
    max_route_seconds: float | None = attrs.field(default=None, validator=attrs.validators.optional(positive))

    def protocol_for(self, benchmark_protocol: EvaluationProtocol) -> EvaluationProtocol:
        """The benchmark's protocol, with the tick cap of ``max_route_seconds`` when that is shorter."""
        if self.max_route_seconds is None:
            return benchmark_protocol
        cap = int(self.max_route_seconds * TICK_RATE_HZ)
        current = benchmark_protocol.max_ticks
        return attrs.evolve(benchmark_protocol, max_ticks=cap if current is None else min(cap, current))


@attrs.define(frozen=True)
class RouteTask:
    """Everything a worker process needs to drive one route."""

    index: int
    route: RouteSpec
    world: ComponentSpec
    agent: ComponentSpec
    protocol: EvaluationProtocol
    seed: int
    directory: Path
    video_every: int | None = None


class StepLog(Observer):
    """Writes one JSON line per tick: time, controls, the ego state the world reports and, under
    ``agent``, the agent's :meth:`~lead_framework.agent.Agent.debug_values` when it has any."""

    def __init__(self, path: Path, agent: Agent):
        self.path = path
        self.agent = agent
        self._file = None

    def on_route_start(self, route, plan) -> None:
        self._file = self.path.open("w", encoding="utf-8")

    def on_tick(self, info: TickInfo) -> None:
        control = info.control
        row = {"tick": info.tick, "t": round(info.timestamp, 4), "throttle": control.throttle, "steer": control.steer, "brake": control.brake}
        row.update(info.extra.get("ego", {}))
        values = self.agent.debug_values()
        if values:
            row["agent"] = values
        self._file.write(json.dumps(row) + "\n")

    def on_route_end(self, record) -> None:
        if self._file is not None:
            self._file.close()


def evaluate_route(task: RouteTask) -> dict[str, Any]:
    """Drive one route (runs in a worker process) and write its files; returns the record JSON."""
    world = task.world.create()
    agent = task.agent.create()
    task.directory.mkdir(parents=True, exist_ok=True)
    observers: list[Observer] = [StepLog(task.directory / STEPS_FILE, agent)]
    if task.video_every is not None:
        observers.append(RouteVideo(task.directory / "video", agent, task.video_every))
    record = world.run_route(task.route, agent, seed=task.seed, protocol=task.protocol, observers=observers)
    record.index = task.index
    write_json_atomic(task.directory / INFRACTIONS_FILE, record.infraction_events())
    data = record_to_json(record)
    write_json_atomic(task.directory / RECORD_FILE, data)
    return data


def check_agent_builds(spec: ComponentSpec) -> None:
    """Build the agent once before any route starts.

    A configuration error (a checkpoint that does not exist, an option the agent rejects) would
    otherwise crash every route in its worker; here it stops the stage with one message.
    """
    try:
        agent = spec.create()
    except Exception as exc:
        raise StageError(
            f"agent {spec.name!r} cannot be built, so no route was started: {type(exc).__name__}: {exc}; "
            "fix the 'agent' section of the evaluate stage"
        ) from exc
    agent.destroy()


class EvaluateStage:
    """Drive every route of a benchmark with an agent and score it (Leaderboard 2.0)."""

    def __init__(self, config: EvaluateConfig):
        self.config = config

    def run(self, ctx: StageContext) -> dict[str, Any]:
        world_spec = ctx.require_world()
        agent_spec = resolve_stage_inputs(self.config.agent, ctx)
        benchmark = self.config.benchmark.create()
        routes = benchmark.routes(world_spec.create(), ctx.seed)
        if self.config.max_routes is not None:
            routes = routes[: self.config.max_routes]
        if not routes:
            raise StageError(f"benchmark {self.config.benchmark.name!r} produced no routes; check its options")
        routes_dir = ctx.stage_dir / "routes"
        protocol = self.config.protocol_for(benchmark.protocol)
        tasks = [
            RouteTask(i, route, world_spec, agent_spec, protocol, route_seed(ctx.seed, i), routes_dir / route_folder_name(i, route.id),
                      self.config.video_every if self.config.videos else None)
            for i, route in enumerate(routes)
        ]
        records: dict[int, RouteRecord] = {}
        pending = []
        for task in tasks:
            if (task.directory / RECORD_FILE).exists():
                records[task.index] = record_from_json(json.loads((task.directory / RECORD_FILE).read_text()), where=str(task.directory / RECORD_FILE))
            else:
                pending.append(task)
        if pending:
            check_agent_builds(agent_spec)
        with ctx.progress(len(tasks), unit="route") as progress:
            if records:
                progress.update(len(records), message="already driven")
            for outcome in map_routes(evaluate_route, pending, workers=self.config.workers, executor=self.config.executor):
                task = pending[outcome.index]
                if outcome.error is None:
                    record = record_from_json(outcome.result)
                    (task.directory / CRASH_FILE).unlink(missing_ok=True)
                else:
                    record = RouteRecord(task.route.id, index=task.index, status=SIMULATION_CRASHED, extra={"error": outcome.error})
                    task.directory.mkdir(parents=True, exist_ok=True)
                    write_json_atomic(task.directory / CRASH_FILE, {"error": outcome.error, "traceback": outcome.traceback})
                    ctx.log.error("route %s crashed: %s\n%s", task.route.id, outcome.error, outcome.traceback or "")
                records[task.index] = record
                progress.update(message=f"{task.route.id}: {record.status}", DS=record.score_composed, RC=record.score_route)
        ordered = [records[i] for i in sorted(records)]
        results = build_results(ordered, expected=len(tasks))
        save_results(ctx.stage_dir / "results.json", results)
        metrics = benchmark.metrics(ordered, [task.directory for task in tasks])
        table = results_table({f"{self.config.agent.name} @ {self.config.benchmark.name}": results}, extra={f"{self.config.agent.name} @ {self.config.benchmark.name}": metrics})
        for fmt, suffix in (("markdown", "md"), ("csv", "csv"), ("json", "json")):
            (ctx.stage_dir / f"table.{suffix}").write_text(table.render(fmt), encoding="utf-8")
        progress.write(table.render("text"))
        crashed = [r for r in ordered if r.status == SIMULATION_CRASHED]
        agent_failed = [r for r in ordered if r.status != SIMULATION_CRASHED and "error" in r.extra]
        if crashed:
            progress.write(f"{len(crashed)} route(s) crashed (see crash.json in their folders); run again to retry them: "
                           + ", ".join(r.route_id for r in crashed))
        if agent_failed:
            progress.write(f"{len(agent_failed)} route(s) failed because the agent raised (scored as failed, as the "
                           "leaderboard does; the traceback is under extra.error in their record.json): "
                           + ", ".join(r.route_id for r in agent_failed))
        errors = {error_headline(r.extra["error"]) for r in crashed + agent_failed}
        if len(crashed) + len(agent_failed) > 1 and len(errors) == 1:  # most likely the agent's or world's configuration
            progress.write(f"every failure has the same error; fix it in the experiment before running again: {errors.pop()}")
        gr = results.global_record
        return {"routes": len(tasks), "crashed": len(crashed), "agent_failed": len(agent_failed), INCOMPLETE_KEY: len(crashed), "DS": gr.driving_score, "RC": gr.route_completion, "IS": gr.infraction_score, **metrics}
