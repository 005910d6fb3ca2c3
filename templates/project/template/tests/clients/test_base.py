"""BaseClient against a mocked upstream (respx), then against real local sockets."""

import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import anyio
import httpx
import pytest
import respx
from anyio.abc import SocketAttribute, SocketStream
from pydantic import SecretStr

from app.clients import (
    BaseClient,
    ClientConfig,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamTimeout,
)

BASE_URL = "https://upstream.test"


@pytest.fixture
async def api() -> AsyncIterator[BaseClient]:
    async with BaseClient(ClientConfig(base_url=BASE_URL, retries=2)) as api:
        yield api


async def test_get_returns_parsed_json(
    upstream: respx.MockRouter, api: BaseClient
) -> None:
    route = upstream.get(f"{BASE_URL}/items", params={"q": "x"}).respond(
        json=[{"id": 1}]
    )

    assert await api.get("/items", params={"q": "x"}) == [{"id": 1}]
    assert route.call_count == 1


async def test_post_sends_json(upstream: respx.MockRouter, api: BaseClient) -> None:
    upstream.post(f"{BASE_URL}/items", json={"name": "a"}).respond(201, json={"id": 7})

    assert await api.post("/items", json={"name": "a"}) == {"id": 7}


async def test_empty_answer_is_none(
    upstream: respx.MockRouter, api: BaseClient
) -> None:
    upstream.delete(f"{BASE_URL}/items/7").respond(204)

    assert await api.delete("/items/7") is None


async def test_headers_given_by_a_subclass_are_sent(upstream: respx.MockRouter) -> None:
    class TokenClient(BaseClient):
        def __init__(self, config: ClientConfig, token: str) -> None:
            super().__init__(config, headers={"Authorization": f"Bearer {token}"})

        async def me(self) -> Any:
            return await self.get("/me")

    upstream.get(f"{BASE_URL}/me", headers={"Authorization": "Bearer t0k"}).respond(
        json={"login": "me"}
    )

    async with TokenClient(ClientConfig(base_url=BASE_URL), token="t0k") as client:
        assert await client.me() == {"login": "me"}


@pytest.mark.parametrize("status", [400, 404, 500])
async def test_error_status_raises_without_retry(
    upstream: respx.MockRouter, api: BaseClient, status: int
) -> None:
    route = upstream.get(f"{BASE_URL}/items/1").respond(status, text="nope")

    with pytest.raises(UpstreamError) as caught:
        await api.get("/items/1")

    error = caught.value
    assert (error.method, error.url) == ("GET", f"{BASE_URL}/items/1")
    assert (error.status_code, error.body) == (status, "nope")
    # The body may carry anything: code reads `body`, messages and logs never get it.
    assert "nope" not in str(error)
    assert route.call_count == 1


async def test_error_url_leaves_out_the_query(
    upstream: respx.MockRouter, api: BaseClient
) -> None:
    upstream.get(f"{BASE_URL}/items").respond(401)

    with pytest.raises(UpstreamError) as caught:
        await api.get("/items", params={"api_key": "s3cret"})

    assert "s3cret" not in caught.value.url
    assert "s3cret" not in str(caught.value)


async def test_body_that_is_not_json_raises(
    upstream: respx.MockRouter, api: BaseClient
) -> None:
    upstream.get(f"{BASE_URL}/page").respond(200, html="<html></html>")

    with pytest.raises(UpstreamError) as caught:
        await api.get("/page")

    assert caught.value.status_code == 200


async def test_get_retries_transient_failures_then_succeeds(
    upstream: respx.MockRouter, api: BaseClient
) -> None:
    route = upstream.get(f"{BASE_URL}/items").mock(
        side_effect=[
            httpx.Response(503),
            httpx.ReadTimeout("slow"),
            httpx.ConnectError("refused"),
            httpx.Response(200, json=[]),
        ]
    )
    async with BaseClient(ClientConfig(base_url=BASE_URL, retries=3)) as patient:
        assert await patient.get("/items") == []

    assert route.call_count == 4


async def test_get_gives_up_after_the_configured_retries(
    upstream: respx.MockRouter, api: BaseClient
) -> None:
    route = upstream.get(f"{BASE_URL}/items").respond(502)

    with pytest.raises(UpstreamError) as caught:
        await api.get("/items")

    assert caught.value.status_code == 502
    assert route.call_count == 3


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_non_idempotent_methods_are_never_retried(
    upstream: respx.MockRouter, api: BaseClient, method: str
) -> None:
    unavailable = upstream.route(method=method, url=f"{BASE_URL}/a").respond(503)
    timing_out = upstream.route(method=method, url=f"{BASE_URL}/b").mock(
        side_effect=httpx.ReadTimeout("slow")
    )

    with pytest.raises(UpstreamError):
        await api.request(method, "/a", json={})
    with pytest.raises(UpstreamTimeout):
        await api.request(method, "/b", json={})

    assert (unavailable.call_count, timing_out.call_count) == (1, 1)


