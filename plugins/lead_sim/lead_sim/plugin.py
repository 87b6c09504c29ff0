"""Registers the embedded simulator's components with the LEAD framework."""

from lead_framework import hookimpl
