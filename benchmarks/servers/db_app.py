"""FastAPI apps for `db_load`: `GET /api/items/{id}` and `POST /api/items`, one table.

BENCH_VARIANT picks how the app reaches the database at BENCH_DATABASE_URL (a
SQLAlchemy URL: postgresql+asyncpg://, postgresql+psycopg://, sqlite+aiosqlite://,
sqlite://); BENCH_POOL is the pool size (no overflow), equal in every variant:

- floor:      the driver itself, no ORM: an asyncpg pool (PostgreSQL) or one aiosqlite
              connection per request (SQLite), hand-written SQL
- floor_tx:   (PostgreSQL) the floor with its POST's INSERT in a transaction
              (`connection.transaction()`: BEGIN, INSERT, COMMIT), as the generated
              projects' writes are; its GET is the floor's
- sqlalchemy: SQLAlchemy 2 async: one engine and `async_sessionmaker(expire_on_commit=
              False)` from the lifespan, a session per request from a dependency that
              commits only when the handler succeeded (what generated projects do)
- sqlalchemy_ping: the same with `pool_pre_ping=True`, to show what the ping costs
- sqlalchemy_min: the least SQLAlchemy code with a session per request: no
              dependency, no middleware, statements built once at import (Core, as
              the generated repositories run them), a GET's session in autocommit
              (no BEGIN, as generated), a POST's `sessions.begin()` committing when
              its block ends; the bound any code using a session per request meets
- blocking:   the seeds' mistake: a synchronous SQLAlchemy `Session` (psycopg or
              sqlite3) used inside `async def`, so every query stops the event loop

Every variant runs a generated endpoint's queries on its table (db_models: a UUID
key made by the app, as generated projects make theirs) and answers with its
Pydantic model. The table is made beforehand by db_load.py (db_models.create_schema).
SQLite connections use WAL and a busy timeout in every variant. Served by uvicorn
(uvloop, httptools, one worker).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Annotated, Any
from uuid import UUID, uuid4

from db_models import SQLITE_PRAGMAS, Item, sqlite_pragmas
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, create_engine, event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

VARIANT = os.environ.get("BENCH_VARIANT", "sqlalchemy")
# sqlalchemy_ping: the same with `pool_pre_ping=True` (a round trip per checkout)
PRE_PING = VARIANT == "sqlalchemy_ping"
VARIANT = "sqlalchemy" if PRE_PING else VARIANT
# sqlalchemy_min: a session per request and nothing else (see above)
MINIMAL = VARIANT == "sqlalchemy_min"
VARIANT = "sqlalchemy" if MINIMAL else VARIANT
# floor_tx: the floor with its write in a transaction of its own
IN_TRANSACTION = VARIANT == "floor_tx"
VARIANT = "floor" if IN_TRANSACTION else VARIANT
URL = os.environ["BENCH_DATABASE_URL"]
POOL = int(os.environ.get("BENCH_POOL", "10"))
SQLITE = URL.startswith("sqlite")


class ItemCreate(BaseModel):
    name: str = Field(max_length=255)
    price: float = Field(allow_inf_nan=False)


class ItemRead(ItemCreate):
    """The generated project's answer: the row's key and fields, not its times."""

    id: UUID


def _engine_options() -> dict[str, Any]:
    return {"pool_size": POOL, "max_overflow": 0, "pool_timeout": 30, "pool_pre_ping": PRE_PING}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if VARIANT == "sqlalchemy":
        engine = create_async_engine(URL, **_engine_options())
        if SQLITE:
            event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
        reads = engine.execution_options(isolation_level="AUTOCOMMIT") if not SQLITE else engine
        app.state.read_sessions = async_sessionmaker(reads, expire_on_commit=False)
        yield
        await engine.dispose()
    elif VARIANT == "blocking":
        engine = create_engine(URL, **_engine_options())
        if SQLITE:
            event.listen(engine, "connect", sqlite_pragmas)
        app.state.sessions = sessionmaker(engine, expire_on_commit=False)
        yield
        engine.dispose()
    elif VARIANT == "floor" and not SQLITE:
        import asyncpg

        dsn = URL.replace("postgresql+asyncpg://", "postgresql://", 1)
        async with asyncpg.create_pool(dsn, min_size=POOL, max_size=POOL) as pool:
            app.state.pool = pool
            yield
    elif VARIANT == "floor":
        import aiosqlite

        # One shared connection in autocommit mode: aiosqlite runs its statements in
        # order on the connection's own thread, the least a SQLite app can do.
        path = URL.split("///", 1)[1]
        async with aiosqlite.connect(path, isolation_level=None) as db:
            db.row_factory = aiosqlite.Row
            for pragma in SQLITE_PRAGMAS:
                await db.execute(pragma)
            app.state.db = db
            yield
    else:
        raise RuntimeError(f"unknown BENCH_VARIANT {VARIANT!r}")


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "variant": VARIANT}


def _now() -> datetime:
    return datetime.now(timezone.utc)


if MINIMAL:
    TABLE = Item.__table__
    SELECT_BY_ID = select(TABLE).where(TABLE.c.id == bindparam("id"))
    INSERT_ROW = insert(TABLE).returning(*TABLE.c)

    @app.get("/api/items/{item_id}", response_model=ItemRead)
    async def read_item_min(item_id: UUID, request: Request) -> Any:
        async with request.app.state.read_sessions() as session:
            result = await session.execute(SELECT_BY_ID, {"id": item_id})
            row = result.one_or_none()
        if row is None:
            raise HTTPException(404, "item not found")
        return row._mapping

    @app.post("/api/items", response_model=ItemRead, status_code=201)
    async def create_item_min(body: ItemCreate, request: Request) -> Any:
        now = _now()
        values = {"id": uuid4(), "created_at": now, "updated_at": now, **body.model_dump()}
        async with request.app.state.sessions.begin() as session:
            row = (await session.execute(INSERT_ROW, values)).one()
        return row._mapping

elif VARIANT == "sqlalchemy":

    async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
        async with request.app.state.sessions() as session:
            try:
                yield session
            except Exception:
                await session.rollback()
                raise
            else:
                await session.commit()

    SessionDep = Annotated[AsyncSession, Depends(get_session)]

    @app.get("/api/items/{item_id}", response_model=ItemRead)
    async def read_item(item_id: UUID, session: SessionDep) -> Item:
        item = await session.get(Item, item_id)
        if item is None:
            raise HTTPException(404, "item not found")
        return item

    @app.post("/api/items", response_model=ItemRead, status_code=201)
    async def create_item(body: ItemCreate, session: SessionDep) -> Item:
        item = Item(**body.model_dump())
        session.add(item)
        await session.flush()  # INSERT ... RETURNING id
        return item

elif VARIANT == "blocking":

    @app.get("/api/items/{item_id}", response_model=ItemRead)
    async def read_item_blocking(item_id: UUID, request: Request) -> Item:
        # The mistake: a synchronous session in `async def` blocks the event loop.
        with request.app.state.sessions() as session:
            item = session.get(Item, item_id)
        if item is None:
            raise HTTPException(404, "item not found")
        return item

    @app.post("/api/items", response_model=ItemRead, status_code=201)
    async def create_item_blocking(body: ItemCreate, request: Request) -> Item:
        session: Session
        with request.app.state.sessions() as session, session.begin():
            item = Item(**body.model_dump())
            session.add(item)
            session.flush()
        return item

elif VARIANT == "floor" and not SQLITE:
    COLUMNS = "id, name, price, created_at, updated_at"
    INSERT = (
        "INSERT INTO items (id, name, price, created_at, updated_at) "
        f"VALUES ($1, $2, $3, $4, $4) RETURNING {COLUMNS}"
    )

    @app.get("/api/items/{item_id}", response_model=ItemRead)
    async def read_item_asyncpg(item_id: UUID, request: Request) -> Any:
        row = await request.app.state.pool.fetchrow(
            f"SELECT {COLUMNS} FROM items WHERE id = $1", item_id
        )
        if row is None:
            raise HTTPException(404, "item not found")
        return dict(row)

    @app.post("/api/items", response_model=ItemRead, status_code=201)
    async def create_item_asyncpg(body: ItemCreate, request: Request) -> Any:
        now = _now()
        values = (uuid4(), body.name, body.price, now)
        if IN_TRANSACTION:
            pool = request.app.state.pool
            async with pool.acquire() as connection, connection.transaction():
                row = await connection.fetchrow(INSERT, *values)
        else:
            row = await request.app.state.pool.fetchrow(INSERT, *values)
        return dict(row)

else:
    import aiosqlite

    COLUMNS = "id, name, price, created_at, updated_at"

    # SQLAlchemy's Uuid type, which made the table, stores 32 hex digits on SQLite.
    def _row(row: aiosqlite.Row) -> dict[str, Any]:
        return {k: row[k] for k in row.keys()}  # noqa: SIM118 (Row is not a Mapping)

    @app.get("/api/items/{item_id}", response_model=ItemRead)
    async def read_item_aiosqlite(item_id: UUID, request: Request) -> Any:
        db = request.app.state.db
        query = f"SELECT {COLUMNS} FROM items WHERE id = ?"
        async with db.execute(query, (item_id.hex,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise HTTPException(404, "item not found")
        return _row(row)

    @app.post("/api/items", response_model=ItemRead, status_code=201)
    async def create_item_aiosqlite(body: ItemCreate, request: Request) -> Any:
        now = _now().isoformat()
        async with request.app.state.db.execute(
            "INSERT INTO items (id, name, price, created_at, updated_at) "
            f"VALUES (?, ?, ?, ?, ?) RETURNING {COLUMNS}",
            (uuid4().hex, body.name, body.price, now, now),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return _row(row)
