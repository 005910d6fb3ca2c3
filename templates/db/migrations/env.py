"""Alembic's entry point: `alembic upgrade head` migrates the app's own database.

The URL comes from the app's settings ({{ env("database_url") }}, from the environment or
`.env`), so the migrated database is exactly the one the app will use; the tests
pass theirs as `config.attributes["database_url"]`. Migrations run over the app's
async driver.
"""

import asyncio
import logging

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import app.models  # noqa: F401 (registers every model on Base.metadata)
from app.core.config import get_settings
from app.db.base import Base
from app.db.engine import make_sqlite_folder, safe_url

config = context.config
target_metadata = Base.metadata
logger = logging.getLogger("alembic.env")


def database_url() -> str:
    url = config.attributes.get("database_url")
    return url if url is not None else get_settings().database_url


def configure(**options: object) -> None:
    url = database_url()
    context.configure(
        target_metadata=target_metadata,
        # SQLite cannot alter most columns in place: batch mode copies the table.
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
        **options,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    url = database_url()
    logger.info("Migrating %s", safe_url(url))
    make_sqlite_folder(url)
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        # Called from code that already holds a connection (see tests/database.py).
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations())


if not logging.getLogger().handlers:
    logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s", level="INFO")
    logging.getLogger("alembic").setLevel("INFO")

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
