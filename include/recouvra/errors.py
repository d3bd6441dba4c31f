"""Typed errors that carry what a person needs to act on them."""

from __future__ import annotations


class RecouvraError(Exception):
    """Base of every error the pipeline raises on purpose."""


class ConfigError(RecouvraError):
    """The configuration cannot be used; the message names the key and the reason."""


class SourceError(RecouvraError):
    """The operational source cannot be read or written as asked."""


class WarehouseError(RecouvraError):
    """A warehouse migration or load failed; the message names the file or table."""
