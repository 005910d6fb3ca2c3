"""What every upstream client shares: one pooled connection set, JSON, errors, retries.

Subclass `BaseClient` once per upstream (`fastasync add client NAME` writes one) and
give it typed methods; the lifespan opens one instance for the whole app:

    class GithubClient(BaseClient):
        @classmethod
        def from_settings(cls, settings: Settings) -> "GithubClient":
            return cls(ClientConfig(base_url=settings.github_base_url, ...))

        async def get_repo(self, owner: str, repo: str) -> dict[str, Any]:
            return await self.get(f"/repos/{owner}/{repo}")

Every failure reaches the caller as `UpstreamError` or one of its two subclasses.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
import httpx
import stamina
from anyio import to_thread
from httpx_aiohttp import HttpxAiohttpClient

# Methods that may be sent twice without changing the outcome (RFC 9110, 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Answers that say "try again later" rather than "this request is wrong".
RETRYABLE_STATUS_CODES = frozenset({429, 502, 503, 504})
# An upstream's Retry-After is honoured up to this many seconds.
MAX_RETRY_AFTER = 30.0

_ClientT = TypeVar("_ClientT", bound="BaseClient")


class _NoCookies(httpx.Cookies):
    """A cookie jar that stores nothing (see `_HttpClient`)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _HttpClient(HttpxAiohttpClient):
    """`HttpxAiohttpClient` without httpx's own cookie jar.

    Cookies are kept by the aiohttp session under the transport already; httpx
    would parse every response again to store them a second time (~40 us a call).
    """

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        msg = "This client keeps no httpx cookies: send them per request."
        raise TypeError(msg)


class UpstreamError(Exception):
    """An upstream call failed; the one error type a client raises.

    Raised as is when the upstream answered with a non-2xx status (`status_code` and
    `body` set) or with a body that is not JSON. Its subclasses `UpstreamTimeout`
    and `UpstreamConnectionError` mean no answer came (`status_code` is None).
    `url` leaves out the query string, which may carry credentials.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status_code: int | None = None,
        body: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.status_code = status_code
        self.body = body
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    """The upstream did not connect or answer within the configured timeouts."""


class UpstreamConnectionError(UpstreamError):
    """The connection could not be made or broke before the answer was complete."""


@dataclass(frozen=True)
class ClientConfig:
    """How to reach one upstream; each client's `from_settings` fills it."""

    base_url: str
    # Seconds to wait for each read, and for a free connection from the pool.
    timeout: float = 30.0
    # Seconds to wait for a TCP (and TLS) connection to be made.
    connect_timeout: float = 5.0
    max_connections: int = 100
    max_keepalive_connections: int = 20
    # Extra attempts for idempotent requests after a transient failure.
    retries: int = 2


