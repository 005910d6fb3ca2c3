"""422 answers echo small inputs only, and at most MAX_ERRORS errors."""

import json

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from app.api.json_body import StrictJSONRoute
from app.api.responses import MAX_ECHOED_INPUT, MAX_ERRORS
from app.core.config import Settings
from app.main import create_app


class Order(BaseModel):
    customer: str
    total: float
    lines: list[int] = []


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app, plus a route taking an `Order`."""
    app = create_app(settings)
    router = APIRouter(route_class=StrictJSONRoute)

    @router.post("/orders")
    async def create_order(order: Order) -> Order:
        return order

    app.include_router(router)
    return app


async def post(client: httpx.AsyncClient, body: object) -> httpx.Response:
    return await client.post(
        "/orders",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


async def test_a_small_input_is_echoed(client: httpx.AsyncClient) -> None:
    response = await post(client, {"customer": 7, "total": 1})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "customer"]
    assert error["input"] == 7


async def test_a_large_input_is_left_out_of_every_error(
    client: httpx.AsyncClient,
) -> None:
    # Each missing field's input is the whole body: FastAPI's own answer held it
    # twice, a body's size for each field missing.
    padding = [[index] for index in range(50_000)]
    response = await post(client, {"padding": padding})

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [
        ["body", "customer"],
        ["body", "total"],
    ]
    assert all(error["type"] == "missing" for error in errors)
    assert all("input" not in error for error in errors)
    assert len(response.content) < 1000


@pytest.mark.parametrize(
    ("size", "echoed"),
    [(MAX_ECHOED_INPUT - 1, True), (MAX_ECHOED_INPUT, False)],
)
async def test_text_is_echoed_up_to_the_limit(
    client: httpx.AsyncClient, size: int, echoed: bool
) -> None:
    response = await post(client, {"customer": "x", "total": "y" * size})

    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "total"]
    assert ("input" in error) is echoed


async def test_only_the_first_errors_are_answered(client: httpx.AsyncClient) -> None:
    lines = ["not a number"] * (MAX_ERRORS * 10)
    response = await post(client, {"customer": "x", "total": 1, "lines": lines})

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert len(errors) == MAX_ERRORS
    assert errors[0]["loc"] == ["body", "lines", 0]
    assert errors[0]["input"] == "not a number"
