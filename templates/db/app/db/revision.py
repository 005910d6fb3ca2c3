"""Is the database migrated? Asked once, when the app starts (`Database`).

An app whose tables are missing, or older than its code, fails on every request
that reaches them. Rather than start and answer those with errors, the app stops at
start-up with one line saying to run `alembic upgrade head`. A database at a
migration this code does not know is let through with a warning: a later release
migrated it, and this one is still running (a rolling deploy), or it is a branch
of yours. Migrations that only add are meant to be read by the release before them.

The migrations are found through Alembic's configuration (`[tool.alembic]` in
pyproject.toml, or alembic.ini) in the project the `app` package belongs to, else in
the folder the server runs in (the Docker image copies them there). Where there is
none, the app starts and says it could not check.
"""

import logging
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Literal

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from anyio import to_thread
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

# The project folder of a clone or an editable install (app/db/revision.py is 3 down).
PACKAGE_PROJECT = Path(__file__).resolve().parents[2]
UPGRADE = "run `alembic upgrade head` in the project folder, then start the app again."


async def unmigrated(engine: AsyncEngine, where: str) -> str | None:
    """Why the database at `where` cannot serve this code yet, or None when it can."""
    scripts = await to_thread.run_sync(migration_scripts)
    if scripts is None:
        logger.warning(
            "Could not check that %s is migrated: no Alembic configuration in %s "
            "or in the current folder.",
            where,
            PACKAGE_PROJECT,
        )
        return None
    async with engine.connect() as connection:
        current, tables = await connection.run_sync(_current_revisions)
    heads = frozenset(scripts.get_heads())
    problem = verdict(current, heads, lambda revision: _known(scripts, revision))
    if problem == "empty" and not tables:
        return f"The database at {where} has no tables yet: {UPGRADE}"
    if problem == "empty":
        # Tables made some other way (`Base.metadata.create_all`, by hand).
        return (
            f"The database at {where} has tables but no migration recorded (Alembic's "
            "alembic_version table): they were not made by `alembic upgrade head`. "
            "Migrate an empty database, or run `alembic stamp head` if these tables "
            "already match the models; then start the app again."
        )
    if problem == "behind":
        return (
            f"The database at {where} is at migration {_names(current)}, older than "
            f"this code's {_names(heads)}: {UPGRADE}"
        )
    if problem == "unknown":
        logger.warning(
            "The database at %s is at migration %s, which this code does not know "
            "(its head is %s): starting anyway.",
            where,
            _names(current),
            _names(heads),
        )
    return None


Verdict = Literal["empty", "behind", "unknown"]


def verdict(
    current: frozenset[str], heads: frozenset[str], known: Callable[[str], bool]
) -> Verdict | None:
    """`empty`, `behind`, `unknown` (some revision is not in the code), or None (at head)."""
    if current == heads:
        return None
    if not current:
        return "empty"
    if all(known(revision) for revision in current):
        return "behind"
    return "unknown"


@cache
def migration_scripts() -> ScriptDirectory | None:
    """The project's migrations, read once per process (blocking: call in a thread)."""
    for config in _configs():
        try:
            scripts = ScriptDirectory.from_config(config)
            scripts.get_heads()  # reads every migration script now, in this thread
        except CommandError as exc:
            logger.warning("Cannot read the migrations: %s", exc)
            return None
        return scripts
    return None


def _configs() -> Iterator[Config]:
    for folder in dict.fromkeys((PACKAGE_PROJECT, Path.cwd())):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.alembic]" in pyproject.read_text("utf-8"):
            yield Config(toml_file=str(pyproject))
        elif (folder / "alembic.ini").is_file():
            yield Config(str(folder / "alembic.ini"))


def _current_revisions(connection: Connection) -> tuple[frozenset[str], bool]:
    """The database's migration heads, and whether it has any table at all."""
    heads = frozenset(MigrationContext.configure(connection).get_current_heads())
    return heads, bool(heads) or bool(inspect(connection).get_table_names())


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def _names(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions))
