"""Plugin discovery from the entry-point group ``lead_framework``, with broken-plugin isolation.

Each entry point is imported, validated against the hook specs and asked to register its
components on its own: a plugin that fails at any of these steps is recorded as broken with its
error and the others keep working. ``LEADFW_STRICT_PLUGINS=1`` turns a broken plugin into an
exception (used by the tests and CI). ``LEADFW_PLUGINS=a,b`` loads only the named plugins and
``LEADFW_DISABLE_PLUGINS=c`` skips some; names are entry-point or distribution names.
"""

from __future__ import annotations

import importlib.metadata
import os
import traceback
from types import ModuleType
from typing import Any

import attrs
import pluggy

from lead_framework import hookspecs
from lead_framework.registry import (
    KINDS,
    Component,
    EmptyConfig,
    Registry,
    RegistryError,
)


class PluginLoadError(Exception):
    """Raised in strict mode when a plugin cannot be loaded or registered."""


@attrs.define
class PluginInfo:
    """What ``leadfw plugins`` shows for one plugin."""

    name: str
    distribution: str
    version: str
    status: str = "ok"
    error: str | None = None
    hooks: list[str] = attrs.field(factory=list)
    components: dict[str, list[str]] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _env_list(name: str) -> set[str]:
    return {item.strip() for item in os.environ.get(name, "").split(",") if item.strip()}


def _strict() -> bool:
    return os.environ.get("LEADFW_STRICT_PLUGINS", "") not in ("", "0", "false", "no")


class PluginSet:
    """The loaded plugins, their registry, and their status."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.registry = Registry()
        self.infos: dict[str, PluginInfo] = {}

    # -- loading -----------------------------------------------------------------------------
    def load_builtin(self) -> None:
        """The core's own components (stages such as ``evaluate``), as plugin ``core``."""
        from lead_framework import __version__, builtin

        self.add_plugin(builtin, name="core", distribution="lead-framework", version=__version__)

    def load_entry_points(self) -> None:
        allow, block = _env_list("LEADFW_PLUGINS"), _env_list("LEADFW_DISABLE_PLUGINS")
        for ep in sorted(importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else "unknown"
            version = ep.dist.version if ep.dist else "0"
            names = {ep.name, dist}
            if (allow and not names & allow) or names & block:
                continue
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure marks the plugin broken
                self._mark_broken(PluginInfo(ep.name, dist, version), exc)
                continue
            self.add_plugin(module, name=ep.name, distribution=dist, version=version)

    def add_plugin(self, plugin: ModuleType | object, *, name: str, distribution: str = "", version: str = "0") -> PluginInfo:
        """Register one plugin object (a module with hook implementations) and its components."""
        info = PluginInfo(name, distribution or name, version)
        try:
            self.manager.register(plugin, name=name)
            self.manager.check_pending()
        except Exception as exc:  # noqa: BLE001 - a misspelled hook or bad hookimpl marks it broken
            if self.manager.is_registered(plugin):
                self.manager.unregister(plugin)
            return self._mark_broken(info, exc)
        info.hooks = sorted(impl_name for impl_name in dir(plugin) if impl_name.startswith("lead_") and self._is_hookimpl(plugin, impl_name))
        added: list[Component] = []
        try:
            for kind in KINDS:
                hook_name = f"lead_register_{kind}"
                for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
                    if impl.plugin is not plugin:
                        continue
                    register = self._registrar(kind, info, added)
                    impl.function(**{arg: register for arg in impl.argnames if arg == "register"})
        except Exception as exc:  # noqa: BLE001 - a failing registration marks the plugin broken
            for component in added:
                self.registry._components[component.kind].pop(component.name, None)
            self.manager.unregister(plugin)
            return self._mark_broken(info, exc)
        for component in added:
            info.components.setdefault(component.kind, []).append(component.name)
        self.infos[name] = info
        return info

    @staticmethod
    def _is_hookimpl(plugin: object, attr: str) -> bool:
        return hasattr(getattr(plugin, attr, None), f"{hookspecs.PROJECT_NAME}_impl")

    def _registrar(self, kind: str, info: PluginInfo, added: list[Component]):
        def register(name: str, factory: Any, *, config: type | None = None, description: str = "", revision: int = 0) -> None:
            if not isinstance(name, str) or not name:
                raise RegistryError(f"plugin {info.name!r} registered a {kind.removesuffix('s')} with an empty or non-string name")
            if config is not None and not attrs.has(config):
                raise RegistryError(f"{kind.removesuffix('s')} {name!r}: config must be an attrs class, got {config!r}")
            if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
                raise RegistryError(f"{kind.removesuffix('s')} {name!r}: revision must be an integer >= 0, got {revision!r}")
            if not description:
                description = ((getattr(factory, "__doc__", None) or "").strip().splitlines() or [""])[0]
            component = Component(kind, name, factory, config or EmptyConfig, description, info.name, info.distribution, info.version, revision)
            self.registry.add(component)
            added.append(component)

        return register

    def _mark_broken(self, info: PluginInfo, exc: BaseException) -> PluginInfo:
        info.status = "broken"
        info.error = f"{type(exc).__name__}: {exc}"
        self.infos[info.name] = info
        self.registry.broken[info.name] = info.error
        if _strict():
            detail = "".join(traceback.format_exception(exc))
            raise PluginLoadError(f"plugin {info.name!r} ({info.distribution}) is broken: {info.error}\n{detail}") from exc
        return info


_PLUGINS: PluginSet | None = None


def get_plugins(refresh: bool = False) -> PluginSet:
    """The process-wide plugin set, loaded from entry points on first use."""
    global _PLUGINS
    if _PLUGINS is None or refresh:
        plugins = PluginSet()
        plugins.load_builtin()
        plugins.load_entry_points()
        _PLUGINS = plugins
    return _PLUGINS


def get_registry(refresh: bool = False) -> Registry:
    """The registry of all components from the loaded plugins."""
    return get_plugins(refresh).registry


def set_plugins(plugins: PluginSet | None) -> None:
    """Replace the process-wide plugin set (tests; None forces a reload on next use)."""
    global _PLUGINS
    _PLUGINS = plugins
