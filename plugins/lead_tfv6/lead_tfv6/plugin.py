"""Registers TransFuser v6 components with the LEAD framework."""

from lead_framework import hookimpl