class BaseClient:
    """One upstream's shared client: JSON in and out, one error type, safe retries.

    Use it as an async context manager (the lifespan does) and share the instance:
    its connection pool is what makes calls fast.
    """

    def __init__(
        self, config: ClientConfig, *, headers: Mapping[str, str] | None = None
    ) -> None:
        self.config = config
        self._headers = dict(headers or {})
        self._http: httpx.AsyncClient | None = None
        # httpx parses the base URL and the path again on every request; the
        # absolute URL of each path is cached instead (httpx URLs are immutable).
        self._absolute_url = lru_cache(maxsize=1024)(self._merge_url)
        self._retrying = stamina.AsyncRetryingCaller(
            attempts=config.retries + 1,
            # Attempts bound the retries; a total time limit would forbid retrying
            # calls that are slow by nature.
            timeout=None,
        )

    async def __aenter__(self: _ClientT) -> _ClientT:
        # Creating the transport builds an SSL context, which reads the CA bundle
        # from disk: blocking I/O, so it happens in a worker thread.
        self._http = await to_thread.run_sync(self._build_http_client)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _build_http_client(self) -> httpx.AsyncClient:
        """Build httpx's API over the aiohttp transport, whose pool is much faster.

        `HttpxAiohttpClient` is httpx's client with that transport everywhere, for
        proxied requests (HTTPS_PROXY and friends) too.
        """
        config = self.config
        return _HttpClient(
            base_url=config.base_url,
            headers=self._headers,
            # Explicit, because httpx's 5 s default cuts off slow upstreams. The
            # aiohttp transport applies `connect` to making the connection, the
            # main timeout to each read and to getting a connection from the pool.
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
            # aiohttp caps the pool at max_connections; it keeps idle connections
            # for keepalive_expiry but has no separate cap on how many.
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_keepalive_connections,
            ),
        )

    def _merge_url(self, url: str) -> httpx.URL:
        """`url` resolved against the base URL, as httpx's `build_request` does."""
        merged = httpx.URL(url)
        if not merged.is_relative_url:
            return merged
        base = self.http.base_url
        return base.copy_with(raw_path=base.raw_path + merged.raw_path.lstrip(b"/"))

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying httpx client, for what the JSON methods don't cover."""
        if self._http is None:
            msg = f"{type(self).__name__} is not open: use it with `async with`"
            raise RuntimeError(msg)
        return self._http

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET `url` (relative to the base URL) and return its JSON; retried."""
        return await self.request("GET", url, params=params, headers=headers)

    async def post(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST `json` to `url` and return the JSON answer; never retried."""
        return await self.request(
            "POST", url, json=json, params=params, headers=headers
        )

    async def put(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """PUT `json` to `url` and return the JSON answer; retried."""
        return await self.request("PUT", url, json=json, params=params, headers=headers)

    async def patch(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """PATCH `url` with `json` and return the JSON answer; never retried."""
        return await self.request(
            "PATCH", url, json=json, params=params, headers=headers
        )

    async def delete(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """DELETE `url` and return the JSON answer, or None; retried."""
        return await self.request("DELETE", url, params=params, headers=headers)

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send a request and return its JSON body (None if empty), or raise.

        Idempotent methods are retried, with exponential backoff and jitter, after
        timeouts, connection errors and 429/502/503/504 answers; others never are.
        """
        method = method.upper()
        # The first attempt goes without stamina: setting up its retry loop costs
        # more CPU than the rest of the call (~100 us). Only a retryable failure of
        # an idempotent request pays for it.
        try:
            return await self._send(
                method, url, json=json, params=params, headers=headers
            )
        except UpstreamError as exc:
            if method not in IDEMPOTENT_METHODS or not _retry_backoff(exc):
                raise
            first_failure: UpstreamError | None = exc

        async def attempt() -> Any:
            # stamina's first attempt re-raises the failure above, so backoff (or
            # the upstream's Retry-After), the attempt count and stamina's hooks
            # work exactly as if stamina had made that attempt itself.
            nonlocal first_failure
            if first_failure is not None:
                failure, first_failure = first_failure, None
                raise failure
            return await self._send(
                method, url, json=json, params=params, headers=headers
            )

        return await self._retrying(_retry_backoff, attempt)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> Any:
        """Send one attempt and turn every failure into an `UpstreamError`."""
        request = self.http.build_request(
            method,
            self._absolute_url(url) if isinstance(url, str) else url,
            json=json,
            params=params,
            headers=headers,
        )
        try:
            response = await self.http.send(request)
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise _no_answer_error(exc, method, _error_url(request)) from exc

        if not response.is_success:
            target = _error_url(request)
            raise UpstreamError(
                f"{method} {target} answered {response.status_code}: "
                f"{response.text[:200]}",
                method=method,
                url=target,
                status_code=response.status_code,
                body=response.text,
                retry_after=_retry_after(response),
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            target = _error_url(request)
            raise UpstreamError(
                f"{method} {target} answered with a body that is not JSON",
                method=method,
                url=target,
                status_code=response.status_code,
                body=response.text,
            ) from exc


def _error_url(request: httpx.Request) -> str:
    """The URL errors name: without the query string, which may carry credentials."""
    return str(request.url.copy_with(query=None))


def _no_answer_error(exc: Exception, method: str, url: str) -> UpstreamError:
    """Classify a failure that left no answer: timeout, connection, or other."""
    # httpx-aiohttp reports every aiohttp connection error, even a refused
    # connection, as httpx.ConnectTimeout: the aiohttp error it wraps tells better.
    cause = exc.__cause__ if isinstance(exc.__cause__, aiohttp.ClientError) else exc
    what = type(cause).__name__
    if isinstance(cause, (httpx.TimeoutException, aiohttp.ServerTimeoutError)):
        msg = f"{method} {url} timed out ({what})"
        return UpstreamTimeout(msg, method=method, url=url)
    if isinstance(
        cause,
        (httpx.NetworkError, httpx.RemoteProtocolError, aiohttp.ClientConnectionError),
    ):
        msg = f"{method} {url}: connection failed ({what}: {cause})"
        return UpstreamConnectionError(msg, method=method, url=url)
    msg = f"{method} {url} failed ({what}: {cause})"
    return UpstreamError(msg, method=method, url=url)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the upstream asked us to wait (delta-seconds form only), capped."""
    value = response.headers.get("Retry-After", "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    return min(float(value), MAX_RETRY_AFTER)


def _retry_backoff(exc: Exception) -> bool | float:
    """Tell stamina whether to retry, and after how long if the upstream said."""
    if isinstance(exc, (UpstreamTimeout, UpstreamConnectionError)):
        return True
    if isinstance(exc, UpstreamError) and exc.status_code in RETRYABLE_STATUS_CODES:
        return True if exc.retry_after is None else exc.retry_after
    return False