@pytest.mark.parametrize(
    ("header", "wait"), [("7", 7.0), ("3600", 30.0), ("soon", None)]
)
async def test_retry_after_is_read_and_capped(
    upstream: respx.MockRouter, api: BaseClient, header: str, wait: float | None
) -> None:
    upstream.get(f"{BASE_URL}/busy").respond(429, headers={"Retry-After": header})

    with pytest.raises(UpstreamError) as caught:
        await api.get("/busy")

    assert caught.value.retry_after == wait


async def test_an_api_key_is_sent_as_a_header_and_never_shown(
    upstream: respx.MockRouter,
) -> None:
    route = upstream.get(
        f"{BASE_URL}/me", headers={"Authorization": "Bearer s3cret"}
    ).respond(json={})
    config = ClientConfig(base_url=BASE_URL, api_key=SecretStr("s3cret"))

    async with BaseClient(config) as client:
        await client.get("/me")

    assert route.call_count == 1
    assert "s3cret" not in repr(config) and "s3cret" not in repr(client)


async def test_an_empty_api_key_sends_no_header(upstream: respx.MockRouter) -> None:
    route = upstream.get(f"{BASE_URL}/me").respond(json={})
    config = ClientConfig(base_url=BASE_URL, api_key=SecretStr(""))

    async with BaseClient(config) as client:
        await client.get("/me")

    assert "authorization" not in route.calls.last.request.headers


async def test_the_api_key_header_can_be_changed(upstream: respx.MockRouter) -> None:
    class KeyClient(BaseClient):
        api_key_header = "X-API-Key"
        api_key_prefix = ""

    route = upstream.get(f"{BASE_URL}/me", headers={"X-API-Key": "k3y"}).respond(
        json={}
    )
    async with KeyClient(
        ClientConfig(base_url=BASE_URL, api_key=SecretStr("k3y"))
    ) as c:
        await c.get("/me")

    assert route.call_count == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_url", "api.example.com"),
        ("timeout", 0),
        ("timeout", -1.0),
        ("connect_timeout", 0),
        ("deadline", float("inf")),
        ("deadline", float("nan")),
        ("max_connections", 0),
        ("retries", -1),
    ],
)
def test_a_config_that_cannot_work_is_refused_naming_the_field(
    field: str, value: object
) -> None:
    values: dict[str, Any] = {"base_url": BASE_URL, field: value}

    with pytest.raises(ValueError, match=f"ClientConfig.{field} must be"):
        ClientConfig(**values)


async def test_a_client_must_be_opened_first() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await BaseClient(ClientConfig(base_url=BASE_URL)).get("/")


# The tests below use the real aiohttp transport against loopback sockets.

Handler = Callable[[SocketStream], Awaitable[None]]


