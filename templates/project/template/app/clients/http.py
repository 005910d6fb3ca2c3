"""The HTTP machinery under `BaseClient`: httpx's API over aiohttp, without cookies.

`BaseClient`'s JSON methods send through the aiohttp session directly (see
`BaseClient._send`); the httpx client made here is what `BaseClient.http` gives
for everything else, and what serves proxied or mocked requests.
"""

import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from json import dumps as json_dumps
from typing import Any

import aiohttp
import httpx
import yarl
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient

from app.clients.config import ClientConfig

# httpx's own types for the transport hooks' signatures.
CertTypes = str | tuple[str, str] | tuple[str, str, str]
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

# Left for aiohttp to set: it offers only the encodings it can decode, and does.
AIOHTTP_SETS = frozenset({"accept-encoding", "content-length", "host"})

# Seconds an idle pooled connection is kept for reuse (httpx's default). Servers
# often close idle connections after 5 s; a longer wait would find them closed.
KEEPALIVE_EXPIRY = 5.0


class AnswerTooLargeError(Exception):
    """An answer's body passed the client's `max_response_bytes`."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def new_session(
    config: ClientConfig, ssl_context: ssl.SSLContext
) -> aiohttp.ClientSession:
    """An aiohttp session for one upstream: pooled, and with no cookie jar.

    Must be called on the event loop (aiohttp binds the session to it).
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=config.max_connections,
            keepalive_timeout=KEEPALIVE_EXPIRY,
            ssl=ssl_context,
        ),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class _NoCookies(httpx.Cookies):
    """A cookie jar that stores nothing (see `HttpClient`)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class HttpClient(HttpxAiohttpClient):
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


def to_yarl(url: httpx.URL) -> yarl.URL:
    """`url` as aiohttp takes it, already encoded by httpx's rules."""
    return yarl.URL(str(url), encoded=True)


def json_body(document: Any) -> bytes:
    """`document` encoded as httpx encodes `json=`."""
    return json_dumps(
        document, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode()


def cookie_header(cookies: Mapping[str, str]) -> str:
    """The `Cookie` header for the cookies a caller gave, as httpx writes it."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


async def send_direct(
    session: aiohttp.ClientSession,
    method: str,
    url: yarl.URL,
    headers: dict[str, str],
    body: bytes | None,
    timeouts: aiohttp.ClientTimeout,
    max_bytes: int,
) -> tuple[int, Any, bytes]:
    """Send through the aiohttp session itself: its status, headers and body.

    httpx's request and response objects, and httpx-aiohttp's translation between
    them and aiohttp's, cost about as much CPU as aiohttp's own request; the JSON
    methods of `BaseClient` leave them out and send what httpx would have sent.
    """
    answer = await session.request(
        method, url, headers=headers, data=body, allow_redirects=False, timeout=timeouts
    )
    return answer.status, answer.raw_headers, await read_answer(answer, max_bytes)


async def send_httpx(
    transport: httpx.AsyncBaseTransport, request: httpx.Request, max_bytes: int
) -> tuple[int, httpx.Headers, bytes]:
    """Send through an httpx transport (a proxy's, a mock): status, headers, body.

    The transport is called directly: httpx's `send` adds auth flows, redirects
    and hooks that `BaseClient` does not use, at ~100 us of CPU per call.
    """
    response = await transport.handle_async_request(request)
    body = await read_body(response, max_bytes)
    return response.status_code, response.headers, body


async def read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The whole body of `response`, its connection back in the pool after it;
    `AnswerTooLargeError` once it passes `max_bytes`, decoded or not.

    An answer of the aiohttp transport is read by aiohttp in one call: httpx's
    chunk-by-chunk stream costs ~70 us of CPU more per call. Other transports
    (respx's mocks, for one) go through httpx's own reading.
    """
    answer = getattr(response.stream, "_aiohttp_response", None)
    if not isinstance(answer, aiohttp.ClientResponse):
        try:
            return await read_decoded(response, max_bytes)
        finally:
            await response.aclose()
    body = await read_answer(answer, max_bytes)
    if "content-encoding" not in response.headers:
        return body
    # The transport asks aiohttp for the body as sent (gzip, say): decode it as
    # httpx would have, a piece at a time, so that a bomb is stopped early.
    decoded = httpx.Response(
        response.status_code, headers=response.headers, stream=_Pieces(body)
    )
    return await read_decoded(decoded, max_bytes)


# An upstream's answer is held in memory whole, and decompressing multiplies it:
# 1 MB of gzip unpacks to 1 GB, which took a client to 2.4 GB (and kept a copy
# as the error's `body`). Bodies are counted as they arrive, after decompression,
# and the reading stops once they pass `ClientConfig.max_response_bytes`.
async def read_answer(answer: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body of aiohttp's `answer` (decoded as aiohttp decodes it), its
    connection back in the pool; `AnswerTooLargeError` once it passes `max_bytes`,
    the connection closed."""
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await answer.content.read(max_bytes + 1 - size):
            size += len(chunk)
            if size > max_bytes:
                raise AnswerTooLargeError(answer.status)
            chunks.append(chunk)
    except BaseException:
        # A half-read answer (too large, a timeout, a cancelled call): the
        # connection is closed, never reused.
        answer.close()
        raise
    # The whole body was read: the connection goes back to the pool.
    answer.release()
    return b"".join(chunks)


async def read_decoded(response: httpx.Response, max_bytes: int) -> bytes:
    """`response`'s body decoded by httpx; `AnswerTooLargeError` past `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise AnswerTooLargeError(response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


# Bytes of a compressed body handed to httpx's decoder at once: each unpacks to at
# most about a thousand times as much (deflate's limit), 8 MiB, before it is counted.
_PIECE_BYTES = 8192


class _Pieces(httpx.AsyncByteStream):
    """`body` in pieces of `_PIECE_BYTES`."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        body = memoryview(self._body)
        for start in range(0, len(body), _PIECE_BYTES):
            yield bytes(body[start : start + _PIECE_BYTES])
