"""Fixtures for every test: blockbuster on, retries without waits, the app in-process.

Tests are `async def` where they await; anyio's pytest plugin runs them on asyncio.
"""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx
import stamina
from asgi_lifespan import LifespanManager
from blockbuster import BlockBuster, blockbuster_ctx
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """Fail the test whose code makes a blocking call on the event loop."""
    with blockbuster_ctx() as bb:
        yield bb


@pytest.fixture(autouse=True)
def retries_without_waits() -> Iterator[None]:
    """Retry as often as configured, but skip the backoff sleeps."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def settings() -> Settings:
    """Settings for tests: every field explicit and no `.env` read."""
    return Settings(
        _env_file=None,
        app_name="test-app",
        log_level="DEBUG",
        threadpool_size=8,
        cpu_workers=1,
        job_store_max=100,
        job_inputs_max_bytes=64 * 1024 * 1024,
        job_timeout_s=30.0,
        job_ttl_s=600.0,
        max_body_bytes=1024 * 1024,
        json_in_flight_max_bytes=8 * 1024 * 1024,
        max_header_bytes=32 * 1024,
        header_timeout_s=20.0,
        body_timeout_s=20.0,
        allowed_hosts=["*"],
        cors_origins=[],
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app under test; override this fixture to mount extra routes."""
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, with its lifespan running."""
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as client:
            yield client


@pytest.fixture
def upstream() -> Iterator[respx.MockRouter]:
    """Mock outbound HTTP: add routes for the upstreams a test calls.

    `using="httpx"` patches httpx's client itself, so the mock also sees requests
    sent over the aiohttp transport (respx's default mocker would not). The
    in-process test client is an httpx client too, so its requests pass through.
    """
    with respx.mock(using="httpx", assert_all_called=False) as router:
        router.route(host="test").pass_through()
        yield router
