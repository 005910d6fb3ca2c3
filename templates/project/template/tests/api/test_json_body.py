"""Bodies that are not JSON text answer the documented 422, never 400 or 500."""

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from app.api.json_body import JSONInFlight, StrictJSONRoute, parse_json
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


JSON = {"Content-Type": "application/json"}


class HeldApp:
    """An app whose JSON bodies may take 1,500 bytes together, with `/notes`,
    `/queued` (which documents a 503 of its own), and `/held`, whose requests
    wait inside their handler until `release` is set."""

    def __init__(self, settings: Settings) -> None:
        limits = {"max_body_bytes": 1000, "json_in_flight_max_bytes": 1500}
        self.app = create_app(settings.model_copy(update=limits))
        self.entered = anyio.Event()
        self.release = anyio.Event()
        router = APIRouter(route_class=StrictJSONRoute)

        @router.post("/notes")
        async def create_note(note: Note) -> Note:
            return note

        @router.post("/queued", responses={503: {"description": "The queue is full"}})
        async def queue_note(note: Note) -> Note:
            return note

        @router.post("/held")
        async def hold_note(note: Note) -> Note:
            self.entered.set()
            await self.release.wait()
            return note

        self.app.include_router(router)

    @property
    def in_flight(self) -> JSONInFlight:
        in_flight: JSONInFlight = self.app.state.json_in_flight
        return in_flight


@pytest.fixture
async def held(settings: Settings) -> AsyncIterator[tuple[HeldApp, httpx.AsyncClient]]:
    held = HeldApp(settings)
    async with LifespanManager(held.app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as client:
            yield held, client


def note_of(size: int) -> bytes:
    """A valid note's JSON, `size` bytes long."""
    body = json.dumps({"text": "x" * (size - len('{"text": ""}'))}).encode()
    assert len(body) == size
    return body


async def in_chunks(body: bytes) -> AsyncIterator[bytes]:
    """`body` sent chunked, in two pieces (no `Content-Length`)."""
    yield body[:100]
    yield body[100:]


async def test_bodies_past_json_in_flight_max_bytes_get_503_until_room_is_back(
    held: tuple[HeldApp, httpx.AsyncClient],
) -> None:
    app, client = held
    answers: list[httpx.Response] = []

    async def post_held() -> None:
        answers.append(await client.post("/held", content=note_of(900), headers=JSON))

    async with anyio.create_task_group() as tg:
        tg.start_soon(post_held)
        await app.entered.wait()  # 900 bytes are held while it waits
        held_bytes = app.in_flight.bytes
        refused = await client.post("/notes", content=note_of(900), headers=JSON)
        # Without a Content-Length, refused once it has arrived, before parsing.
        refused_chunked = await client.post(
            "/notes", content=in_chunks(note_of(900)), headers=JSON
        )
        beside = await client.post("/notes", content=note_of(600), headers=JSON)
        app.release.set()
    after = await client.post("/notes", content=note_of(900), headers=JSON)

    assert held_bytes == 900
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "1"
    assert "1500 at most" in refused.json()["detail"]
    assert "transfer-encoding" in refused_chunked.request.headers
    assert refused_chunked.status_code == 503, refused_chunked.text
    assert refused_chunked.headers["Retry-After"] == "1"
    assert beside.status_code == 200  # 600 more fit beside the 900
    assert [answer.status_code for answer in answers] == [200]
    assert after.status_code == 200  # the 900 held were given back
    assert app.in_flight.bytes == 0


@pytest.mark.parametrize(
    "body",
    [b'{"txt": "x"}', b'{"text": ', b'{"text": "x"}'],
    ids=["invalid", "syntax-error", "valid"],
)
async def test_every_answer_gives_its_body_room_back(
    held: tuple[HeldApp, httpx.AsyncClient], body: bytes
) -> None:
    app, client = held
    for _ in range(3):  # more than the limit holds, were the room not given back
        response = await client.post("/notes", content=body + b" " * 600, headers=JSON)
        assert response.status_code in (200, 422), response.text

    assert app.in_flight.bytes == 0


async def test_routes_taking_a_json_body_document_the_503(
    held: tuple[HeldApp, httpx.AsyncClient],
) -> None:
    _, client = held
    paths = (await client.get("/openapi.json")).json()["paths"]

    busy = paths["/notes"]["post"]["responses"]["503"]
    assert "JSON_IN_FLIGHT_MAX_BYTES" in busy["description"]
    assert "Retry-After" in busy["headers"]
    assert "503" not in paths["/health"]["get"]["responses"]  # no body, no 503
    # A route's own 503 hid this one: both are listed now.
    reasons = paths["/queued"]["post"]["responses"]["503"]["description"]
    assert reasons.splitlines()[1:] == [
        "- The queue is full",
        f"- {busy['description']}",
    ]
