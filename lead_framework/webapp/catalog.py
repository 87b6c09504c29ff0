"""What the web app shows: the routes of every evaluate stage in a run folder, read from disk.

An evaluate stage writes ``<run>/<stage>/routes/<NNN>_<route id>/`` with ``record.json`` and
``infractions.json`` (see :mod:`lead_framework.evaluation`) and, when the agent records them,
videos named ``video``, ``demo``, ``debug`` or ``input`` with a suffix from
:data:`lead_framework.video.VIDEO_SUFFIXES`. Everything is read on each request, so a page
reloaded during an evaluation shows the routes finished since.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lead_framework.evaluation import (
    CRASH_FILE,
    INFRACTIONS_FILE,
    RECORD_FILE,
    STEPS_FILE,
)
from lead_framework.video import VIDEO_SUFFIXES

ROUTES_DIR = "routes"
#: Video names in the order the page offers them; other videos in a route folder follow.
VIEW_ORDER: tuple[str, ...] = ("video", "demo", "debug", "input")


class WebAppError(Exception):
    """The run folder cannot be shown (missing, or without evaluate results)."""


class NotFoundError(WebAppError):
    """A requested stage, route or file does not exist in the run folder."""


class UnsafePathError(WebAppError):
    """A requested path would leave the run folder."""


def check_run_dir(run_dir: Path) -> Path:
    """The resolved run folder; raises :class:`WebAppError` naming the folder and what it lacks."""
    if not run_dir.exists():
        raise WebAppError(f"{run_dir}: no such folder; pass the run folder of an experiment (its `output:`), e.g. outputs/quickstart")
    if not run_dir.is_dir():
        raise WebAppError(f"{run_dir}: is a file; pass the run folder of an experiment (its `output:`), which holds one folder per stage")
    root = run_dir.resolve()
    if not find_stages(root):
        raise WebAppError(
            f"{run_dir}: no evaluate results found; expected <stage>/{ROUTES_DIR}/<NNN>_<route id>/{RECORD_FILE} "
            "as an evaluate stage writes them (run `leadfw run` on an experiment with an evaluate stage first)"
        )
    return root


def _is_route_folder(folder: Path) -> bool:
    return folder.is_dir() and ((folder / RECORD_FILE).is_file() or (folder / CRASH_FILE).is_file())


def find_stages(root: Path) -> list[str]:
    """Names of the stage folders under ``root`` that hold at least one evaluated route."""
    stages = []
    for stage in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        routes = stage / ROUTES_DIR
        if routes.is_dir() and any(_is_route_folder(folder) for folder in routes.iterdir()):
            stages.append(stage.name)
    return stages


def resolve_inside(root: Path, relative: str) -> Path:
    """``root / relative`` for a ``/``-separated path that stays inside ``root``.

    Rejects empty, ``.``, ``..`` and hidden segments and backslashes before touching the disk,
    then checks the resolved path (symbolic links included) is still under ``root``.
    """
    segments = relative.split("/")
    for segment in segments:
        if segment in ("", ".", "..") or segment.startswith(".") or "\\" in segment or "\x00" in segment:
            raise UnsafePathError(f"{relative!r}: path segments must be plain names inside the run folder (no '..', hidden or empty parts)")
    path = (root / Path(*segments)).resolve()
    if not path.is_relative_to(root):
        raise UnsafePathError(f"{relative!r}: resolves outside the run folder")
    return path


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _file_url(root: Path, path: Path) -> str:
    return "/files/" + quote(path.relative_to(root).as_posix())


def find_videos(root: Path, folder: Path) -> dict[str, str]:
    """View name -> URL of each video in a route folder, in :data:`VIEW_ORDER` first."""
    found = {p.stem: p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lstrip(".").lower() in VIDEO_SUFFIXES}
    ordered = [name for name in VIEW_ORDER if name in found] + sorted(set(found) - set(VIEW_ORDER))
    return {name: _file_url(root, found[name]) for name in ordered}


def route_summary(root: Path, stage: str, folder: Path) -> dict[str, Any]:
    """One row of the route list: identity, status, DS/RC/IS, infraction count, videos."""
    summary: dict[str, Any] = {
        "key": f"{stage}/{folder.name}",
        "stage": stage,
        "folder": folder.name,
        "route_id": folder.name.partition("_")[2] or folder.name,
        "index": None,
        "status": "",
        "DS": None,
        "RC": None,
        "IS": None,
        "infractions": 0,
        "duration_s": None,
        "videos": find_videos(root, folder),
        "error": None,
    }
    try:
        if (folder / RECORD_FILE).is_file():
            record = _read_json(folder / RECORD_FILE)
            scores = record.get("scores", {})
            summary.update(
                route_id=str(record.get("route_id", summary["route_id"])),
                index=record.get("index"),
                status=str(record.get("status", "")),
                DS=scores.get("score_composed"),
                RC=scores.get("score_route"),
                IS=scores.get("score_penalty"),
                infractions=sum(len(messages) for messages in record.get("infractions", {}).values()),
                duration_s=record.get("meta", {}).get("duration_game"),
            )
        else:
            crash = _read_json(folder / CRASH_FILE)
            summary.update(status="Failed - Simulation crashed", error=str(crash.get("error", "")))
    except (OSError, ValueError, AttributeError) as exc:
        summary["error"] = f"{folder.name}: unreadable record ({exc})"
    return summary


def list_routes(root: Path) -> list[dict[str, Any]]:
    """Every route of every evaluate stage, in stage then folder order."""
    rows = []
    for stage in find_stages(root):
        for folder in sorted((root / stage / ROUTES_DIR).iterdir()):
            if _is_route_folder(folder):
                rows.append(route_summary(root, stage, folder))
    return rows


def route_folder(root: Path, stage: str, folder: str) -> Path:
    path = resolve_inside(root, f"{stage}/{ROUTES_DIR}/{folder}")
    if not _is_route_folder(path):
        raise NotFoundError(f"no evaluated route {stage}/{folder} in {root}; /api/routes lists the routes")
    return path


def route_detail(root: Path, stage: str, folder: str) -> dict[str, Any]:
    """A route's summary plus its full record, its infraction events and the number of logged ticks."""
    path = route_folder(root, stage, folder)
    detail = route_summary(root, stage, path)
    detail["record"] = _read_json(path / RECORD_FILE) if (path / RECORD_FILE).is_file() else None
    events_file = path / INFRACTIONS_FILE
    detail["events"] = _read_json(events_file) if events_file.is_file() else _events_without_times(detail["record"])
    steps_file = path / STEPS_FILE
    detail["ticks"] = sum(1 for _ in steps_file.open(encoding="utf-8")) if steps_file.is_file() else 0
    return detail


def _events_without_times(record: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Infractions from the record's messages when ``infractions.json`` is missing (no time to seek to)."""
    if not record:
        return []
    return [
        {"key": key, "message": message, "tick": None, "time_s": None, "location": None, "value": None, "metres_driven": None}
        for key, messages in record.get("infractions", {}).items()
        for message in messages
    ]
