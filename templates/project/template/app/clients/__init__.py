"""Clients for the upstream HTTP services this app calls, one module per upstream."""

from app.clients.base import (
    BaseClient,
    ClientConfig,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamTimeout,
)

__all__ = [
    "BaseClient",
    "ClientConfig",
    "UpstreamConnectionError",
    "UpstreamError",
    "UpstreamTimeout",
]