@asynccontextmanager
async def local_server(handler: Handler, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve `handler` on a free loopback port and yield the base URL.

    `host` is the name the URL uses: `localhost` reaches the same socket, but
    cookie jars treat it as any host name (they ignore cookies from IP addresses).
    """
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handler)
        yield f"http://{host}:{port}"
        tg.cancel_scope.cancel()


async def read_head(stream: SocketStream) -> tuple[str, dict[str, str]]:
    """The request line and headers (lower-case names) of one request."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    line, *fields = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = dict(field.split(": ", 1) for field in fields)
    return line, {name.lower(): value for name, value in headers.items()}


async def answer(stream: SocketStream, body: bytes, *extra: bytes) -> None:
    await stream.send(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + b"".join(header + b"\r\n" for header in extra)
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )


async def answer_json(stream: SocketStream) -> None:
    async with stream:
        await read_head(stream)
        await answer(stream, b'{"hello": "world"}')


async def test_real_transport_round_trip() -> None:
    async with (
        local_server(answer_json) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        assert await client.get("/hello") == {"hello": "world"}


async def test_real_answers_are_read_by_aiohttp_in_one_call() -> None:
    """Keeps the client's fast path (see `_read_body`) in use across upgrades."""
    async with (
        local_server(answer_json) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        request = client.http.build_request("GET", "/hello")
        transport = client.http._transport_for_url(request.url)
        response = await transport.handle_async_request(request)
        answer = getattr(response.stream, "_aiohttp_response", None)
        assert isinstance(answer, aiohttp.ClientResponse)
        assert await answer.read() == b'{"hello": "world"}'


async def cookie_server(stream: SocketStream) -> None:
    """`/login` sets a cookie; every answer says which cookies the request had."""
    async with stream:
        line, headers = await read_head(stream)
        body = json.dumps({"cookie": headers.get("cookie")}).encode()
        set_cookie = [b"Set-Cookie: session=alice; Path=/"] if "/login" in line else []
        await answer(stream, body, *set_cookie)


async def test_no_cookie_goes_from_one_caller_to_the_next() -> None:
    async with (
        local_server(cookie_server, host="localhost") as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        # One user's call: the upstream answers with a session cookie.
        assert await client.post("/login") == {"cookie": None}
        # The next user's call must not carry it.
        assert await client.get("/me") == {"cookie": None}
        # Cookies a caller gives go with that call only.
        assert await client.get("/me", cookies={"session": "bob"}) == {
            "cookie": "session=bob"
        }
        assert await client.get("/me") == {"cookie": None}


async def test_no_cookie_is_kept_through_a_proxy_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with local_server(cookie_server, host="localhost") as proxy:
        # Proxy settings come from the environment, as for any httpx client.
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        config = ClientConfig(base_url="http://upstream.example")
        async with BaseClient(config) as client:
            assert await client.post("/login") == {"cookie": None}
            assert await client.get("/me") == {"cookie": None}


def drip(interval: float) -> Handler:
    """An upstream that sends its answer one byte every `interval` seconds."""

    async def handler(stream: SocketStream) -> None:
        async with stream:
            await read_head(stream)
            await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            while True:
                await anyio.sleep(interval)
                await stream.send(b" ")

    return handler


@pytest.mark.parametrize("retries", [0, 3])
async def test_the_deadline_ends_a_call_that_drips_retries_included(
    retries: int,
) -> None:
    async with local_server(drip(0.05)) as url:
        # Each byte comes well within the read timeout; only the deadline helps.
        config = ClientConfig(base_url=url, timeout=1, deadline=0.5, retries=retries)
        async with BaseClient(config) as client:
            started = anyio.current_time()
            with anyio.fail_after(10), pytest.raises(UpstreamTimeout) as caught:
                await client.get("/slow")
            elapsed = anyio.current_time() - started

    assert 0.5 <= elapsed < 1.5
    assert "within 0.5 s" in str(caught.value)


async def test_max_connections_caps_the_connections_open_at_once() -> None:
    open_now = most = 0

    async def slow_answer(stream: SocketStream) -> None:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        try:
            async with stream:
                await read_head(stream)
                await anyio.sleep(0.1)
                await answer(stream, b"{}")
        finally:
            open_now -= 1

    async with local_server(slow_answer) as url:
        async with (
            BaseClient(ClientConfig(base_url=url, max_connections=2)) as client,
            anyio.create_task_group() as tg,
        ):
            for _ in range(6):
                tg.start_soon(client.get, "/")

    assert most == 2


@pytest.mark.parametrize(("method", "attempts"), [("GET", 2), ("POST", 1)])
async def test_configured_timeout_cuts_off_a_silent_upstream(
    method: str, attempts: int
) -> None:
    connections = 0

    async def never_answer(stream: SocketStream) -> None:
        nonlocal connections
        connections += 1
        async with stream:
            await anyio.sleep_forever()

    async with local_server(never_answer) as url:
        config = ClientConfig(base_url=url, timeout=0.2, connect_timeout=1, retries=1)
        async with BaseClient(config) as client:
            started = anyio.current_time()
            # Were the configured timeout ignored, the call would hang until this.
            with anyio.fail_after(10), pytest.raises(UpstreamTimeout):
                await client.request(method, "/slow")
            elapsed = anyio.current_time() - started

    assert connections == attempts
    assert elapsed >= 0.2 * attempts


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_dropped_connection_is_a_connection_error(method: str) -> None:
    connections = 0

    async def hang_up(stream: SocketStream) -> None:
        nonlocal connections
        connections += 1
        async with stream:
            await stream.receive()

    async with local_server(hang_up) as url:
        async with BaseClient(ClientConfig(base_url=url, retries=1)) as client:
            with pytest.raises(UpstreamConnectionError):
                await client.request(method, "/")

    # aiohttp itself also resends an idempotent request once on a dropped
    # connection (RFC 9112, 9.3.1), so a GET makes more than two attempts.
    assert connections > 2 if method == "GET" else connections == 1


async def test_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as sock:
        # Bound but not listening: connecting to this port is refused.
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = ClientConfig(base_url=url, retries=0)
        async with BaseClient(config) as client:
            with pytest.raises(UpstreamConnectionError):
                await client.get("/")
