"""Bodies that are not JSON text answer the documented 422, never 400 or 500."""

import json
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from app.api.json_body import StrictJSONRoute, parse_json
from app.core.config import Settings
from app.main import create_app

DEEP = b"[" * 100_000 + b"]" * 100_000
LONG_INTEGER = b'{"text": "x", "n": ' + b"9" * 5000 + b"}"


class Note(BaseModel):
    text: str


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app, plus a route taking a JSON body, on a StrictJSONRoute router."""
    app = create_app(settings)
    router = APIRouter(route_class=StrictJSONRoute)

    @router.post("/notes")
    async def create_note(note: Note) -> Note:
        return note

    app.include_router(router)
    return app


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"text": "\xff"}', "Invalid utf-8"),
        (b'{"text": "\xed\xa0\x80"}', "Invalid utf-8"),  # an encoded surrogate
        (DEEP, "Nested too deeply"),
        (LONG_INTEGER, "Integer of more than"),
        (b'{"text": "\\ud800"}', "Unpaired surrogate escape"),
        (b'{"\\udc00": 1, "text": "x"}', "Unpaired surrogate escape"),
    ],
    ids=[
        "not-utf-8",
        "encoded-surrogate",
        "too-deep",
        "long-integer",
        "lone-high",
        "lone-low",
    ],
)
async def test_a_body_that_is_not_json_text_is_422(
    client: httpx.AsyncClient, body: bytes, error: str
) -> None:
    response = await client.post(
        "/notes", content=body, headers={"Content-Type": "application/json"}
    )

    # FastAPI itself answers 400 to the first four, and 201 to the last two, then
    # fails with a 500 on every answer that holds the text.
    assert response.status_code == 422, response.text
    [detail] = response.json()["detail"]
    assert detail["type"] == "json_invalid"
    assert detail["ctx"]["error"].startswith(error)
    documented = (await client.get("/openapi.json")).json()
    assert "422" in documented["paths"]["/notes"]["post"]["responses"]


async def test_a_json_syntax_error_is_the_same_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/notes", content=b'{"text": ', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_bytes_of_another_content_type_are_echoed_as_text(
    client: httpx.AsyncClient,
) -> None:
    # Not read as JSON; FastAPI's own 422 answer fails on them with a 500.
    response = await client.post(
        "/notes", content=b"\xff", headers={"Content-Type": "text/plain"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "\N{REPLACEMENT CHARACTER}"


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'{"text": "\\ud83d\\ude00"}', {"text": "\N{GRINNING FACE}"}),  # a pair
        (b'{"text": "\\\\ud800"}', {"text": "\\ud800"}),  # an escaped backslash
        (b'\xef\xbb\xbf{"text": "x"}', {"text": "x"}),  # a UTF-8 byte order mark
        ('{"text": "x"}'.encode("utf-16-le"), {"text": "x"}),  # JSON allows UTF-16
        (b"[" * 100 + b"]" * 100, json.loads("[" * 100 + "]" * 100)),
    ],
)
def test_json_text_reads_as_json_loads_reads_it(body: bytes, value: Any) -> None:
    assert parse_json(body) == value
