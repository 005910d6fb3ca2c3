"""The app refuses to start on a database that is not migrated to its code."""

import logging

import httpx
import pytest
from asgi_lifespan import LifespanManager
from anyio import to_thread
from sqlalchemy import text

from app.core.config import Settings
from app.db.database import Database
from app.db.engine import DatabaseUnavailableError, create_engine, database_name
from app.db.revision import UPGRADE, migration_scripts, verdict
from app.main import create_app


def test_the_migrations_are_found() -> None:
    scripts = migration_scripts()
    assert scripts is not None
    assert len(scripts.get_heads()) == 1


async def test_a_database_without_tables_stops_start_up_with_one_line(
    settings: Settings, empty_database_url: str
) -> None:
    empty = settings.model_copy(update={"database_url": empty_database_url})
    with pytest.raises(DatabaseUnavailableError) as caught:
        async with Database(empty):
            pass
    where = database_name(empty_database_url)
    assert str(caught.value) == f"The database at {where} has no tables yet: {UPGRADE}"
    assert caught.value.__cause__ is None


async def test_tables_made_without_alembic_are_named_as_such(
    settings: Settings, empty_database_url: str
) -> None:
    empty = settings.model_copy(update={"database_url": empty_database_url})
    # (Making an engine resolves an SQLite file's path: blocking, so in a thread.)
    engine = await to_thread.run_sync(create_engine, empty)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE made_by_hand (id INTEGER)"))
    finally:
        await engine.dispose()
    with pytest.raises(DatabaseUnavailableError) as caught:
        async with Database(empty):
            pass
    message = str(caught.value)
    assert "has tables but no migration recorded" in message
    assert "`alembic stamp head`" in message
    assert "\n" not in message


async def test_the_server_is_told_to_migrate(settings: Settings, empty_database_url: str) -> None:
    app = create_app(settings.model_copy(update={"database_url": empty_database_url}))
    with pytest.raises(DatabaseUnavailableError, match="alembic upgrade head"):
        async with LifespanManager(app):
            pass


async def test_a_database_a_later_release_migrated_starts_with_a_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with Database(settings) as database, database.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'f0f0f0f0f0f0'"))
    app = create_app(settings)
    with caplog.at_level(logging.WARNING, logger="app.db.revision"):
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
            ) as client,
        ):
            assert (await client.get("/health/ready")).status_code == 200
    assert "at migration f0f0f0f0f0f0, which this code does not know" in caplog.text


@pytest.mark.parametrize(
    ("current", "heads", "known", "expected"),
    [
        ({"b"}, {"b"}, ("a", "b"), None),
        (set(), {"b"}, ("a", "b"), "empty"),
        ({"a"}, {"b"}, ("a", "b"), "behind"),
        # One branch migrated, the other not yet.
        ({"b"}, {"b", "c"}, ("a", "b", "c"), "behind"),
        ({"z"}, {"b"}, ("a", "b"), "unknown"),
        ({"b", "z"}, {"b"}, ("a", "b"), "unknown"),
    ],
)
def test_verdict(
    current: set[str], heads: set[str], known: tuple[str, ...], expected: str | None
) -> None:
    assert verdict(frozenset(current), frozenset(heads), lambda r: r in known) == expected
