"""A throwaway PostgreSQL for the end-to-end tests, and a fresh database per test.

The server is the one generated projects start for their own tests
(templates/db/tests/postgres_server.py, loaded from this checkout), so these tests
run that module too: initdb in a temporary folder, a free loopback port, the socket in
that folder, fsync off, stopped and removed afterwards; as root it runs as the
`postgres` user that Debian's package creates. scripts/test installs the package.
Without the binaries the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SERVER_MODULE = REPO / "templates" / "db" / "tests" / "postgres_server.py"
MISSING = (
    "PostgreSQL binaries (initdb, postgres) not found: apt-get install postgresql "
    "(scripts/test does)"
)


def load_server_module() -> ModuleType:
    """templates/db/tests/postgres_server.py, imported from this checkout."""
    name = "fastasync_template_postgres_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SERVER_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


pg = load_server_module()
_names = itertools.count(1)


@contextlib.contextmanager
def running_server() -> Iterator[Any]:
    """A running throwaway server (a `PostgresServer`), or skip / fail (CI=true)."""
    bindir = pg.find_bindir()
    if bindir is None:
        pg.unavailable(MISSING)
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(
                pg.throwaway_server(bindir, settings={"max_connections": "200"})
            )
        except pg.PostgresUnavailable as exc:
            pg.unavailable(str(exc))
        yield server


def plain_url(url: str) -> str:
    """The URL asyncpg itself takes (no `+asyncpg` driver part)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _fetch(url: str, *statements: str) -> list[list[dict[str, Any]]]:
    import asyncpg

    connection = await asyncpg.connect(plain_url(url))
    try:
        return [[dict(row) for row in await connection.fetch(s)] for s in statements]
    finally:
        await connection.close()


def fetch(url: str, statement: str) -> list[dict[str, Any]]:
    """The rows one SQL statement returns on the database at `url`."""
    return asyncio.run(_fetch(url, statement))[0]


def create_database(server: Any) -> str:
    """CREATE DATABASE with a new name on `server`; its postgresql+asyncpg:// URL."""
    name = f"test_{next(_names)}"
    asyncio.run(_fetch(server.url(), f'CREATE DATABASE "{name}"'))
    return server.url(name)


OTHER_CONNECTIONS = (
    "SELECT pid FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def terminate_other_connections(url: str) -> None:
    """Close every other connection to the database at `url`, as a restart would."""
    fetch(url, f"SELECT pg_terminate_backend(pid) FROM ({OTHER_CONNECTIONS}) AS others")
    # Until their processes have exited, and so closed their sockets.
    for _ in range(200):
        if not fetch(url, OTHER_CONNECTIONS):
            return
        time.sleep(0.05)
    raise AssertionError("PostgreSQL did not end the other connections in 10 s")
