"""PostgreSQL failing while the app serves: connections it closed are replaced, a
database gone or stalled answers 503 with Retry-After, other errors stay 500."""

import asyncio
import socket
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import text

from app.api.deps import SessionDep
from app.core.config import Settings
from app.db.database import Database
from app.main import create_app


async def test_connections_the_database_closed_are_replaced_before_use(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    routes = APIRouter()
    closed = asyncio.Event()

    @routes.get("/probe/backend")
    async def backend(session: SessionDep) -> dict[str, int]:
        raw = await (await session.connection()).get_raw_connection()
        assert raw.driver_connection is not None
        raw.driver_connection.add_termination_listener(lambda _: closed.set())
        return {"pid": await session.scalar(text("SELECT pg_backend_pid()"))}

    app.include_router(routes)
    first = await client.get("/probe/backend")
    assert first.status_code == 200
    # What a database restart does: every connection the app holds is closed.
    async with Database(settings) as other, other.engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await asyncio.wait_for(closed.wait(), timeout=10)  # asyncpg saw the close

    # The pool opens a new connection instead of handing out the closed one.
    answers = [await client.get("/probe/backend") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[0].json()["pid"] != first.json()["pid"]


@pytest.mark.parametrize("gone", ["refuses connections", "never answers"])
async def test_a_database_gone_after_start_up_answers_503(
    settings: Settings, gone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings.model_copy(update={"database_pool_timeout": 0.5}))
    routes = APIRouter()
    databases: list[Database] = []

    @routes.get("/probe/answer")
    async def answer(request: Request, session: SessionDep) -> dict[str, int]:
        databases.append(request.state.database)
        return {"answer": await session.scalar(text("SELECT 1"))}

    app.include_router(routes)
    with socket.socket() as elsewhere:
        elsewhere.bind(("127.0.0.1", 0))  # the port stays ours, refusing connections
        if gone == "never answers":
            elsewhere.listen()  # accepts them, and never answers
        port = elsewhere.getsockname()[1]
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as client:
                assert (await client.get("/probe/answer")).status_code == 200

                # The database goes away: new connections go to `elsewhere` ...
                connect = asyncpg.connect

                async def connect_elsewhere(*args: Any, **options: Any) -> Any:
                    return await connect(*args, **{**options, "port": port})

                monkeypatch.setattr(asyncpg, "connect", connect_elsewhere)
                await databases[0].engine.dispose()  # ... and the pool's are closed
                response = await client.get("/probe/answer")

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json() == {
        "detail": "The database is unavailable or busy; try again shortly."
    }


@pytest.fixture
def impatient(settings: Settings) -> Settings:
    """Statements cancelled after half a second; asyncpg's own limit a second later."""
    return settings.model_copy(
        update={"database_statement_timeout": 0.5, "database_pool_timeout": 1.0}
    )


def probed_app(settings: Settings) -> FastAPI:
    """The app with routes that run what a test asks of the database."""
    app = create_app(settings)
    routes = APIRouter()

    @routes.get("/probe/read")
    async def read(sql: str, session: SessionDep) -> dict[str, Any]:
        return {"answer": str(await session.scalar(text(sql)))}

    @routes.post("/probe/write")
    async def write(sql: str, session: SessionDep) -> dict[str, Any]:
        # A transaction's own limit: off, so only asyncpg's command_timeout is left.
        await session.execute(text("SET LOCAL statement_timeout = 0"))
        return {"answer": str(await session.scalar(text(sql)))}

    app.include_router(routes)
    return app


@pytest.mark.parametrize("held_up_by", ["a slow query", "a lock held elsewhere"])
async def test_a_statement_past_the_statement_timeout_answers_503(
    impatient: Settings, held_up_by: str
) -> None:
    async with (
        LifespanManager(probed_app(impatient)) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
        ) as client,
        Database(impatient) as other,
        other.engine.connect() as connection,
    ):
        backend = {"sql": "SELECT pg_backend_pid()"}
        pid = (await client.get("/probe/read", params=backend)).json()
        if held_up_by == "a slow query":
            sql = "SELECT pg_sleep(60)"
        else:
            # What a migration altering the table does: no one reads it meanwhile.
            await connection.execute(
                text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            )
            sql = "SELECT count(*) FROM alembic_version"
        response = await client.get("/probe/read", params={"sql": sql})
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        await connection.rollback()  # the lock, if any, is released

        # The database cancelled the statement: its connection keeps serving.
        assert (await client.get("/probe/read", params=backend)).json() == pid


async def test_a_statement_never_answered_answers_503_and_is_discarded(
    impatient: Settings,
) -> None:
    """What a server or network that stops mid-statement does: asyncpg gives up."""
    async with (
        LifespanManager(probed_app(impatient)) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
        ) as client,
    ):
        backend = {"sql": "SELECT pg_backend_pid()"}
        pid = (await client.get("/probe/read", params=backend)).json()
        response = await client.post("/probe/write", params={"sql": "SELECT pg_sleep(60)"})
        assert response.status_code == 503
        assert response.headers["Retry-After"]

        # Its connection was discarded; a new one serves the next requests.
        assert (await client.get("/probe/read", params=backend)).status_code == 200
        assert (await client.get("/probe/read", params=backend)).json() != pid


async def test_other_database_errors_stay_500(impatient: Settings) -> None:
    app = probed_app(impatient)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app, raise_app_exceptions=False),
            base_url="http://test",
        ) as client,
    ):
        response = await client.get("/probe/read", params={"sql": "SELECT 1 / 0"})
    assert response.status_code == 500
