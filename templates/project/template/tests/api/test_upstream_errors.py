"""An upstream's failure escaping an endpoint answers 502 or 504, never 500."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
import respx
from fastapi import APIRouter, Depends, FastAPI

from app.api.upstream_errors import install_upstream_errors
from app.clients import BaseClient, ClientConfig, UpstreamError
from app.core.config import Settings
from app.main import create_app

BASE_URL = "https://upstream.test"


class Upstream(BaseClient):
    """A client like those `fastasync add client` writes."""


@pytest.fixture
async def api() -> AsyncIterator[Upstream]:
    config = ClientConfig(base_url=BASE_URL, retries=0, timeout=5, deadline=10)
    async with Upstream(config) as api:
        yield api


@pytest.fixture
def app(api: Upstream) -> FastAPI:
    """An app with routes calling the upstream, and one that does not."""

    async def get_upstream() -> Upstream:
        return api

    async def open_upstream() -> AsyncIterator[Upstream]:
        yield api

    app = FastAPI()

    @app.get("/forecast-through-yield")
    async def forecast_through_yield(
        client: Annotated[Upstream, Depends(open_upstream)],
    ) -> Any:
        return await client.get("/forecast")

    @app.get("/forecast")
    async def forecast(
        client: Annotated[Upstream, Depends(get_upstream)],
    ) -> Any:
        return await client.get("/forecast")

    @app.get("/local")
    async def local() -> str:
        return "here"

    install_upstream_errors(app)
    return app


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (httpx.Response(500, text="secret stack trace"), 502),
        (httpx.Response(200, text="not json"), 502),
        (httpx.ConnectError("refused"), 502),
        (httpx.ReadTimeout("slow"), 504),
    ],
    ids=["error-status", "not-json", "no-connection", "timeout"],
)
async def test_an_upstream_failure_is_502_or_504_without_its_details(
    client: httpx.AsyncClient,
    upstream: respx.MockRouter,
    failure: httpx.Response | Exception,
    status: int,
) -> None:
    route = upstream.get(f"{BASE_URL}/forecast")
    if isinstance(failure, Exception):
        route.side_effect = failure
    else:
        route.return_value = failure

    response = await client.get("/forecast")

    assert response.status_code == status
    assert "detail" in response.json()
    assert "secret" not in response.text and "upstream.test" not in response.text


async def test_routes_using_a_client_document_502_and_504(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert {"502", "504"} <= set(paths["/forecast"]["get"]["responses"])
    assert {"502", "504"} <= set(paths["/forecast-through-yield"]["get"]["responses"])
    assert not {"502", "504"} & set(paths["/local"]["get"]["responses"])


async def test_a_502_its_router_was_included_with_stays_documented(
    api: Upstream,
) -> None:
    """FastAPI documents a route with its include's responses under the route's own:
    the 502 put on the route hid the include's, and it is merged instead."""

    async def get_upstream() -> Upstream:
        return api

    router = APIRouter()

    @router.get("/forecast")
    async def forecast(client: Annotated[Upstream, Depends(get_upstream)]) -> Any:
        return await client.get("/forecast")

    app = FastAPI()
    app.include_router(
        router,
        prefix="/mine",
        responses={502: {"description": "The forecast service is down"}},
    )
    install_upstream_errors(app)

    responses = app.openapi()["paths"]["/mine/forecast"]["get"]["responses"]
    assert responses["502"]["description"].splitlines() == [
        "Any of:",
        "- The forecast service is down",
        "- An upstream failed or answered an error",
    ]
    assert responses["504"]["description"] == "An upstream did not answer in time"


def test_the_app_answers_upstream_errors(settings: Settings) -> None:
    assert UpstreamError in create_app(settings).exception_handlers
