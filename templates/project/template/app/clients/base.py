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
One instance serves every caller of the app, so it keeps nothing between calls:
no cookies (give them per call with `cookies=`), no state from an earlier answer.
"""

import ssl
from collections.abc import Callable, Mapping
from functools import lru_cache
from json import loads as json_loads
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
import anyio
import httpx
import stamina
from anyio import to_thread
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient

from app.clients.config import ClientConfig
from app.clients.errors import (
    UpstreamConnectionError,
    UpstreamError,
    UpstreamTimeout,
    error_url,
    no_answer_error,
    retry_after,
    retry_backoff,
)

# httpx's own types for the transport hooks' signatures.
CertTypes = str | tuple[str, str] | tuple[str, str, str]
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

# Methods that may be sent twice without changing the outcome (RFC 9110, 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Seconds an idle pooled connection is kept for reuse (httpx's default). Servers
# often close idle connections after 5 s; a longer wait would find them closed.
KEEPALIVE_EXPIRY = 5.0

__all__ = [
    "IDEMPOTENT_METHODS",
    "BaseClient",
    "ClientConfig",
    "UpstreamConnectionError",
    "UpstreamError",
    "UpstreamTimeout",
]

_ClientT = TypeVar("_ClientT", bound="BaseClient")


class _NoCookies(httpx.Cookies):
    """A cookie jar that stores nothing (see `_HttpClient`)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _HttpClient(HttpxAiohttpClient):
    """httpx's client over the aiohttp transport, keeping no cookies anywhere.

    The client is shared by every caller of the app: a cookie that an upstream set
    in its answer to one caller must never go out with another caller's request.
    So httpx's own jar stores nothing, and every aiohttp session under the
    transports (the direct one and one per proxy) comes from `new_session`, which
    gives it a `DummyCookieJar`.
    """

    _no_cookies = _NoCookies()

    def __init__(
        self, *, new_session: Callable[[], aiohttp.ClientSession], **kwargs: Any
    ) -> None:
        # Set first: httpx's __init__ builds the transports.
        self._new_session = new_session
        super().__init__(**kwargs)

    # Same signatures as httpx.AsyncClient's hooks; only `verify` and the
    # proxy matter to the aiohttp transport, the pool is sized by the session.
    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return AiohttpTransport(verify=verify, client=self._new_session)

    def _init_proxy_transport(
        self,
        proxy: httpx.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        **kwargs: Any,
    ) -> httpx.AsyncBaseTransport:
        return AiohttpTransport(verify=verify, proxy=proxy, client=self._new_session)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        msg = "A shared client keeps no cookies: send them per request."
        raise TypeError(msg)


