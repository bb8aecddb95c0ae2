"""Errors that nucleate reports to users as one clear line (the CLI prints no traceback)."""

from __future__ import annotations


class NucleateError(Exception):
    """Base class of every error that nucleate reports to a user as one line."""


class InputError(NucleateError, ValueError):
    """Bad or unreadable input: a missing file, a malformed frame, an impossible selection."""


class NoLayerError(InputError):
    """The liquid shows no detectable layer next to the substrate."""
