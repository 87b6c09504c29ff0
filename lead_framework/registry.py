"""Typed registries: for each component kind, name -> factory, config class and provenance."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from lead_framework.suggestions import close_names, did_you_mean

#: Component kinds in the order they are listed; each has a hook ``lead_register_<kind>``.
KINDS: tuple[str, ...] = (
    "worlds",
    "sensors",
    "scenarios",
    "datasets",
    "backbones",
    "planners",
    "agents",
    "benchmarks",
    "stages",
    "commands",
)


@attrs.define(frozen=True)
class EmptyConfig:
    """Config class for components that take no options."""


@attrs.define(frozen=True)
class Component:
    """A registered component and where it came from."""

    kind: str
    name: str
    factory: Callable[..., Any]
    config_class: type
    description: str
    plugin: str
    distribution: str
    version: str
    #: Bumped by the plugin when a change alters what the component produces (sensor frames,
    #: driving, scores); ``leadfw run`` then runs the stages that used it again.
    revision: int = 0

    def create(self, config: Any = None) -> Any:
        """Build the component from a config instance (default config when None)."""
        return self.factory(self.config_class() if config is None else config)


class RegistryError(Exception):
    """A registration conflict or an unknown component name."""


class UnknownComponentError(RegistryError, KeyError):
    """A component name that no loaded plugin registered."""

    def __init__(self, kind: str, name: str, known: list[str], broken: list[str]):
        self.kind, self.name, self.known, self.broken = kind, name, known, broken
        super().__init__(self.message())

    def message(self) -> str:
        singular = self.kind.removesuffix("s")
        text = f"unknown {singular} {self.name!r}"
        otherwise = f"known: {', '.join(sorted(self.known))}" if self.known else f"no plugin registers any {self.kind}"
        text += "; " + did_you_mean(close_names(self.name, self.known), otherwise)
        if self.broken:
            text += f" (broken plugins that may provide it: {', '.join(self.broken)}; see `leadfw plugins`)"
        return text

    def __str__(self) -> str:
        return self.message()


class Registry:
    """All registered components, grouped by kind."""

    def __init__(self) -> None:
        self._components: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}
        self.broken: dict[str, str] = {}

    def add(self, component: Component) -> None:
        if component.kind not in self._components:
            raise RegistryError(f"unknown component kind {component.kind!r}; kinds: {', '.join(KINDS)}")
        existing = self._components[component.kind].get(component.name)
        if existing is not None:
            raise RegistryError(
                f"{component.kind.removesuffix('s')} {component.name!r} is registered twice: by plugin "
                f"{existing.plugin!r} ({existing.distribution}) and by plugin {component.plugin!r} "
                f"({component.distribution}); uninstall or disable one (LEADFW_DISABLE_PLUGINS)"
            )
        self._components[component.kind][component.name] = component

    def get(self, kind: str, name: str) -> Component:
        try:
            return self._components[kind][name]
        except KeyError:
            raise UnknownComponentError(kind, name, list(self._components.get(kind, {})), sorted(self.broken)) from None

    def names(self, kind: str) -> list[str]:
        return sorted(self._components[kind])

    def by_kind(self, kind: str) -> dict[str, Component]:
        return dict(self._components[kind])

    def __iter__(self) -> Iterator[Component]:
        for kind in KINDS:
            yield from self._components[kind].values()

    def create(self, kind: str, name: str, config: Any = None) -> Any:
        return self.get(kind, name).create(config)