class BaseClient:
    """One upstream's shared client: JSON in and out, one error type, safe retries.

    Use it as an async context manager (the lifespan does) and share the instance:
    its connection pool is what makes calls fast.
    """

    # Where `config.api_key` goes: `Authorization: Bearer <key>` unless a subclass
    # says otherwise (e.g. api_key_header = "X-API-Key", api_key_prefix = "").
    api_key_header = "Authorization"
    api_key_prefix = "Bearer "

    def __init__(
        self, config: ClientConfig, *, headers: Mapping[str, str] | None = None
    ) -> None:
        self.config = config
        self._headers = dict(headers or {})
        self._http: httpx.AsyncClient | None = None
        self._timeout = httpx.Timeout(
            config.timeout, connect=config.connect_timeout
        ).as_dict()
        # httpx parses the base URL and the path again on every request; the
        # absolute URL of each path is cached instead (httpx URLs are immutable).
        self._absolute_url = lru_cache(maxsize=1024)(self._merge_url)
        self._retrying = stamina.AsyncRetryingCaller(
            attempts=config.retries + 1,
            # No retry starts after the deadline; the deadline itself is enforced
            # around the whole call (see `request`).
            timeout=config.deadline,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r})"

    async def __aenter__(self: _ClientT) -> _ClientT:
        # Creating the SSL context reads the CA bundle from disk: blocking I/O,
        # so the client is built in a worker thread.
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

        The transport is httpx-aiohttp's, for proxied requests (HTTPS_PROXY and
        friends) too; its aiohttp sessions are made here, without a cookie jar.
        """
        config = self.config
        ssl_context = httpx.create_ssl_context()

        def new_session() -> aiohttp.ClientSession:
            # Called by the transport on its first request, on the event loop.
            return aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=config.max_connections,
                    keepalive_timeout=KEEPALIVE_EXPIRY,
                    ssl=ssl_context,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
            )

        headers = dict(self._headers)
        # An empty key (`NAME_API_KEY=` in .env) counts as none.
        secret = config.api_key.get_secret_value() if config.api_key else ""
        if secret:
            headers[self.api_key_header] = self.api_key_prefix + secret
        return _HttpClient(
            new_session=new_session,
            verify=ssl_context,
            base_url=config.base_url,
            headers=headers,
            # Explicit, because httpx's 5 s default cuts off slow upstreams.
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
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
        cookies: dict[str, str] | None = None,
    ) -> Any:
        """GET `url` (relative to the base URL) and return its JSON; retried."""
        return await self.request(
            "GET", url, params=params, headers=headers, cookies=cookies
        )

    async def post(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> Any:
        """POST `json` to `url` and return the JSON answer; never retried."""
        return await self.request(
            "POST", url, json=json, params=params, headers=headers, cookies=cookies
        )

    async def put(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> Any:
        """PUT `json` to `url` and return the JSON answer; retried."""
        return await self.request(
            "PUT", url, json=json, params=params, headers=headers, cookies=cookies
        )

    async def patch(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> Any:
        """PATCH `url` with `json` and return the JSON answer; never retried."""
        return await self.request(
            "PATCH", url, json=json, params=params, headers=headers, cookies=cookies
        )

    async def delete(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> Any:
        """DELETE `url` and return the JSON answer, or None; retried."""
        return await self.request(
            "DELETE", url, params=params, headers=headers, cookies=cookies
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> Any:
        """Send a request and return its JSON body (None if empty), or raise.

        Idempotent methods are retried, with exponential backoff and jitter, after
        timeouts, connection errors and 429/502/503/504 answers; others never are.
        The whole call, retries included, ends by `config.deadline` seconds.
        """
        method = method.upper()
        with anyio.move_on_after(self.config.deadline):
            return await self._request(method, url, json, params, headers, cookies)
        # Only reached when the deadline cancelled the call.
        target = error_url(self._absolute_url(url))
        msg = f"{method} {target} did not finish within {self.config.deadline:g} s"
        raise UpstreamTimeout(msg, method=method, url=target)

    async def _request(
        self,
        method: str,
        url: str,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        cookies: dict[str, str] | None,
    ) -> Any:
        # The first attempt goes without stamina: setting up its retry loop costs
        # more CPU than the rest of the call (~100 us). Only a retryable failure of
        # an idempotent request pays for it.
        try:
            return await self._send(method, url, json, params, headers, cookies)
        except UpstreamError as exc:
            if method not in IDEMPOTENT_METHODS or not retry_backoff(exc):
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
            return await self._send(method, url, json, params, headers, cookies)

        return await self._retrying(retry_backoff, attempt)

    async def _send(
        self,
        method: str,
        url: str,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        cookies: dict[str, str] | None,
    ) -> Any:
        """Send one attempt and turn every failure into an `UpstreamError`."""
        http = self.http
        if headers:
            merged = httpx.Headers(http.headers)
            merged.update(headers)
        request = httpx.Request(
            method,
            self._absolute_url(url),
            params=params,
            headers=merged if headers else http.headers,
            cookies=dict(cookies) if cookies is not None else None,
            json=json,
            extensions={"timeout": self._timeout},
        )
        # The transport for this URL (a proxy's, when one is configured), called
        # directly: httpx's `send` adds auth flows, redirects and hooks this client
        # does not use, at a cost of ~100 us of CPU per call. Mocks of respx's
        # "httpx" kind replace this same method, so tests still see every request.
        transport = http._transport_for_url(request.url)
        try:
            response = await transport.handle_async_request(request)
            content = await _read_body(response)
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise no_answer_error(exc, method, error_url(request.url)) from exc

        if not 200 <= response.status_code < 300:
            target = error_url(request.url)
            # Decoded as httpx would (the charset of the answer, else a guess).
            text = httpx.Response(
                response.status_code, headers=response.headers, content=content
            ).text
            # The body stays out of the message (it may echo secrets or personal
            # data, and messages end up in logs); code that needs it reads `body`.
            raise UpstreamError(
                f"{method} {target} answered {response.status_code}",
                method=method,
                url=target,
                status_code=response.status_code,
                body=text,
                retry_after=retry_after(response),
            )
        if not content:
            return None
        try:
            return json_loads(content)
        except ValueError as exc:
            target = error_url(request.url)
            raise UpstreamError(
                f"{method} {target} answered with a body that is not JSON",
                method=method,
                url=target,
                status_code=response.status_code,
                body=content.decode("utf-8", errors="replace"),
            ) from exc


async def _read_body(response: httpx.Response) -> bytes:
    """The whole body of `response`, its connection back in the pool after it.

    An answer of the aiohttp transport is read by aiohttp in one call: httpx's
    chunk-by-chunk stream costs ~70 us of CPU more per call. Other transports
    (respx's mocks, for one) go through httpx's own reading.
    """
    answer = getattr(response.stream, "_aiohttp_response", None)
    if not isinstance(answer, aiohttp.ClientResponse):
        try:
            return await response.aread()
        finally:
            await response.aclose()
    try:
        # aiohttp puts the connection back in the pool once the body is read.
        return await answer.read()
    except BaseException:
        # A half-read answer (a timeout, a cancelled call): the connection is
        # closed, never reused.
        answer.close()
        raise
