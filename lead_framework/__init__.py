"""LEAD framework core: hook specifications, registries, experiments, run loop, data and scoring.

The core never imports torch. Components (worlds, sensors, agents, ...) come from plugins that
register through the entry-point group ``lead_framework``.
"""

from lead_framework.hookspecs import hookimpl
from lead_framework.plugins import get_registry
from lead_framework.registry import Component

__version__ = "0.1.0"

__all__ = ["Component", "get_registry", "hookimpl", "__version__"]
