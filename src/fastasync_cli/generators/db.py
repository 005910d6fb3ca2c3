"""`fastasync add db` (and `new --db`): an async SQLAlchemy database with Alembic.

New modules hold the database code (`app/db/`, `app/api/database_errors.py`,
`migrations/`, the test helpers); the files the user owns get syntax-tree edits:
settings, .env.example and the test fixtures (`db_settings`), the lifespan,
dependencies, the readiness probe, pyproject.toml, compose.yaml (`db_deploy`), the CI
workflow and README.md. Every endpoint already there gets its model, its migration and a SQL
repository, and its dependency returns the SQL repository instead of the in-memory
one (`db_endpoints`): its router is not touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastasync_cli.engine import config_edits, edits
from fastasync_cli.engine.names import singular
from fastasync_cli.engine.plan import plan_update
from fastasync_cli.engine.project import DATABASES, MANIFEST_NAME, Manifest, with_project_option
from fastasync_cli.engine.python_edits import swaps as swap_edits
from fastasync_cli.engine.render import render_piece
from fastasync_cli.errors import ConflictError, FastasyncError
from fastasync_cli.generators import db_deploy, db_endpoints, db_schema, db_settings
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit, import_edit
from fastasync_cli.generators.component_names import (
    DATABASE_OWNED_NAMES,
    DATABASE_STATE_KEY,
    state_keys,
)
from fastasync_cli.generators.requirements import edit_pyproject

KINDS = DATABASES
# What the generated project installs; kept in step with this repository's dev extra.
REQUIREMENTS = ["sqlalchemy[asyncio]>=2.1.9,<3", "alembic>=1.20.1,<2"]
DRIVERS = {"sqlite": "aiosqlite>=0.22.1,<1", "postgres": "asyncpg>=0.32.0,<1"}
# `alembic revision` writes its file from script.py.mako in Alembic's own layout
# (single quotes, unused imports): the project's `ruff check` and `ruff format
# --check` failed on every revision until it was fixed by hand. The hooks lay it out
# with the project's ruff, run as `python -m ruff` by the Python that runs Alembic.
RUFF_HOOKS = [
    {
        "name": "ruff_fix",
        "type": "module",
        "module": "ruff",
        "options": "check --fix --exit-zero --quiet REVISION_SCRIPT_FILENAME",
    },
    {
        "name": "ruff_format",
        "type": "module",
        "module": "ruff",
        "options": "format --quiet REVISION_SCRIPT_FILENAME",
    },
]
ALEMBIC_TABLE: dict[str, object] = {
    "script_location": "%(here)s/migrations",
    "prepend_sys_path": ["."],
    "post_write_hooks": RUFF_HOOKS,
}

LIFESPAN_LINE = 'state["database"] = await stack.enter_async_context(Database(settings))'
INSTALL_ERRORS_LINE = "install_database_errors(app)"
# The database opens first and closes last: the job store needs it.
JOBS_LINE_START = 'state["jobs"] ='
JOB_STORE_LINE = (
    "job_store = await stack.enter_async_context(\n"
    '    SqlJobStore(state["database"], settings.job_store_max, settings.job_ttl_s)\n'
    ")"
)
# The first migration: the jobs table. Its id is fixed, as its content is.
JOBS_REVISION = db_schema.revision_id("jobs", (), None)


@dataclass(frozen=True)
class DbOptions:
    kind: str
    force: bool = False


class DatabaseExistsError(FastasyncError):
    exit_code = 1


def check_kind(kind: str, *, allow_none: bool) -> str:
    """The database kind, lower-cased; anything else is a bad option (exit 2)."""
    from fastasync_cli.errors import BadOptionError

    choices = KINDS if allow_none else KINDS[:2]
    value = kind.strip().lower()
    if value not in choices:
        raise BadOptionError(
            f"Unknown database {kind!r}: use {', '.join(choices[:-1])} or {choices[-1]}.",
            "sqlite needs nothing installed; postgres uses asyncpg"
            + ("; none keeps the rows in memory." if allow_none else "."),
        )
    return value


def plan_db(options: DbOptions, manifest: Manifest) -> ComponentPlan:
    """Plan the database runtime, migrations and tests, and move every endpoint onto it."""
    existing = manifest.database
    if existing != "none":
        raise DatabaseExistsError(
            f"This project already has a database ({existing}).",
            "Nothing was written. To add tables, add endpoints: fastasync add endpoint NAME.",
        )
    for name, kind_of in manifest.names_in_use().items():
        clash = _clash(kind_of, name)
        if clash is not None:
            raise ConflictError(
                f"The {kind_of} {name!r} would {clash}.",
                f"Nothing was written. Rename that {kind_of} by hand (its files and its "
                "entry in .fastasync.toml) or remove it, then run fastasync add db again.",
            )
    db_endpoints.check_indexed_lengths(manifest)
    kind = options.kind
    builder = ComponentPlan(manifest, options.force)
    context = {"kind": kind}

    edit_pyproject(
        builder,
        [(requirement, None) for requirement in _requirements(kind)],
        more=lambda text: config_edits.ensure_toml_table(
            text, "pyproject.toml", "tool.alembic", ALEMBIC_TABLE
        ),
        more_manual='[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
        'prepend_sys_path = ["."]',
    )
    for target, template in [
        ("app/db/__init__.py", "app/db/__init__.py"),
        ("app/db/base.py", "app/db/base.py"),
        ("app/db/database.py", "app/db/database.py"),
        ("app/db/engine.py", "app/db/engine.py"),
        ("app/db/revision.py", "app/db/revision.py"),
        ("app/api/database_errors.py", "app/api/database_errors.py"),
        ("app/models/job.py", "app/models/job.py"),
        ("app/jobs/sql_store.py", "app/jobs/sql_store.py"),
        ("tests/jobs/test_sql_store.py", "tests/jobs/test_sql_store.py"),
        ("migrations/env.py", "migrations/env.py"),
        ("tests/database.py", "tests/database.py.jinja"),
        ("tests/db/__init__.py", "tests/db/__init__.py"),
        ("tests/db/test_migrations.py", "tests/db/test_migrations.py"),
        ("tests/db/test_session.py", "tests/db/test_session.py.jinja"),
        ("tests/db/test_turns.py", "tests/db/test_turns.py"),
        ("tests/db/test_database.py", "tests/db/test_database.py.jinja"),
        ("tests/db/test_revision.py", "tests/db/test_revision.py"),
    ]:
        builder.create(target, builder.render("db", template, context))
    builder.create("migrations/script.py.mako", render_piece("db", "migrations/script.py.mako", {}))
    if kind == "postgres":
        for target in ("tests/postgres_server.py", "tests/db/test_outages.py"):
            builder.create(target, builder.render("db", target))

    db_settings.edit_settings(builder, kind)
    dependency = builder.snippet("app/api/deps.py", render_piece("db", "deps.py.jinja", {}))
    builder.edit_python(
        "app/api/deps.py",
        [
            import_edit("collections.abc", "AsyncIterator"),
            import_edit("fastapi", "Depends"),
            import_edit("fastapi", "Request"),
            import_edit("sqlalchemy.ext.asyncio", "AsyncSession"),
            import_edit("app.db.database", "Database"),
            PythonEdit(
                lambda m: swap_edits.ensure_definitions_after_imports(m, dependency),
                f"{dependency.strip()}\n# (after the imports, before the other definitions)",
            ),
            *db_endpoints.dependency_swaps(builder, manifest),
        ],
    )
    builder.edit_python(db_endpoints.RESPONSES_MODULE, db_endpoints.response_helpers())
    _edit_main(builder, manifest)
    readiness = builder.snippet(
        "app/api/routes/health.py", render_piece("db", "health.py.jinja", {})
    )
    builder.edit_python(
        "app/api/routes/health.py",
        [
            import_edit("anyio", "fail_after"),
            import_edit("fastapi", "HTTPException"),
            import_edit("fastapi", "status"),
            import_edit("sqlalchemy.exc", "SQLAlchemyError"),
            import_edit("app.api.deps", "DatabaseDep"),
            PythonEdit(lambda m: edits.ensure_definitions(m, readiness), readiness.strip()),
        ],
    )
    db_settings.edit_test_fixtures(builder, kind)
    builder.create(
        f"{db_schema.VERSIONS}/{JOBS_REVISION}_create_jobs.py",
        render_piece("db", "migrations/create_jobs.py", {"revision": JOBS_REVISION}),
    )
    db_endpoints.move_endpoints(builder, manifest, JOBS_REVISION)
    db_deploy.plan_deployment(builder, manifest, kind, db_settings.setting_names(kind))
    builder.plan.add(
        plan_update(builder.root, MANIFEST_NAME, with_project_option(manifest, "db", kind))
    )
    return builder


def _clash(kind_of: str, name: str) -> str | None:
    """How a component made before would clash with what the database brings."""
    if DATABASE_STATE_KEY in state_keys(kind_of, name):
        return f'clash with the lifespan state the database brings, state["{DATABASE_STATE_KEY}"]'
    if kind_of != "endpoint":
        return None
    if name in DATABASE_OWNED_NAMES:
        return f"clash with {DATABASE_OWNED_NAMES[name]}, which the database brings"
    # Made before such names were refused: `updates` worked in memory, but its
    # model `Update` would redefine sqlalchemy's in the modules it goes to.
    item = singular("".join(part.capitalize() for part in name.split("_")))
    if item in db_schema.MODEL_NEIGHBOURS:
        return f"get a model {item!r}, a name the modules beside it already import"
    return None


def _requirements(kind: str) -> list[str]:
    return [*REQUIREMENTS, DRIVERS[kind]]


def _edit_main(builder: ComponentPlan, manifest: Manifest) -> None:
    changes = [
        import_edit("app.api.database_errors", "install_database_errors"),
        import_edit("app.db.database", "Database"),
        import_edit("app.jobs.sql_store", "SqlJobStore"),
        PythonEdit(
            lambda m: swap_edits.ensure_statement_before(
                m,
                "lifespan",
                swap_edits.starts_with(JOBS_LINE_START),
                f"`{JOBS_LINE_START} ...` inside `lifespan`",
                LIFESPAN_LINE,
            ),
            f"{LIFESPAN_LINE}  # in the lifespan, before `{JOBS_LINE_START} ...`",
        ),
        PythonEdit(
            lambda m: swap_edits.ensure_statement_before(
                m,
                "lifespan",
                swap_edits.starts_with(JOBS_LINE_START),
                f"`{JOBS_LINE_START} ...` inside `lifespan`",
                JOB_STORE_LINE,
            ),
            f"{JOB_STORE_LINE}  # in the lifespan, before `{JOBS_LINE_START} ...`",
        ),
        PythonEdit(
            lambda m: edits.ensure_call_keywords(
                m, "lifespan", "JobRunner", [("store", "job_store")]
            ),
            "JobRunner(settings, store=job_store)  # in the lifespan",
        ),
        PythonEdit(
            lambda m: swap_edits.ensure_statement_after(
                m,
                "create_app",
                # `app.include_router(...)`: projects made before include_routers.
                edits.is_call_to("include_routers", "app.include_router"),
                "`include_routers(app)` inside `create_app`",
                INSTALL_ERRORS_LINE,
            ),
            f"{INSTALL_ERRORS_LINE}  # in create_app, after include_routers(app)",
        ),
    ]
    changes += db_endpoints.in_memory_repository_removals(manifest)
    builder.edit_python("app/main.py", changes)
