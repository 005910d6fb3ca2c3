"""The app's edge: body-size limit, allowed hosts, CORS, no Host-built redirects."""

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Request
from pydantic import BaseModel

from app.core.config import Settings
from app.main import create_app

LIMIT = 1024


class BodySize(BaseModel):
    size: int


def app_with_echo(settings: Settings) -> FastAPI:
    """The app, plus a route that reads the whole body and says how long it was."""
    app = create_app(settings)

    @app.post("/echo-size")
    async def echo_size(request: Request) -> BodySize:
        return BodySize(size=len(await request.body()))

    return app


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return app_with_echo(settings.model_copy(update={"max_body_bytes": LIMIT}))


async def test_a_body_within_the_limit_is_read(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo-size", content=b"x" * LIMIT)

    assert response.status_code == 200
    assert response.json() == {"size": LIMIT}


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo-size", content=b"x" * (LIMIT + 1))

    assert response.status_code == 413


async def test_a_chunked_body_over_the_limit_is_413_before_it_is_all_sent(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit must count the bytes as they arrive.
        nonlocal sent
        for _ in range(100):
            sent += 1
            yield b"x" * 256

    response = await client.post("/echo-size", content=chunks())

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    # Refused once past the limit, not after reading all 25 KiB into memory.
    assert sent < 100


async def test_the_limit_applies_to_routes_that_do_not_read_the_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.request("GET", "/health", content=b"x" * (LIMIT + 1))

    assert response.status_code == 413


async def serve(settings: Settings, request: httpx.Request) -> httpx.Response:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.send(request)


async def test_hosts_outside_allowed_hosts_are_refused(settings: Settings) -> None:
    settings = settings.model_copy(update={"allowed_hosts": ["api.example.com"]})

    good = await serve(settings, httpx.Request("GET", "http://api.example.com/health"))
    bad = await serve(settings, httpx.Request("GET", "http://evil.example/health"))

    assert good.status_code == 200
    assert bad.status_code == 400


async def test_a_trailing_slash_is_not_redirected_to_the_host_asked_for(
    settings: Settings,
) -> None:
    request = httpx.Request("GET", "http://evil.example/health/")

    response = await serve(settings, request)

    assert response.status_code == 404
    assert "location" not in response.headers


async def test_no_cors_headers_by_default(settings: Settings) -> None:
    request = httpx.Request(
        "GET", "http://test/health", headers={"Origin": "https://a.example"}
    )

    response = await serve(settings, request)

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_cors_origins_are_allowed(settings: Settings) -> None:
    settings = settings.model_copy(update={"cors_origins": ["https://a.example"]})
    preflight = httpx.Request(
        "OPTIONS",
        "http://test/health",
        headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "GET",
        },
    )
    other = httpx.Request(
        "GET", "http://test/health", headers={"Origin": "https://b.example"}
    )

    allowed = await serve(settings, preflight)
    refused = await serve(settings, other)

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://a.example"
    assert "access-control-allow-origin" not in refused.headers
