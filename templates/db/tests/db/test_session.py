"""One session per request: committed when the handler succeeds, else rolled back."""

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI, HTTPException
from sqlalchemy import text

from app.api.deps import SessionDep
from app.core.config import Settings
from app.db.database import Database
from app.main import create_app


class Boom(Exception):
    """An error in a handler after it wrote."""


@pytest.fixture
async def probe_table(settings: Settings) -> AsyncIterator[None]:
    """A table of the test's own, outside the models, for handlers to write to."""
    async with Database(settings) as database, database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE session_probe (value VARCHAR(20))"))
    yield


async def stored(settings: Settings) -> list[str]:
    """What the handlers left in the table, as a new connection sees it."""
    async with Database(settings) as database, database.engine.connect() as connection:
        result = await connection.execute(text("SELECT value FROM session_probe"))
        return [row.value for row in result]


@pytest.fixture
def app(settings: Settings, probe_table: None) -> FastAPI:
    app = create_app(settings)
    routes = APIRouter(prefix="/probe")

    async def write(session: SessionDep, value: str) -> None:
        await session.execute(
            text("INSERT INTO session_probe (value) VALUES (:value)"), {"value": value}
        )

    @routes.post("/ok")
    async def write_and_succeed(session: SessionDep) -> dict[str, str]:
        await write(session, "ok")
        return {"status": "written"}

    @routes.post("/http-error")
    async def write_then_refuse(session: SessionDep) -> None:
        await write(session, "refused")
        raise HTTPException(409, "refused after writing")

    @routes.post("/count-then-add")
    async def read_then_write(session: SessionDep) -> dict[str, int]:
        # Reads, then writes from what it read: the shape of every update.
        seen = await session.scalar(text("SELECT count(*) FROM session_probe"))
        await anyio.sleep(0.01)  # lets the other requests read meanwhile
        await write(session, f"after {seen}")
        return {"seen": seen or 0}

    @routes.post("/crash")
    async def write_then_crash(session: SessionDep) -> None:
        await write(session, "crashed")
        raise Boom

    app.include_router(routes)
    return app


async def test_a_handler_that_succeeds_commits(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post("/probe/ok")
    assert response.status_code == 200
    assert await stored(settings) == ["ok"]


async def test_an_http_error_after_writing_leaves_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post("/probe/http-error")
    assert response.status_code == 409
    assert await stored(settings) == []


async def test_a_crash_after_writing_leaves_nothing(
    app: FastAPI, settings: Settings
) -> None:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/probe/crash")
    assert response.status_code == 500
    assert await stored(settings) == []


async def test_concurrent_requests_that_read_then_write_all_succeed(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # On SQLite, a transaction that read before another one wrote can no longer
    # write: writing requests take the write lock first, and wait their turn.
    statuses: list[int] = []

    async def post() -> None:
        statuses.append((await client.post("/probe/count-then-add")).status_code)

    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(post)

    assert statuses == [200] * 8
    assert len(await stored(settings)) == 8
