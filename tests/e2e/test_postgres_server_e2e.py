"""The generated projects' throwaway PostgreSQL (templates/db/tests/postgres_server.py),
started for real: initdb, serve, connect with asyncpg, stop, nothing left behind."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.e2e.postgres import MISSING, create_database, fetch, pg, plain_url


async def query(url: str, sql: str) -> Any:
    connection = await asyncpg.connect(plain_url(url))
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


def test_postgres_url_starts_an_empty_server_and_removes_it_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    if pg.find_bindir() is None:
        pg.unavailable(MISSING)
    with pg.postgres_url() as url:
        assert url.startswith("postgresql+asyncpg://postgres@127.0.0.1:")
        assert asyncio.run(query(url, "SHOW fsync")) == "off"
        assert asyncio.run(query(url, "SHOW listen_addresses")) == "127.0.0.1"
        socket_dir = Path(asyncio.run(query(url, "SHOW unix_socket_directories")))
        assert (socket_dir / "data" / "postmaster.pid").exists()
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        assert asyncio.run(query(url, tables)) == 0
    assert not socket_dir.exists()
    with pytest.raises(OSError):
        asyncio.run(query(url, "SELECT 1"))


def test_each_test_gets_a_fresh_database_on_the_session_server(
    postgres_server: Any, postgres_url: str
) -> None:
    fetch(postgres_url, "CREATE TABLE t (x int)")
    fetch(postgres_url, "INSERT INTO t VALUES (1)")
    other = create_database(postgres_server)
    assert other != postgres_url
    assert fetch(other, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'") == [
        {"n": 0}
    ]
    assert fetch(postgres_url, "SELECT x FROM t") == [{"x": 1}]
