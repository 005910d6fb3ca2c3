"""The app's database: one engine and one session factory per process.

The lifespan opens a `Database` at start-up (checking that the database answers)
and disposes of its connections at shutdown. Endpoints get a session per request
from `app.api.deps.SessionDep`. The engine itself is made in `app.db.engine`.
"""

import asyncio
import logging
from types import TracebackType

from anyio import to_thread
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.db.engine import (
    SQLITE_BEGIN,
    DatabaseUnavailableError,
    create_engine,
    database_name,
    make_sqlite_folder,
    read_only_engine,
    safe_url,
)
from app.db.revision import unmigrated

logger = logging.getLogger(__name__)


class Database:
    """The engine and the session factories, opened and closed by the lifespan."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    # Requests' turns at the pool's connections, first come first served (`take_turn`).
    turns: asyncio.Semaphore

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __aenter__(self) -> "Database":
        # Making an engine resolves file paths (SQLite): blocking work, in a thread.
        self.engine = await to_thread.run_sync(create_engine, self.settings)
        # expire_on_commit=False: objects stay readable after the commit, with no
        # surprise query (which async code cannot make implicitly).
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(
            read_only_engine(self.engine), expire_on_commit=False
        )
        connections = self.settings.database_pool_size + self.settings.database_max_overflow
        self.turns = asyncio.Semaphore(connections)
        url = self.engine.url
        try:
            await to_thread.run_sync(make_sqlite_folder, url)
            await self.ping()
        except (SQLAlchemyError, OSError) as exc:
            await self.engine.dispose()
            msg = (
                f"Cannot connect to the database at {database_name(url)}: "
                f"{_reason(exc, url.password)}. Check "
                "{{ env("database_url") }}"
                " and that the database is running."
            )
            raise DatabaseUnavailableError(msg) from None
        problem = await unmigrated(self.engine, database_name(url))
        if problem is not None:
            await self.engine.dispose()
            raise DatabaseUnavailableError(problem)
        logger.info("Connected to the database at %s", safe_url(url))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        """Run `SELECT 1`; raises when the database does not answer."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def session(self) -> AsyncSession:
        """A new session; use it as `async with database.session() as session:`."""
        return self.sessions()

    def read_session(self) -> AsyncSession:
        """A new session that only reads (see `read_only_engine`): writes raise."""
        return self.read_sessions()

    async def take_turn(self) -> None:
        """Wait until a request may use a connection; `end_turn` when done with it.

        The pool hands a returned connection to whoever asks first, a request just
        arrived included: under load, some requests waited lap after lap of the
        queue while others went straight through. With 100 clients on a pool of 10
        or 20, the slowest 1% took 300 to 1,000 ms against a median under 90 ms;
        taking turns, mostly 100 to 180 ms, at the same requests/s. Requests take
        turns here, as many at once as the pool has connections, in the order they
        came; after {{ env("database_pool_timeout") }} seconds of waiting, SQLAlchemy's pool
        timeout error (503 with Retry-After).
        """
        if not self.turns.locked():
            await self.turns.acquire()  # free: returns at once
            return
        timeout = self.settings.database_pool_timeout
        try:
            async with asyncio.timeout(timeout):
                await self.turns.acquire()
        except TimeoutError:
            msg = f"No database connection was free within {timeout:g} s"
            raise PoolTimeoutError(msg) from None

    def end_turn(self) -> None:
        """Let the next request waiting in `take_turn` use a connection."""
        self.turns.release()

    async def begin_write(self, session: AsyncSession) -> None:
        """Begin `session`'s transaction as one that will write.

        On SQLite it takes the write lock now, so a read-then-write transaction
        never fails halfway; writers queue instead (readers never wait). Elsewhere
        it does nothing: PostgreSQL locks rows, not the database.
        """
        if self.engine.dialect.name == "sqlite":
            await session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})


def _reason(exc: BaseException, password: str | None) -> str:
    """The first line of the driver's own message, without the URL or password."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    reason = lines[0] if lines else type(cause).__name__
    if password:
        reason = reason.replace(password, "***")
    return reason.rstrip(".")
