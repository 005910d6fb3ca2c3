"""The app's database: one engine and one session factory per process.

The lifespan opens a `Database` at start-up (checking that the database answers)
and disposes of its connections at shutdown. Endpoints get a session per request
from `app.api.deps.SessionDep`.
"""

import asyncio
import logging
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Any

from anyio import to_thread
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings
from app.db.revision import unmigrated

logger = logging.getLogger(__name__)

# Milliseconds an SQLite connection waits for another one's write lock before it
# fails with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000
# The execution option that makes an SQLite transaction begin IMMEDIATE.
SQLITE_BEGIN = "sqlite_begin"
# The oldest SQLite with RETURNING, which the SQL repositories use.
SQLITE_OLDEST = (3, 35)


class DatabaseUnavailableError(Exception):
    """The app cannot use the database at start-up: it does not answer, its SQLite is
    too old, or it is not migrated. The message never shows the password."""


class ReadOnlyRequestError(RuntimeError):
    """A GET, HEAD or OPTIONS request tried to change the database.

    Their sessions (`Database.read_session`) refuse every statement but queries
    (SELECT, WITH) and transaction control: on PostgreSQL they run without a
    transaction, so a write there could not be rolled back if the request failed.
    """


# What a read-only session may run: the first word of each statement (queries and
# transaction control; SQLite's reads run in a transaction).
READ_STATEMENTS = frozenset({"SELECT", "WITH", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"})


def safe_url(url: str | URL) -> str:
    """The URL as it may appear in logs and errors: the password replaced by ***."""
    return make_url(url).render_as_string(hide_password=True)


def database_name(url: str | URL) -> str:
    """What to call the database in a message: host, port and database, or the file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {parsed.database or ':memory:'}"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host or 'localhost'}{port}/{parsed.database or ''}"


def create_engine(settings: Settings) -> AsyncEngine:
    """The engine for `settings.database_url`, its pool sized from the settings."""
    url = make_url(settings.database_url)
    options: dict[str, Any] = {
        "echo": settings.database_echo,
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
        "pool_timeout": settings.database_pool_timeout,
        # Off by default (DATABASE_POOL_PRE_PING): with asyncpg, three round trips
        # per request. A connection the server closed is replaced without them
        # (`_replace_if_closed`); only one lost without a word (a network cut) is
        # found by its request, which answers 503 while SQLAlchemy renews the pool.
        "pool_pre_ping": settings.database_pool_pre_ping,
    }
    if url.get_driver_name() == "asyncpg":
        # Opening a connection gives up as waiting for a free one does (asyncpg's
        # own default is 60 s, a minute per request when the host does not answer).
        options["connect_args"] = {"timeout": settings.database_pool_timeout}
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "do_connect", _connect)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    elif url.get_driver_name() == "asyncpg":
        event.listen(engine.sync_engine, "checkout", _replace_if_closed)
    return engine


def _connect(
    dialect: Dialect, connection_record: Any, cargs: Any, cparams: Any
) -> Any:
    """Open a connection; the network's errors raised as the driver's OperationalError.

    Drivers raise a refused, unreachable or timed-out connection as the network's own
    error (`OSError`), which SQLAlchemy does not wrap: a request made while the
    database is down would fail with a 500 instead of the 503 with `Retry-After`
    that `app.api.database_errors` answers to `OperationalError`.
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        reason = str(exc) or "opening a connection timed out"
        raise dialect.loaded_dbapi.OperationalError(reason) from exc


def _replace_if_closed(
    dbapi_connection: Any, connection_record: Any, connection_proxy: Any
) -> None:
    """Open a new connection in place of one the server closed while it was pooled.

    PostgreSQL closes its connections when it restarts or fails over, when an
    administrator ends them (`pg_terminate_backend`), or when they sit idle past
    `idle_session_timeout`. asyncpg notices at once, as the event loop reads the
    close, so asking it costs no round trip. SQLAlchemy opens a new connection for
    the request (`DisconnectionError`), as asyncpg's own pool does: the first request
    after a restart is served instead of answering 503.
    """
    if dbapi_connection.driver_connection.is_closed():
        msg = "PostgreSQL closed this connection while it was in the pool"
        raise DisconnectionError(msg)


def check_sqlite_version() -> None:
    """Refuse to start on an SQLite older than `SQLITE_OLDEST` (Python's own build)."""
    if sqlite3.sqlite_version_info < SQLITE_OLDEST:
        oldest = ".".join(map(str, SQLITE_OLDEST))
        msg = (
            f"SQLite {sqlite3.sqlite_version} is too old for this app: it needs "
            f"{oldest} or later (for RETURNING). Use a Python built with a newer "
            "SQLite, or PostgreSQL."
        )
        raise DatabaseUnavailableError(msg)


def _configure_sqlite(engine: AsyncEngine) -> None:
    check_sqlite_version()  # before any connection: the engine has made none yet

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy, not the driver, begin transactions, so that SAVEPOINTs
        # and rollbacks behave as on other databases.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers do not block the writer and the writer does not block readers.
        # With WAL, synchronous=NORMAL never corrupts the database and loses nothing
        # when the process dies; only a power cut may lose the last commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # A deferred BEGIN for reads: readers never wait for the write lock. A
        # transaction that will write (see `Database.begin_write`) begins with
        # IMMEDIATE: it takes the write lock first, waiting up to
        # SQLITE_BUSY_TIMEOUT_MS for it (past that the request answers 503).
        # A deferred transaction that reads and then writes could not wait: had
        # another one written in between, SQLite fails it at once ("database is
        # locked"), as its reads are out of date.
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_sqlite_folder(url: str | URL) -> None:
    """Make the folder of an SQLite file (SQLite makes the file, not its folder)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """`engine` for requests that only read: same pool, writes refused.

    On PostgreSQL its connections run in autocommit mode: each statement is a
    transaction of its own, so a GET of one row makes one round trip instead of
    three (BEGIN, SELECT, COMMIT). That reads nothing different: at PostgreSQL's
    default isolation level (READ COMMITTED) each statement sees the data committed
    when it starts, in a transaction or not. On SQLite a read keeps its transaction
    (several SELECTs see one snapshot; there is no round trip to save).
    """
    if engine.dialect.name == "postgresql":
        read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    else:
        read_engine = engine.execution_options()
    event.listen(read_engine.sync_engine, "before_cursor_execute", _refuse_writes)
    return read_engine


def _refuse_writes(
    connection: Any,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    words = statement.split(None, 1)
    verb = words[0].upper() if words else ""
    if verb not in READ_STATEMENTS:
        msg = (
            f"{verb or 'an empty statement'} in a read-only request (GET, HEAD or "
            "OPTIONS): their sessions only read. Change data in a POST, PUT, PATCH or "
            "DELETE handler."
        )
        raise ReadOnlyRequestError(msg)


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
                f"{_reason(exc, url.password)}. Check DATABASE_URL and that the "
                "database is running."
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
        came; after DATABASE_POOL_TIMEOUT seconds of waiting, SQLAlchemy's pool
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
