"""Infraction web app: each evaluated route's video beside its infractions, click to seek.

``leadfw webapp RUN_DIR`` serves it; :class:`WebAppServer` embeds it (tests, notebooks).
"""

from lead_framework.webapp.catalog import (
    NotFoundError,
    UnsafePathError,
    WebAppError,
    list_routes,
    route_detail,
)
from lead_framework.webapp.server import WebAppServer, serve

__all__ = ["NotFoundError", "UnsafePathError", "WebAppError", "WebAppServer", "list_routes", "route_detail", "serve"]
