"""The ``leadfw`` command line."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from lead_framework.config import ExperimentError, load_experiment
from lead_framework.plugins import PluginLoadError, get_plugins

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def decorate(func: Command) -> Command:
        _COMMANDS[name] = func
        return func

    return decorate


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _warn_broken() -> None:
    for name, error in sorted(get_plugins().registry.broken.items()):
        _err(f"warning: plugin {name!r} is broken and was skipped: {error}")


@command("validate")
def cmd_validate(args: argparse.Namespace) -> int:
    _warn_broken()
    status = EXIT_OK
    for path in args.files:
        try:
            experiment = load_experiment(path)
        except ExperimentError as exc:
            for line in exc.lines():
                _err(line)
            status = EXIT_USAGE
            continue
        print(f"{path}: ok ({len(experiment.stages)} stage(s): {', '.join(s.name for s in experiment.stages)})")
    return status


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@command("run")
def cmd_run(args: argparse.Namespace) -> int:
    from lead_framework.runner import RunError, run_experiment

    _warn_broken()
    experiments = []
    for path in args.files:  # validate everything first: a typo in file 3 should not wait for file 1 to finish
        try:
            experiments.append(load_experiment(path))
        except ExperimentError as exc:
            for line in exc.lines():
                _err(line)
            return EXIT_USAGE
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops a run as Ctrl-C does: resumable, no stray workers
    for experiment in experiments:
        try:
            run_experiment(experiment, force=args.force)
        except RunError as exc:
            _err(f"error: {exc}")
            return EXIT_FAILED
        except KeyboardInterrupt:
            _err(f"interrupted; run `leadfw run {' '.join(args.files)}` again to resume")
            return 130
    return EXIT_OK


@command("plugins")
def cmd_plugins(args: argparse.Namespace) -> int:
    plugins = get_plugins()
    infos = sorted(plugins.infos.values(), key=lambda info: info.name)
    if args.json:
        print(json.dumps([info.to_dict() for info in infos], indent=2))
        return EXIT_OK
    if not infos:
        print("no plugins installed (install one, e.g. `pip install -e plugins/lead_sim`)")
    for info in infos:
        print(f"{info.name} ({info.distribution} {info.version}): {info.status}")
        if info.error:
            print(f"  error: {info.error}")
        for kind, names in sorted(info.components.items()):
            shown = []
            for name in sorted(names):
                revision = plugins.registry.get(kind, name).revision
                shown.append(f"{name} (revision {revision})" if revision else name)
            print(f"  {kind}: {', '.join(shown)}")
    return EXIT_OK


@command("plugin new")
def cmd_plugin_new(args: argparse.Namespace) -> int:
    from lead_framework.scaffold import ScaffoldError, new_plugin

    try:
        folder = new_plugin(args.name, args.kind, Path(args.directory))
    except ScaffoldError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    print(f"created {folder}; install it with `pip install -e {folder}` and run its tests with `pytest {folder}`")
    return EXIT_OK


@command("data inspect")
def cmd_data_inspect(args: argparse.Namespace) -> int:
    from lead_framework.data import DataError
    from lead_framework.data.inspect import inspect_command

    try:
        print(inspect_command(Path(args.directory), Path(args.png) if args.png else None))
    except DataError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    return EXIT_OK


@command("data verify")
def cmd_data_verify(args: argparse.Namespace) -> int:
    from lead_framework.data import DataError, verify

    try:
        problems = verify(Path(args.directory))
    except DataError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    for problem in problems:
        _err(str(problem))
    print(f"{args.directory}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return EXIT_OK if not problems else EXIT_FAILED


def find_results(path: Path) -> Path:
    """A results.json given directly, in a stage folder, or in the only evaluate stage of a run."""
    if path.is_file():
        return path
    if (path / "results.json").is_file():
        return path / "results.json"
    found = sorted(path.glob("*/results.json"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise FileNotFoundError(f"{path}: no results.json here or in its stage folders; pass a run folder with an evaluate stage")
    raise FileNotFoundError(f"{path}: several evaluate stages ({', '.join(str(p.parent.name) for p in found)}); pass one stage folder")


@command("compare")
def cmd_compare(args: argparse.Namespace) -> int:
    from lead_framework.scoring import ResultsFileError, compare_routes, compare_runs, load_results

    try:
        paths = [find_results(Path(p)) for p in (args.run_a, args.run_b)]
        results = [load_results(p) for p in paths]
    except (FileNotFoundError, ResultsFileError) as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    names = (args.run_a, args.run_b) if args.run_a != args.run_b else ("A", "B")
    if not args.routes:
        print(compare_runs(results[0], results[1], names=names).render(args.format), end="")
        return EXIT_OK
    if args.format in ("text", "markdown"):
        print(f"A = {names[0]}, B = {names[1]}\n")
    print(compare_routes(results[0], results[1]).render(args.format), end="")
    return EXIT_OK


@command("webapp")
def cmd_webapp(args: argparse.Namespace) -> int:
    from lead_framework.webapp import WebAppError, serve

    try:
        serve(Path(args.run_dir), host=args.host, port=args.port, open_browser=not args.no_browser)
    except WebAppError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    except OSError as exc:
        _err(f"error: cannot serve on {args.host}:{args.port}: {exc}; pick another --port (0 picks a free one)")
        return EXIT_FAILED
    return EXIT_OK


class PluginCommand(Protocol):
    """A ``leadfw`` subcommand registered by a plugin through ``lead_register_commands``."""

    help: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:
    for component in get_plugins().registry.by_kind("commands").values():
        if component.name in sub.choices:
            _err(f"warning: plugin {component.plugin!r} registers command {component.name!r}, which leadfw already has; ignored")
            continue
        handler = component.create()
        parser = sub.add_parser(component.name, help=f"{handler.help} [{component.distribution}]")
        handler.add_arguments(parser)
        parser.set_defaults(plugin_handler=handler)


def build_parser() -> argparse.ArgumentParser:
    from lead_framework.scaffold import TEMPLATES

    parser = argparse.ArgumentParser(prog="leadfw", description="LEAD framework: run, validate and inspect driving experiments.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run experiment files one after another (resumes by default)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--force", action="store_true", help="run every stage again (old results are moved aside)")

    p = sub.add_parser("validate", help="check experiment files without running them")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = sub.add_parser("plugins", help="list installed plugins and their components")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("data", help="inspect and verify data sets (WebDataset shards)")
    data_sub = p.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    inspect = data_sub.add_parser("inspect", help="counts per bucket attribute; render a sample to PNG")
    inspect.add_argument("directory")
    inspect.add_argument("--png", help="write the first sample's members as one image")
    verify = data_sub.add_parser("verify", help="check every shard against the index (sizes, hashes, keys)")
    verify.add_argument("directory")

    p = sub.add_parser("compare", help="compare the results of two evaluation runs")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("--format", default="text", choices=["text", "markdown", "csv", "json"])
    p.add_argument("--routes", action="store_true", help="DS and RC route by route instead of the totals")

    p = sub.add_parser("webapp", help="browse evaluated routes: video beside infractions, click to seek")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run folder of an experiment with an evaluate stage")
    p.add_argument("--port", type=int, default=0, help="port to serve on (default 0: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--no-browser", action="store_true", help="print the URL without opening a browser")

    p = sub.add_parser("plugin", help="plugin authoring tools")
    plugin_sub = p.add_subparsers(dest="plugin_command", required=True, metavar="SUBCOMMAND")
    new = plugin_sub.add_parser("new", help="write a ready plugin folder")
    new.add_argument("name", help="plugin name, e.g. my_benchmark (distribution lead-my-benchmark)")
    new.add_argument("--kind", required=True, choices=sorted(TEMPLATES), help="the component kind it provides")
    new.add_argument("--directory", default=".", help="where to create the folder (default: here)")
    _add_plugin_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except PluginLoadError as exc:
        _err(f"error: {exc}")
        return EXIT_FAILED
    if getattr(args, "plugin_handler", None) is not None:
        return args.plugin_handler.run(args)
    sub_command = getattr(args, f"{args.command}_command", None)
    name = f"{args.command} {sub_command}" if sub_command else args.command
    try:
        return _COMMANDS[name](args)
    except PluginLoadError as exc:
        _err(f"error: {exc}")
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
