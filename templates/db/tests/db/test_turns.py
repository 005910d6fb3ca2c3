"""Requests take turns at the database's connections, in the order they came."""

import asyncio

import anyio
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.api.deps import SessionDep, get_db_session
from app.core.config import Settings
from app.db.database import Database
from app.main import create_app

# Seconds a request waits for its turn here before it answers 503.
TIMEOUT = 0.2


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One connection, and a short wait for it."""
    changes = {
        "database_pool_size": 1,
        "database_max_overflow": 0,
        "database_pool_timeout": TIMEOUT,
    }
    return settings.model_copy(update=changes)


@pytest.fixture
def release() -> asyncio.Event:
    """Set it to let `/turns/hold` answer."""
    return asyncio.Event()


@pytest.fixture
def app(settings: Settings, release: asyncio.Event) -> FastAPI:
    app = create_app(settings)
    routes = APIRouter(prefix="/turns")

    @routes.get("/hold")
    async def hold(session: SessionDep) -> dict[str, str]:
        await release.wait()
        return {"status": "released"}

    @routes.get("/quick")
    async def quick(session: SessionDep) -> dict[str, str]:
        return {"status": "served"}

    app.include_router(routes)
    return app


async def test_connections_go_to_requests_in_arrival_order(settings: Settings) -> None:
    served: list[str] = []
    async with Database(settings) as database:
        request = Request(
            {"type": "http", "method": "GET", "state": {"database": database}}
        )

        async def serve(name: str) -> None:
            """What a request does with `SessionDep`: take a session and query."""
            session_dependency = get_db_session(request)
            session = await anext(session_dependency)
            await session.execute(text("SELECT 1"))
            served.append(name)
            await anext(session_dependency, None)  # the handler returned

        holder = get_db_session(request)
        await (await anext(holder)).execute(text("SELECT 1"))  # the only connection
        waiting = [asyncio.create_task(serve(f"waiting {n}")) for n in range(3)]
        await anyio.wait_all_tasks_blocked()
        await anext(holder, None)  # gives the connection back ...
        await serve("arrived last")  # ... as another request arrives
        await asyncio.gather(*waiting)
    # The pool alone hands a connection given back to whoever asks first: the
    # request that arrived last would have gone first.
    assert served == ["waiting 0", "waiting 1", "waiting 2", "arrived last"]


async def test_no_turn_within_the_pool_timeout_raises(settings: Settings) -> None:
    async with Database(settings) as database:
        await database.take_turn()
        with pytest.raises(PoolTimeoutError, match="free within 0.2 s"):
            await database.take_turn()
        database.end_turn()
        await database.take_turn()  # the turn that timed out took nothing
        database.end_turn()


async def test_a_request_waiting_past_the_pool_timeout_answers_503(
    client: httpx.AsyncClient, release: asyncio.Event
) -> None:
    holder = asyncio.create_task(client.get("/turns/hold"))
    await anyio.wait_all_tasks_blocked()
    response = await client.get("/turns/quick")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    release.set()
    assert (await holder).status_code == 200
    assert (await client.get("/turns/quick")).status_code == 200
