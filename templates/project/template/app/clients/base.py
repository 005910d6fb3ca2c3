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

import asyncio
import ssl
from collections.abc import Mapping
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
import httpx
import stamina
import yarl
from anyio import to_thread

from app.clients.config import ClientConfig
from app.clients.errors import (
    UpstreamConnectionError,
    UpstreamError,
    UpstreamTimeout,
    error_url,
    json_or_error,
    no_answer_error,
    retry_backoff,
    status_error,
    too_large_error,
)
from app.clients.http import (
    AIOHTTP_SETS,
    AnswerTooLargeError,
    HttpClient,
    cookie_header,
    json_body,
    new_session,
    send_direct,
    send_httpx,
    to_yarl,
)

# Methods that may be sent twice without changing the outcome (RFC 9110, 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

__all__ = [
    "IDEMPOTENT_METHODS",
    "BaseClient",
    "ClientConfig",
    "UpstreamConnectionError",
    "UpstreamError",
    "UpstreamTimeout",
]

_ClientT = TypeVar("_ClientT", bound="BaseClient")


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
        self._session: aiohttp.ClientSession | None = None
        self._direct: httpx.AsyncBaseTransport | None = None
        # `self.http.headers`, as last sent by `_send_direct` (see `_client_headers`).
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._sent_headers: dict[str, str] = {}
        self._timeout = httpx.Timeout(
            config.timeout, connect=config.connect_timeout
        ).as_dict()
        # The same timeouts, as httpx-aiohttp hands them to aiohttp.
        self._aiohttp_timeout = aiohttp.ClientTimeout(
            sock_connect=config.connect_timeout,
            sock_read=config.timeout,
            connect=config.timeout,
        )
        # httpx parses the base URL and the path again on every request; the
        # absolute URL of each path is cached instead (URLs are immutable).
        self._absolute_url = lru_cache(maxsize=1024)(self._merge_url)
        self._aiohttp_url = lru_cache(maxsize=1024)(self._to_yarl)
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
        # so it is made in a worker thread.
        ssl_context = await to_thread.run_sync(httpx.create_ssl_context)
        config = self.config
        # Made here, on the event loop, where aiohttp wants them made.
        self._session = new_session(config, ssl_context)
        self._http = self._build_http_client(ssl_context, self._session)
        self._direct = self._http._transport
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        http, session = self._http, self._session
        self._http = self._session = self._direct = None
        try:
            if http is not None:
                await http.aclose()
        finally:
            if session is not None:
                await session.close()

    def _build_http_client(
        self, ssl_context: ssl.SSLContext, session: aiohttp.ClientSession
    ) -> httpx.AsyncClient:
        """httpx's API over the aiohttp transport, whose pool is much faster.

        The transport is httpx-aiohttp's, for proxied requests (HTTPS_PROXY and
        friends) too. Every transport sends through `session`, which keeps no
        cookies (`new_session`); a proxy's transport names its proxy per request.
        """
        config = self.config
        headers = dict(self._headers)
        # An empty key (`NAME_API_KEY=` in .env) counts as none.
        secret = config.api_key.get_secret_value() if config.api_key else ""
        if secret:
            headers[self.api_key_header] = self.api_key_prefix + secret
        return HttpClient(
            new_session=lambda: session,
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

    def _to_yarl(self, url: str) -> yarl.URL:
        return to_yarl(self._absolute_url(url))

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
        # asyncio's own timeout: anyio's cancel scope costs ~10% of a call's CPU.
        deadline = asyncio.timeout(self.config.deadline)
        try:
            async with deadline:
                return await self._request(method, url, json, params, headers, cookies)
        except TimeoutError:
            if not deadline.expired():
                raise
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
        try:
            target = self._absolute_url(url)
            if params:
                target = target.copy_merge_params(params)
        except httpx.InvalidURL as exc:
            # A path made from user input may hold characters no URL can.
            msg = f"{method} {url!r} is not a valid URL: {exc}"
            raise UpstreamError(msg, method=method, url=repr(url)) from exc
        # The transport for this URL: a proxy's, a test's mock (respx replaces
        # this method), or the direct one, whose requests skip httpx (see
        # `send_direct`): what goes on the wire is the same either way.
        transport = http._transport_for_url(target)
        try:
            if transport is self._direct and self._session is not None:
                sent = dict(self._client_headers())
                if headers:
                    sent.update(
                        (name.lower(), value) for name, value in headers.items()
                    )
                if cookies:
                    sent["cookie"] = cookie_header(cookies)
                body = None
                if json is not None:
                    body = json_body(json)
                    sent["content-type"] = "application/json"
                status, answer_headers, content = await send_direct(
                    self._session,
                    method,
                    self._aiohttp_url(url) if not params else to_yarl(target),
                    sent,
                    body,
                    self._aiohttp_timeout,
                    self.config.max_response_bytes,
                )
            else:
                if headers:
                    merged = httpx.Headers(http.headers)
                    merged.update(headers)
                request = httpx.Request(
                    method,
                    target,
                    headers=merged if headers else http.headers,
                    cookies=dict(cookies) if cookies is not None else None,
                    json=json,
                    extensions={"timeout": self._timeout},
                )
                status, answer_headers, content = await send_httpx(
                    transport, request, self.config.max_response_bytes
                )
        except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
            raise no_answer_error(exc, method, error_url(target)) from exc
        except AnswerTooLargeError as exc:
            limit = self.config.max_response_bytes
            raise too_large_error(method, target, exc.status, limit) from None
        if 200 <= status < 300:
            return json_or_error(method, target, status, content)
        raise status_error(method, target, status, answer_headers, content)

    def _client_headers(self) -> dict[str, str]:
        """The client's headers (`self.http.headers`), less those aiohttp sets."""
        raw = self.http.headers.raw
        if raw != self._raw_headers:
            self._raw_headers = raw
            self._sent_headers = {
                name: value
                for name, value in self.http.headers.items()
                if name not in AIOHTTP_SETS
            }
        return self._sent_headers
