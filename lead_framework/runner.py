"""The run loop: stages in order, resolved config and log in the run folder, resume by default.

A stage is complete when ``<run>/<stage>/stage.json`` says so for the same config, the same
world and seed, the same results of the earlier stages it reads (its ``stage_input`` fields) and
the same revisions of the components it uses (the stage kind, the world, every component named in
its config); such a stage is skipped. A ``partial`` stage (its summary left items to retry) and a
failed one are resumed. A stage folder that holds results for another config (or older results
of a stage it reads, or results of other component revisions) is moved aside to
``<stage>.stale-N``, never deleted.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import yaml

from lead_framework.config import ComponentSpec, Experiment, StageSpec, unstructure
from lead_framework.registry import Registry
from lead_framework.stages import INCOMPLETE_KEY, StageContext, StageError, StageOutput, referenced_stages

log = logging.getLogger("lead_framework")

STAGE_STATE_FILE = "stage.json"
RESOLVED_CONFIG_FILE = "resolved.yaml"
LOG_FILE = "run.log"


class RunError(Exception):
    """A stage failed; the message names it and points at the log."""


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _component_specs(value: Any) -> Iterator[ComponentSpec]:
    """Every component spec in a stage config, nested ones (``routes.benchmark``) included."""
    if isinstance(value, ComponentSpec):
        yield value
        value = value.config
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _component_specs(getattr(value, field.name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _component_specs(item)


def _revisions(registry: Registry, world: ComponentSpec | None, spec: StageSpec) -> dict[str, int]:
    """``kind/name -> revision`` of the stage kind, the world and the components the stage names."""
    used = [("stages", spec.kind)] + [(c.kind, c.name) for c in _component_specs(spec.config)]
    if world is not None:
        used.append((world.kind, world.name))
    return {f"{kind}/{name}": registry.get(kind, name).revision for kind, name in sorted(set(used))}


def _fingerprint(settings: dict[str, Any], revisions: dict[str, int], spec: StageSpec, previous: dict[str, StageOutput]) -> dict[str, Any]:
    """What a stage's results depend on: its config, the experiment's ``settings`` (world and
    seed), the revisions of the components it uses, the results of the stages it reads."""
    fingerprint = {
        "config": {"kind": spec.kind, **unstructure(spec.config)},
        "experiment": settings,
        "revisions": revisions,
        "upstream": {name: previous[name].summary.get("finished_at") for name in sorted(referenced_stages(spec.config, previous))},
    }
    return json.loads(json.dumps(fingerprint, default=str))


def _stale_because(stored: Any, current: dict[str, Any]) -> str | None:
    """Why a stored fingerprint no longer holds, or None when it does.

    Fingerprints written by earlier versions lack ``experiment`` or ``revisions`` and list every
    earlier stage under ``upstream``; they hold when what they record agrees.
    """
    if not isinstance(stored, dict) or stored.get("config") != current["config"]:
        return "config changed"
    if "experiment" in stored and stored["experiment"] != current["experiment"]:
        return "world or seed changed"
    if "revisions" in stored and stored["revisions"] != current["revisions"]:
        old = stored["revisions"] if isinstance(stored["revisions"], dict) else {}
        changed = [f"{name} {old.get(name, '-')} -> {revision}" for name, revision in current["revisions"].items() if old.get(name) != revision]
        return f"component revision changed ({', '.join(changed) or 'components differ'})"
    upstream = stored.get("upstream") or {}
    if not all(name in upstream and upstream[name] == finished for name, finished in current["upstream"].items()):
        return "inputs changed"
    return None


def _read_state(stage_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((stage_dir / STAGE_STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _move_aside(stage_dir: Path) -> Path:
    n = 1
    while (target := stage_dir.with_name(f"{stage_dir.name}.stale-{n}")).exists():
        n += 1
    stage_dir.rename(target)
    return target


def _attach_log_file(run_dir: Path) -> logging.Handler:
    handler = logging.FileHandler(run_dir / LOG_FILE, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler


def run_experiment(experiment: Experiment, *, force: bool = False, interactive: bool | None = None, echo=print) -> list[StageOutput]:
    """Run every stage of ``experiment``; return the outputs of all stages."""
    from lead_framework.plugins import get_registry

    registry = get_registry()
    run_dir = experiment.output
    run_dir.mkdir(parents=True, exist_ok=True)
    resolved = experiment.resolved()
    (run_dir / RESOLVED_CONFIG_FILE).write_text(yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")
    settings = {"world": resolved.get("world"), "seed": resolved["seed"]}
    handler = _attach_log_file(run_dir)
    outputs: dict[str, StageOutput] = {}
    try:
        echo(f"experiment {experiment.name}: {len(experiment.stages)} stage(s), outputs in {run_dir}")
        for index, spec in enumerate(experiment.stages, start=1):
            stage_dir = run_dir / spec.name
            fingerprint = _fingerprint(settings, _revisions(registry, experiment.world, spec), spec, outputs)
            state = _read_state(stage_dir)
            stale = None if state is None else _stale_because(state.get("fingerprint"), fingerprint)
            if state is not None and not force and stale is None:
                if state.get("status") == "complete":
                    echo(f"[{index}/{len(experiment.stages)}] {spec.name}: complete, skipped (use --force to run it again)")
                    outputs[spec.name] = StageOutput(spec.kind, spec.name, stage_dir, state.get("summary", {}))
                    continue
                echo(f"[{index}/{len(experiment.stages)}] {spec.name}: resuming")
            elif stage_dir.exists() and (state is not None or force):
                moved = _move_aside(stage_dir)
                why = stale or "--force"
                echo(f"[{index}/{len(experiment.stages)}] {spec.name}: {why}; old results moved to {moved}")
            else:
                echo(f"[{index}/{len(experiment.stages)}] {spec.name} ({spec.kind})")
            stage_dir.mkdir(parents=True, exist_ok=True)
            write_json_atomic(stage_dir / STAGE_STATE_FILE, {"status": "running", "fingerprint": fingerprint})
            ctx = StageContext(experiment, spec, run_dir, stage_dir, dict(outputs), logging.getLogger(f"lead_framework.{spec.name}"), interactive)
            started = time.time()
            try:
                stage = registry.get("stages", spec.kind).create(spec.config)
                summary = dict(stage.run(ctx) or {})
            except StageError as exc:
                write_json_atomic(stage_dir / STAGE_STATE_FILE, {"status": "failed", "fingerprint": fingerprint, "error": str(exc)})
                raise RunError(f"stage {spec.name!r} ({spec.kind}): {exc}") from exc
            except Exception as exc:
                log.exception("stage %s failed", spec.name)
                write_json_atomic(stage_dir / STAGE_STATE_FILE, {"status": "failed", "fingerprint": fingerprint, "error": repr(exc)})
                raise RunError(f"stage {spec.name!r} ({spec.kind}) failed: {type(exc).__name__}: {exc} (traceback in {run_dir / LOG_FILE}); run again to resume") from exc
            summary["finished_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat()
            summary["duration_s"] = round(time.time() - started, 3)
            left = int(summary.get(INCOMPLETE_KEY) or 0)
            status = "partial" if left > 0 else "complete"
            write_json_atomic(stage_dir / STAGE_STATE_FILE, {"status": status, "fingerprint": fingerprint, "summary": summary})
            outputs[spec.name] = StageOutput(spec.kind, spec.name, stage_dir, summary)
            if left:
                echo(f"[{index}/{len(experiment.stages)}] {spec.name}: done in {summary['duration_s']:.1f} s with {left} item(s) "
                     "left to retry; run the experiment again to resume it")
            else:
                echo(f"[{index}/{len(experiment.stages)}] {spec.name}: done in {summary['duration_s']:.1f} s")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    return list(outputs.values())
