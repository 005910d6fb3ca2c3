"""How to reach one upstream: the settings of one shared client, checked when made."""

import math
from dataclasses import dataclass

import httpx
from pydantic import SecretStr


@dataclass(frozen=True)
class ClientConfig:
    """How to reach one upstream; each client's `from_settings` fills it.

    Checked when it is made: a value that cannot work raises `ValueError` naming it.
    """

    base_url: str
    # Seconds to wait for each read, and for a connection (from the pool or new).
    timeout: float = 30.0
    # Seconds to wait for a TCP (and TLS) connection to be made.
    connect_timeout: float = 5.0
    # Seconds one call may take in all, retries and their waits included: an
    # upstream that sends a byte now and then never trips the read timeout.
    deadline: float = 120.0
    # Connections open at once to this upstream; further calls wait for one.
    max_connections: int = 100
    # Extra attempts for idempotent requests after a transient failure.
    retries: int = 2
    # Largest answer body read, in bytes, counted after decompression (16 MiB); a
    # larger one raises `UpstreamError` instead of filling the app's memory.
    max_response_bytes: int = 16 * 1024 * 1024
    # Sent with every request in the header `BaseClient.api_key_header`.
    api_key: SecretStr | None = None

    def __post_init__(self) -> None:
        url = httpx.URL(self.base_url)
        is_http = url.scheme in ("http", "https") and bool(url.host)
        for name, ok, wanted in [
            ("base_url", is_http, "an absolute http(s) URL"),
            ("timeout", _seconds(self.timeout), "seconds above 0"),
            ("connect_timeout", _seconds(self.connect_timeout), "seconds above 0"),
            ("deadline", _seconds(self.deadline), "seconds above 0"),
            ("max_connections", self.max_connections >= 1, "1 or more"),
            ("retries", self.retries >= 0, "0 or more"),
            ("max_response_bytes", self.max_response_bytes >= 1, "1 or more"),
        ]:
            if not ok:
                value = getattr(self, name)
                msg = f"ClientConfig.{name} must be {wanted}, not {value!r}."
                raise ValueError(msg)


def _seconds(value: float) -> bool:
    return isinstance(value, (int, float)) and 0 < value < math.inf
