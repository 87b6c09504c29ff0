"""The closed-loop TFv6 sensor agent (``tfv6``) and the sensor-to-sample conversion it shares with recording.

Importing the package is cheap (config and errors); ``TFv6Agent`` and ``Prediction`` load torch on first use.
"""

from typing import Any

from lead_tfv6.agent.config import TFv6AgentConfig
from lead_tfv6.agent.errors import (
    AgentConfigError,
    CheckpointLoadError,
    RoutePlanError,
    SensorInputError,
)

__all__ = ["AgentConfigError", "CheckpointLoadError", "Prediction", "RoutePlanError", "SensorInputError", "TFv6Agent", "TFv6AgentConfig"]


def __getattr__(name: str) -> Any:
    if name in ("TFv6Agent", "Prediction"):
        from lead_tfv6.agent import agent

        return getattr(agent, name)
    raise AttributeError(f"module 'lead_tfv6.agent' has no attribute {name!r}")
