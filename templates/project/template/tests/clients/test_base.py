"""BaseClient against a mocked upstream (respx): what it makes of answers, retries.

respx serves these tests through httpx's transport; tests/clients/test_wire.py
checks the same client against real sockets, where it sends through aiohttp.
"""

import gzip
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from app.clients import (
    BaseClient,
    ClientConfig,
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


@pytest.mark.parametrize("encoding", [None, "gzip"])
async def test_an_answer_over_max_response_bytes_is_an_upstream_error(
    upstream: respx.MockRouter, encoding: str | None
) -> None:
    body = b'"' + b"x" * 1000 + b'"'
    headers = {} if encoding is None else {"Content-Encoding": encoding}
    content = body if encoding is None else gzip.compress(body)
    upstream.get(f"{BASE_URL}/big").respond(200, content=content, headers=headers)
    upstream.get(f"{BASE_URL}/fits").respond(200, content=body, headers={})

    config = ClientConfig(base_url=BASE_URL, max_response_bytes=len(body) - 1)
    async with BaseClient(config) as api:
        with pytest.raises(UpstreamError, match="max_response_bytes") as caught:
            await api.get("/big")
    async with BaseClient(
        ClientConfig(base_url=BASE_URL, max_response_bytes=len(body))
    ) as api:
        assert await api.get("/fits") == "x" * 1000

    assert (caught.value.status_code, caught.value.body) == (200, None)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's recursion limit
        b"9" * 5_000,  # more digits than Python reads
        b"NaN",
        b'{"price": -Infinity}',
        b'"\\ud800"',  # an unpaired surrogate: no UTF-8 text holds it
        b'"\xed\xa0\x80"',  # the same as bytes
        b'"caf\xe9"',  # not UTF-8
    ],
)
async def test_an_answer_json_cannot_hold_is_an_upstream_error(
    upstream: respx.MockRouter, api: BaseClient, body: bytes
) -> None:
    """Python's json module reads most of these (or raises a RecursionError); the
    app would fail later with a 500, answering them or storing them."""
    upstream.get(f"{BASE_URL}/odd").respond(200, content=body)

    with pytest.raises(UpstreamError, match="not JSON") as caught:
        await api.get("/odd")

    assert caught.value.status_code == 200


async def test_an_answer_with_escaped_emoji_and_a_bom_is_json(
    upstream: respx.MockRouter, api: BaseClient
) -> None:
    body = b'\xef\xbb\xbf{"face": "\\ud83d\\ude00", "n": 1e308}'
    upstream.get(f"{BASE_URL}/fine").respond(200, content=body)

    assert await api.get("/fine") == {"face": "\U0001f600", "n": 1e308}


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
        ("max_response_bytes", 0),
    ],
)
def test_a_config_that_cannot_work_is_refused_naming_the_field(
    field: str, value: object
) -> None:
    values: dict[str, Any] = {"base_url": BASE_URL, field: value}

    with pytest.raises(ValueError, match=f"ClientConfig.{field} must be"):
        ClientConfig(**values)


async def test_an_invalid_url_is_an_upstream_error_not_retried(
    upstream: respx.MockRouter, api: BaseClient
) -> None:
    with pytest.raises(UpstreamError, match="not a valid URL") as caught:
        await api.get("/items/\x1a")

    assert caught.value.status_code is None
    assert not upstream.calls


async def test_a_client_must_be_opened_first() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await BaseClient(ClientConfig(base_url=BASE_URL)).get("/")
