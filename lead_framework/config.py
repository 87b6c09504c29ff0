"""Experiment files: YAML structured into attrs classes in two phases, with precise error paths.

Phase 1 checks the core schema (``name``, ``seed``, ``output``, ``world``, ``stages``). Phase 2
structures every component section with the config class that its plugin registered, so a typo
inside a plugin's section is caught as surely as one in the core. Every problem is reported with
the file and a JSONPath-like location, all problems at once::

    experiments/x.yaml: $.stages[1].train.lr: must be > 0

A stage config field that names another component declares it in its metadata, e.g.
``agent: ComponentSpec = attrs.field(metadata={"component": "agents"})``; the YAML value is then a
name (``agent: pdm_expert``) or a mapping with ``name`` and that component's options; with
``"component_list": True`` in the metadata also a list of those.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import attrs
import cattrs
import yaml

from lead_framework.registry import Registry, UnknownComponentError
from lead_framework.suggestions import close_names, did_you_mean
from lead_framework.validators import FieldValueError

STAGE_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@attrs.define
class ConfigIssue:
    path: str
    message: str


class ExperimentError(Exception):
    """One or more problems in an experiment file; ``str()`` gives one line per problem."""

    def __init__(self, source: str, issues: list[ConfigIssue]):
        self.source, self.issues = source, issues
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.source}: {issue.path}: {issue.message}" if issue.path else f"{self.source}: {issue.message}" for issue in self.issues]


@attrs.define
class ComponentSpec:
    """A component chosen by name, with its structured config."""

    kind: str
    name: str
    config: Any

    def create(self, registry: Registry | None = None) -> Any:
        from lead_framework.plugins import get_registry

        return (registry or get_registry()).get(self.kind, self.name).create(self.config)


@attrs.define
class StageSpec:
    """One stage of an experiment: its kind (``collect``, ``train``, ...), unique name and config."""

    kind: str
    name: str
    config: Any


@attrs.define
class Experiment:
    """A fully resolved experiment."""

    name: str
    seed: int
    output: Path
    world: ComponentSpec | None
    stages: list[StageSpec]
    source: Path | None = None
    description: str = ""

    def resolved(self) -> dict[str, Any]:
        """The experiment with every default filled in, as plain data (written next to outputs)."""
        data: dict[str, Any] = {"name": self.name, "seed": self.seed, "output": str(self.output)}
        if self.description:
            data["description"] = self.description
        if self.world is not None:
            data["world"] = unstructure_component(self.world)
        data["stages"] = [{stage.kind: {"name": stage.name, **unstructure(stage.config)}} for stage in self.stages]
        return data


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(Path, lambda value, _: Path(value))
    converter.register_unstructure_hook(Path, str)
    converter.register_structure_hook(ComponentSpec, lambda value, _: value if isinstance(value, ComponentSpec) else _bad_component(value))
    # ``ComponentSpec | list[ComponentSpec] | None`` (``component_list`` fields), already resolved by _resolve_components
    converter.register_structure_hook_func(lambda type_: ComponentSpec in typing.get_args(type_), _resolved_components)
    converter.register_unstructure_hook(ComponentSpec, lambda spec: unstructure_component(spec))
    return converter


def _resolved_components(value: Any, _: Any) -> ComponentSpec | list[ComponentSpec] | None:
    if value is None or isinstance(value, ComponentSpec):
        return value
    if isinstance(value, list) and all(isinstance(item, ComponentSpec) for item in value):
        return value
    return _bad_component(value)


def _bad_component(value: Any) -> ComponentSpec:
    raise TypeError(f"expected a component name or mapping, got {value!r}")


converter = _make_converter()


def unstructure(value: Any) -> Any:
    return converter.unstructure(value)


def unstructure_component(spec: ComponentSpec) -> dict[str, Any]:
    return {"name": spec.name, **unstructure(spec.config)}


# -- loading -------------------------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """Read a YAML file; raise ExperimentError with line and column on a syntax error."""
    source = str(path)
    if not path.exists():
        raise ExperimentError(source, [ConfigIssue("", "file not found; check the path (experiments live in experiments/*.yaml)")])
    if path.is_dir():
        raise ExperimentError(source, [ConfigIssue("", "is a folder, not an experiment file; pass a .yaml file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError(source, [ConfigIssue("", f"cannot be read ({exc}); check permissions and encoding (UTF-8)")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ExperimentError(source, [ConfigIssue("", f"{where}invalid YAML: {problem}; fix the syntax there (indentation, quotes, colons)")]) from None
    except yaml.YAMLError as exc:
        raise ExperimentError(source, [ConfigIssue("", f"invalid YAML: {exc}")]) from None
    if data is None:
        raise ExperimentError(source, [ConfigIssue("", "file is empty; an experiment needs at least `name:` and `stages:`")])
    return data


@attrs.define
class _ExperimentFile:
    """The core schema of an experiment file (phase 1)."""

    name: str
    stages: Any
    seed: int = 0
    output: str | None = None
    description: str = ""
    world: Any = None


def load_experiment(path: str | Path, registry: Registry | None = None) -> Experiment:
    """Load and fully validate an experiment file; raise ExperimentError listing every problem."""
    path = Path(path)
    return parse_experiment(read_yaml(path), str(path), registry, source_path=path)


def parse_experiment(data: Any, source: str, registry: Registry | None = None, *, source_path: Path | None = None) -> Experiment:
    from lead_framework.plugins import get_registry

    registry = registry or get_registry()
    issues: list[ConfigIssue] = []
    if not isinstance(data, dict):
        raise ExperimentError(source, [ConfigIssue("$", f"must be a mapping with `name:` and `stages:`, got {type(data).__name__}")])
    try:
        top = converter.structure(data, _ExperimentFile)
    except Exception as exc:  # noqa: BLE001 - reported as config issues
        issues.extend(_issues_from_exception(exc, "$"))
        raise ExperimentError(source, issues) from None

    world = None
    if top.world is not None:
        world = _structure_component(top.world, "worlds", "$.world", registry, issues)
    stages = _structure_stages(top.stages, registry, issues)
    if issues:
        raise ExperimentError(source, issues)
    output = Path(top.output) if top.output else Path("outputs") / top.name
    return Experiment(top.name, top.seed, output, world, stages, source_path, top.description)


def _structure_stages(raw: Any, registry: Registry, issues: list[ConfigIssue]) -> list[StageSpec]:
    if not isinstance(raw, list):
        issues.append(ConfigIssue("$.stages", f"must be a list of stages (`- collect: {{...}}` items), got {type(raw).__name__}; start each stage with '- '"))
        return []
    if not raw:
        issues.append(ConfigIssue("$.stages", "is empty; add at least one stage such as `- evaluate: {...}`"))
    stages: list[StageSpec] = []
    seen: dict[str, int] = {}
    counts: dict[str, int] = {}
    for index, entry in enumerate(raw):
        path = f"$.stages[{index}]"
        if not isinstance(entry, dict) or len(entry) != 1:
            issues.append(ConfigIssue(path, "must be a mapping with exactly one stage kind, e.g. `- train: {epochs: 2}`"))
            continue
        ((kind, options),) = entry.items()
        options = {} if options is None else options
        if not isinstance(options, dict):
            issues.append(ConfigIssue(f"{path}.{kind}", f"must be a mapping of options, got {type(options).__name__}"))
            continue
        options = dict(options)
        counts[kind] = counts.get(kind, 0) + 1
        explicit = options.pop("name", None)
        name = explicit if explicit is not None else (kind if counts[kind] == 1 else f"{kind}_{counts[kind]}")
        if not isinstance(name, str) or not STAGE_NAME_PATTERN.match(name):
            issues.append(ConfigIssue(f"{path}.{kind}.name", f"must be a word of letters, digits, '_' or '-', got {name!r}"))
            continue
        if name in seen:
            issues.append(ConfigIssue(f"{path}.{kind}.name", f"duplicate stage name {name!r} (also $.stages[{seen[name]}]); give each stage a unique `name:`"))
            continue
        seen[name] = index
        try:
            component = registry.get("stages", kind)
        except UnknownComponentError as exc:
            issues.append(ConfigIssue(path, exc.message().replace("unknown stage", "unknown stage kind")))
            continue
        config = _structure_config(component.config_class, options, f"{path}.{kind}", registry, issues)
        if config is not None:
            stages.append(StageSpec(kind, name, config))
    return stages


def _structure_component(raw: Any, kind: str, path: str, registry: Registry, issues: list[ConfigIssue]) -> ComponentSpec | None:
    if isinstance(raw, str):
        name, options = raw, {}
    elif isinstance(raw, dict) and isinstance(raw.get("name"), str):
        options = dict(raw)
        name = options.pop("name")
    else:
        noun = kind.removesuffix("s")
        article = "an" if noun[0] in "aeiou" else "a"
        issues.append(ConfigIssue(path, f"must be {article} {noun} name or a mapping with `name:` and its options, got {raw!r}"))
        return None
    try:
        component = registry.get(kind, name)
    except UnknownComponentError as exc:
        issues.append(ConfigIssue(path, exc.message()))
        return None
    config = _structure_config(component.config_class, options, path, registry, issues)
    return None if config is None else ComponentSpec(kind, name, config)


def _structure_config(cls: type, options: dict[str, Any], path: str, registry: Registry, issues: list[ConfigIssue]) -> Any:
    """Structure ``options`` into ``cls``; component-valued fields are resolved first."""
    before = len(issues)
    options = _resolve_components(cls, options, path, registry, issues)
    try:
        config = converter.structure(options, cls)
    except Exception as exc:  # noqa: BLE001 - reported as config issues
        issues.extend(_issues_from_exception(exc, path))
        return None
    return config if len(issues) == before else None


def _resolve_components(cls: type, options: dict[str, Any], path: str, registry: Registry, issues: list[ConfigIssue]) -> dict[str, Any]:
    """``options`` with every component-valued field of ``cls`` turned into a :class:`ComponentSpec`,
    also inside nested config classes (``routes: {benchmark: {name: ...}}``); the rest stays raw."""
    options = dict(options)
    try:
        nested_types = typing.get_type_hints(cls)
    except NameError:  # an annotation imported only for type checkers: no nested sections to resolve
        nested_types = {}
    for field in attrs.fields(cls):
        value = options.get(field.name)
        if value is None:
            continue
        kind = field.metadata.get("component")
        nested = _attrs_class(nested_types.get(field.name))
        before = len(issues)
        if kind and isinstance(value, list) and field.metadata.get("component_list"):
            resolved = [_structure_component(item, kind, f"{path}.{field.name}[{k}]", registry, issues) for k, item in enumerate(value)]
        elif kind:
            resolved = _structure_component(value, kind, f"{path}.{field.name}", registry, issues)
        elif nested is not None and isinstance(value, dict):
            resolved = _resolve_components(nested, value, f"{path}.{field.name}", registry, issues)
        else:
            continue
        if len(issues) > before:
            del options[field.name]  # already reported: check the other fields without it
        else:
            options[field.name] = resolved
    return options


def _attrs_class(annotation: Any) -> type | None:
    """The attrs class an annotation names, also as ``X | None``; None for anything else."""
    candidates = [annotation, *typing.get_args(annotation)]
    return next((c for c in candidates if isinstance(c, type) and attrs.has(c)), None)


def _issues_from_exception(exc: BaseException, path: str, expected: Any = None) -> list[ConfigIssue]:
    """Turn a (possibly nested) structuring failure into located issues."""
    if isinstance(exc, cattrs.ClassValidationError):
        with_notes, others = exc.group_exceptions()
        found = [issue for inner, note in with_notes for issue in _issues_from_exception(inner, f"{path}.{note.name}", note.type)]
        return found + [issue for inner in others for issue in _issues_from_exception(inner, path)]
    if isinstance(exc, cattrs.IterableValidationError):
        with_notes, others = exc.group_exceptions()
        found = [issue for inner, note in with_notes for issue in _issues_from_exception(inner, f"{path}[{note.index}]", note.type)]
        return found + [issue for inner in others for issue in _issues_from_exception(inner, path)]
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        known = [field.name for field in attrs.fields(exc.cl)] if exc.cl and attrs.has(exc.cl) else []
        return [ConfigIssue(f"{path}.{key}", _unknown_key_message(key, known)) for key in sorted(exc.extra_fields)]
    if isinstance(exc, FieldValueError):
        return [ConfigIssue(f"{path}.{exc.field}", str(exc))]
    if isinstance(exc, KeyError):
        return [ConfigIssue(path, "is required")]
    if isinstance(exc, TypeError) and "required" in str(exc):
        missing = re.findall(r"'(\w+)'", str(exc))
        return [ConfigIssue(f"{path}.{name}", "is required") for name in missing] or [ConfigIssue(path, str(exc))]
    if isinstance(exc, (ValueError, TypeError)):
        if expected is not None:
            return [ConfigIssue(path, f"expected {_type_name(expected)}; {exc}")]
        return [ConfigIssue(path, f"has the wrong type or value ({exc})")]
    return [ConfigIssue(path, str(exc))]


def _type_name(type_: Any) -> str:
    return getattr(type_, "__name__", None) or str(type_).replace("typing.", "")


def _unknown_key_message(key: str, known: list[str]) -> str:
    otherwise = f"allowed: {', '.join(known)}" if known else "this section takes no options"
    return "unknown key; " + did_you_mean(close_names(key, known, n=1, cutoff=0.6), otherwise)
