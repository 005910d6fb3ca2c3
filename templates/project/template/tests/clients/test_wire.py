"""BaseClient against real local sockets: what goes on the wire and what comes back.

Requests to the base URL go out through the aiohttp session directly, skipping
httpx's request objects (see `app.clients.http.send_direct`); proxied ones go through
httpx's transport. Both must send what httpx would send and read what it would.
"""

import gzip
import json
from typing import Any

import pytest
from anyio.abc import SocketStream
from pydantic import SecretStr

from app.clients import BaseClient, ClientConfig, UpstreamError
from tests.clients.upstream import (
    Handler,
    Recorder,
    answer,
    answer_json,
    local_server,
    read_head,
    status_answer,
)


async def test_real_transport_round_trip() -> None:
    async with (
        local_server(answer_json) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        assert await client.get("/hello") == {"hello": "world"}


async def test_calls_to_the_base_url_go_through_aiohttp_directly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Keeps the client's fast path (see `BaseClient._send_direct`) in use."""

    async def not_this_way(request: object) -> None:
        raise AssertionError("sent through httpx's transport")

    async with (
        local_server(answer_json) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        transport = client.http._transport_for_url(client.http.base_url)
        monkeypatch.setattr(transport, "handle_async_request", not_this_way)
        assert await client.get("/hello") == {"hello": "world"}


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


async def test_a_request_goes_out_as_httpx_would_send_it() -> None:
    recorder = Recorder()
    call: dict[str, Any] = {
        "json": {"name": "caf\u00e9", "tags": ["a", "b"], "n": 1.5},
        "params": {"q": ["x y", "&"], "flag": True, "empty": None, "n": 2},
        "headers": {"X-Trace": "t-1"},
        "cookies": {"session": "abc", "theme": "dark"},
    }
    async with local_server(recorder) as url:
        config = ClientConfig(base_url=f"{url}/v1", api_key=SecretStr("k3y"))
        async with BaseClient(config) as client:
            assert await client.post("/items", **call) == {}
            expected = client.http.build_request("POST", "/items", **call)

    line, headers, body = recorder.requests[0]
    assert line == f"POST {expected.url.raw_path.decode()} HTTP/1.1"
    assert body == expected.content
    for name in ("authorization", "x-trace", "content-type", "cookie", "accept"):
        assert headers[name] == expected.headers[name], name
    assert headers["user-agent"] == expected.headers["user-agent"]


async def test_headers_set_on_the_http_client_later_are_sent() -> None:
    recorder = Recorder()
    async with local_server(recorder) as url:
        async with BaseClient(ClientConfig(base_url=url)) as client:
            await client.get("/")
            client.http.headers["X-Tenant"] = "blue"
            await client.get("/")

    assert "x-tenant" not in recorder.requests[0][1]
    assert recorder.requests[1][1]["x-tenant"] == "blue"


def gzip_answer(document: Any) -> Handler:
    async def handler(stream: SocketStream) -> None:
        async with stream:
            await read_head(stream)
            await answer(
                stream,
                gzip.compress(json.dumps(document).encode()),
                b"Content-Encoding: gzip",
            )

    return handler


async def test_a_compressed_answer_is_decoded() -> None:
    async with (
        local_server(gzip_answer({"zipped": True})) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        assert await client.get("/") == {"zipped": True}


async def test_a_compressed_answer_through_a_proxy_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with local_server(gzip_answer({"proxied": True}), host="localhost") as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        async with BaseClient(ClientConfig(base_url="http://upstream.example")) as c:
            assert await c.get("/") == {"proxied": True}


def gzip_bomb(size: int) -> Handler:
    """An upstream answering `size` zero bytes, gzipped: a thousandth of it goes
    over the wire."""
    bomb = gzip.compress(bytes(size))

    async def handler(stream: SocketStream) -> None:
        async with stream:
            await read_head(stream)
            await answer(stream, bomb, b"Content-Encoding: gzip")

    return handler


@pytest.mark.parametrize("proxied", [False, True])
async def test_a_compressed_answer_is_read_no_further_than_max_response_bytes(
    monkeypatch: pytest.MonkeyPatch, proxied: bool
) -> None:
    """Counted after decompression, through aiohttp directly and through a proxy:
    4 KiB on the wire would have been 4 MiB in memory."""
    async with local_server(gzip_bomb(4 * 1024 * 1024), host="localhost") as url:
        if proxied:
            monkeypatch.setenv("HTTP_PROXY", url)
            monkeypatch.delenv("NO_PROXY", raising=False)
            url = "http://upstream.example"
        config = ClientConfig(base_url=url, max_response_bytes=64 * 1024)
        async with BaseClient(config) as client:
            with pytest.raises(UpstreamError, match="max_response_bytes") as caught:
                await client.get("/")

    assert (caught.value.status_code, caught.value.body) == (200, None)
    assert "more than 65536 bytes" in str(caught.value)


async def test_an_answer_of_max_response_bytes_is_read_and_one_more_is_refused() -> (
    None
):
    document = b'"' + b"x" * 998 + b'"'
    ok = status_answer(b"HTTP/1.1 200 OK\r\nContent-Type: application/json", document)
    async with local_server(ok) as url:
        fits = ClientConfig(base_url=url, max_response_bytes=1000)
        async with BaseClient(fits) as client:
            assert await client.get("/") == "x" * 998
        over = ClientConfig(base_url=url, max_response_bytes=999, retries=0)
        async with BaseClient(over) as client:
            with pytest.raises(UpstreamError, match="max_response_bytes"):
                await client.get("/")


async def test_an_error_answer_gives_its_status_body_and_retry_after() -> None:
    busy = status_answer(b"HTTP/1.1 503 Busy\r\nRetry-After: 7", b"try later")
    async with (
        local_server(busy) as url,
        BaseClient(ClientConfig(base_url=url, retries=0)) as client,
    ):
        with pytest.raises(UpstreamError) as caught:
            await client.get("/jobs", params={"token": "s3cret"})

    error = caught.value
    assert (error.status_code, error.body, error.retry_after) == (503, "try later", 7.0)
    assert "s3cret" not in str(error) and "try later" not in str(error)


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (b"HTTP/1.1 204 No Content", b"", None),
        (b"HTTP/1.1 200 OK\r\nContent-Type: application/json", b"[1, 2]", [1, 2]),
    ],
)
async def test_answers_over_the_wire(head: bytes, body: bytes, expected: Any) -> None:
    async with (
        local_server(status_answer(head, body)) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        assert await client.get("/") == expected


async def test_a_body_that_is_not_json_is_an_upstream_error() -> None:
    html = status_answer(b"HTTP/1.1 200 OK\r\nContent-Type: text/html", b"<html>")
    async with (
        local_server(html) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        with pytest.raises(UpstreamError, match="not JSON") as caught:
            await client.get("/")

    assert caught.value.body == "<html>"
