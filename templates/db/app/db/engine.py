"""The app's engine: its pool, its driver's timeouts, and what it does on errors.

`create_engine` makes the engine `app.db.database.Database` opens at start-up:
PostgreSQL connections that give up in time and are replaced when the server
closed them, SQLite in WAL mode with a busy timeout, and an engine for requests
that only read (`read_only_engine`).
"""

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Dialect, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core.config import Settings

# Milliseconds an SQLite connection waits for another one's write lock before it
# fails with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000
# The execution option that says how an SQLite transaction begins: DEFERRED (the
# default), IMMEDIATE (`Database.begin_write`), or None, not at all (reads).
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
# transaction control).
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
        # Off by default ({{ env("database_pool_pre_ping") }}): with asyncpg, three round trips
        # per request. A connection the server closed is replaced without them
        # (`_replace_if_closed`); only one lost without a word (a network cut) is
        # found by its request, which answers 503 while SQLAlchemy renews the pool.
        "pool_pre_ping": settings.database_pool_pre_ping,
    }
    if url.get_driver_name() == "asyncpg":
        options["connect_args"] = asyncpg_options(settings)
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "do_connect", _connect)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    elif url.get_driver_name() == "asyncpg":
        event.listen(engine.sync_engine, "checkout", _replace_if_closed)
        event.listen(engine.sync_engine, "handle_error", _passing_trouble)
    return engine


def asyncpg_options(settings: Settings) -> dict[str, Any]:
    """asyncpg's connect arguments: how long to wait for a connection and a statement."""
    # Opening a connection gives up as waiting for a free one does (asyncpg's
    # own default is 60 s, a minute per request when the host does not answer).
    options: dict[str, Any] = {"timeout": settings.database_pool_timeout}
    timeout = settings.database_statement_timeout
    if timeout:
        # PostgreSQL cancels a statement that runs, or waits for a lock, longer: a
        # slow query or a migration's lock cannot hold a request (and its
        # connection) for ever. Sent when the connection opens: no round trip.
        milliseconds = max(1, round(timeout * 1000))
        options["server_settings"] = {"statement_timeout": str(milliseconds)}
        # asyncpg gives up on an answer that never comes (the server or the
        # network stopped mid-statement): SQLAlchemy then discards the connection.
        options["command_timeout"] = timeout + settings.database_pool_timeout
    return options


class StatementTimeoutError(TimeoutError):
    """asyncpg gave up waiting for a statement's answer (its `command_timeout`)."""


# SQLSTATE classes and codes of trouble that passes, where retrying later may well
# succeed: the connection (08), a deadlock or serialization failure (40), the
# server's resources (53), a lock not available (55P03), a cancelled statement
# or a shutdown (57), the server's own system (58).
PASSING_SQLSTATES = ("08", "40", "53", "55P03", "57", "58")


def _passing_trouble(context: ExceptionContext) -> BaseException | None:
    """Raise the database's passing trouble as OperationalError (the app answers 503).

    asyncpg's errors reach SQLAlchemy as a plain `DBAPIError`, which the app answers
    with 500, a statement cancelled by `{{ env("database_statement_timeout") }}` included; psycopg
    raises these SQLSTATEs as `OperationalError`, and so do we. asyncpg's own
    timeout (`command_timeout`) raises `TimeoutError`, as a network's would.
    """
    error = context.original_exception
    if isinstance(error, TimeoutError):
        error = StatementTimeoutError("no answer to the statement in time")
    elif isinstance(context.sqlalchemy_exception, OperationalError):
        return None
    else:
        sqlstate = getattr(error, "sqlstate", None)
        if not (isinstance(sqlstate, str) and sqlstate.startswith(PASSING_SQLSTATES)):
            return None
    return OperationalError(
        context.statement,
        context.parameters,
        error,
        hide_parameters=True,  # they may hold what users sent; the log needs none
        connection_invalidated=context.is_disconnect,
    )


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
        # A transaction that will write (see `Database.begin_write`) begins with
        # IMMEDIATE: it takes the write lock first, waiting up to
        # SQLITE_BUSY_TIMEOUT_MS for it (past that the request answers 503).
        # A deferred transaction that reads and then writes could not wait: had
        # another one written in between, SQLite fails it at once ("database is
        # locked"), as its reads are out of date. Other transactions begin
        # DEFERRED: they never wait for the write lock. Read-only sessions begin
        # none (`read_only_engine`).
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        if mode is not None:
            _begin_sqlite(connection, f"BEGIN {mode}")


def _begin_sqlite(connection: Any, statement: str) -> None:
    """Send `statement` (a BEGIN) through aiosqlite itself.

    Every call to aiosqlite is a trip to its connection's thread and back: through
    SQLAlchemy, a statement opens, uses and closes a cursor (three trips) and runs
    SQLAlchemy's execution around them; `run_async` (SQLAlchemy's documented way
    to await the driver in an event) takes one trip. A failed BEGIN (the write
    lock still held after the busy timeout) is raised as SQLAlchemy raises a failed
    statement: "database is locked" is an `OperationalError`, which answers 503.
    """
    try:
        connection.connection.dbapi_connection.run_async(
            lambda driver: driver.execute_fetchall(statement)
        )
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


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
    when it starts, in a transaction or not. On SQLite they begin no transaction
    either (`SQLITE_BEGIN`): each SELECT reads the data committed when it starts,
    as on PostgreSQL, and a GET of one row spares the BEGIN, a tenth of its CPU
    (each statement is a trip to aiosqlite's thread). For the queries of one GET
    to see one snapshot, give reads their transaction again here (leave out
    `SQLITE_BEGIN`).
    """
    if engine.dialect.name == "postgresql":
        read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    else:
        read_engine = engine.execution_options(**{SQLITE_BEGIN: None})
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
